using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using HTableCluster.Storage;
using Prometheus;

namespace HTableCluster.Node.Tables;

/// <summary>
/// GET /events: table events as server-sent events, <c>event: htable:expired:&lt;table&gt;</c> with
/// <c>data: {"table","key","value","type","version"}</c> (the version is the item's, so
/// (table, key, version) identifies the event). Optional <c>?table=NAME</c> filter; a table the node
/// does not have is answered 404 with a JSON error instead of a stream that stays empty. Each subscriber
/// has a bounded queue; a subscriber too slow to keep up loses the oldest events, which are counted.
/// </summary>
public sealed class EventStream
{
    private const int QueueLength = 4096;
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);
    private static readonly Counter Dropped = Metrics.CreateCounter("htcluster_events_dropped_total", "Events a slow /events subscriber did not receive.");

    private readonly TableEvents _events;
    private readonly CancellationToken _stopping;
    private readonly HashSet<string> _tables;

    /// <summary>Creates the stream over this node's events; subscribers are released when the node stops.</summary>
    public EventStream(TableEvents events, IHostApplicationLifetime lifetime, Configuration.NodeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(lifetime);
        ArgumentNullException.ThrowIfNull(settings);
        _events = events;
        _stopping = lifetime.ApplicationStopping;
        _tables = settings.Tables.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Serves one subscriber until it disconnects.</summary>
    public async Task ServeAsync(HttpContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var filter = ctx.Request.Query["table"].ToString();
        if (filter.Length > 0 && !_tables.Contains(filter))
        {
            // The answer htable.* methods give for a table the node does not have.
            ctx.Response.StatusCode = StatusCodes.Status404NotFound;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync($"{{\"error\":\"No such htable\",\"table\":{JsonSerializer.Serialize(filter)}}}\n", ctx.RequestAborted).ConfigureAwait(false);
            return;
        }
        var queue = Channel.CreateBounded<string>(new BoundedChannelOptions(QueueLength)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        }, _ => Dropped.Inc());
        void OnExpired(HTable table, Entry e)
        {
            if (filter.Length == 0 || filter == table.Name)
                queue.Writer.TryWrite(Format(table.Name, e));
        }

        void OnReloaded(HTable table)
        {
            if (filter.Length == 0 || filter == table.Name)
                queue.Writer.TryWrite($"event: htable:reloaded:{table.Name}\ndata: {{\"table\":{JsonSerializer.Serialize(table.Name)}}}\n\n");
        }

        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        _events.Expired += OnExpired;
        _events.Reloaded += OnReloaded;
        using var end = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _stopping);
        try
        {
            await ctx.Response.WriteAsync(": htcluster events\n\n", end.Token).ConfigureAwait(false);
            await ctx.Response.Body.FlushAsync(end.Token).ConfigureAwait(false);
            while (!end.IsCancellationRequested)
            {
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(end.Token);
                tick.CancelAfter(KeepAlive);
                string text;
                try
                {
                    text = await queue.Reader.ReadAsync(tick.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!end.IsCancellationRequested)
                {
                    text = ": keep-alive\n\n";
                }
                await ctx.Response.WriteAsync(text, end.Token).ConfigureAwait(false);
                await ctx.Response.Body.FlushAsync(end.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The subscriber went away or the node is stopping.
        }
        finally
        {
            _events.Expired -= OnExpired;
            _events.Reloaded -= OnReloaded;
        }
    }

    private static string Format(string table, Entry e)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("table", table);
            w.WriteString("key", e.Key);
            if (e.IsInteger)
                w.WriteNumber("value", e.IntValue);
            else
                w.WriteString("value", e.StringValue);
            w.WriteString("type", e.IsInteger ? "int" : "str");
            w.WriteNumber("version", e.Version);
            w.WriteEndObject();
        }
        return $"event: htable:expired:{table}\ndata: {Encoding.UTF8.GetString(buffer.WrittenSpan)}\n\n";
    }
}
