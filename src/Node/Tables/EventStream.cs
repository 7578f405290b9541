using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Prometheus;

namespace HTableCluster.Node.Tables;

/// <summary>
/// GET /events: table events as server-sent events. Each event has <c>id: &lt;sequence&gt;</c> (this
/// node's number of the event), <c>event: htable:expired:&lt;table&gt;</c> (or
/// <c>htable:reloaded:&lt;table&gt;</c>, <c>htable:mod-init</c>) and
/// <c>data: {"table","key","value","type","version","node","time"}</c> ((table, key, version)
/// identifies an expired event across the cluster). Optional filters <c>?table=NAME</c> and
/// <c>?type=expired|reloaded|mod-init</c>; a table the node does not have, or another type, is
/// answered 404/400 with a JSON error instead of a stream that stays empty.
/// <para>
/// A client reconnecting with <c>Last-Event-ID</c> first gets the events it missed from the last
/// <see cref="TableEvents.RingLength"/>; when some of them are no longer there, an
/// <c>event: gap</c> comes first. Each client has a bounded queue; a client that falls
/// <see cref="TableEvents.ReaderQueueLength"/> events behind (for instance one that stopped reading
/// its socket) is disconnected at once (counted) and resumes
/// with its Last-Event-ID, so it never holds memory without bound nor slows a table.
/// </para>
/// </summary>
public sealed class EventStream
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);
    private static readonly Counter Dropped = Metrics.CreateCounter("htcluster_events_subscribers_disconnected_total", "/events subscribers disconnected because they fell too far behind (they resume with Last-Event-ID).");

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
            await ErrorAsync(ctx, StatusCodes.Status404NotFound, $"{{\"error\":\"No such htable\",\"table\":{JsonSerializer.Serialize(filter)}}}\n").ConfigureAwait(false);
            return;
        }
        var typeText = ctx.Request.Query["type"].ToString();
        TableEventKind? kind = typeText switch
        {
            "" => null,
            "expired" => TableEventKind.Expired,
            "reloaded" => TableEventKind.Reloaded,
            "mod-init" => TableEventKind.ModInit,
            _ => (TableEventKind)0,
        };
        if (kind == 0)
        {
            await ErrorAsync(ctx, StatusCodes.Status400BadRequest, $"{{\"error\":\"type must be expired, reloaded or mod-init\",\"type\":{JsonSerializer.Serialize(typeText)}}}\n").ConfigureAwait(false);
            return;
        }
        long? after = null;
        var lastId = ctx.Request.Headers["Last-Event-ID"].ToString();
        if (lastId.Length > 0)
        {
            if (!long.TryParse(lastId, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                await ErrorAsync(ctx, StatusCodes.Status400BadRequest, $"{{\"error\":\"Last-Event-ID must be an event id of this node\",\"id\":{JsonSerializer.Serialize(lastId)}}}\n").ConfigureAwait(false);
                return;
            }
            after = id;
        }

        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        // A client too far behind is disconnected at once: one that stopped reading its socket keeps
        // this loop waiting in a write, where it would never see its queue's end.
        var (queue, dispose) = _events.Subscribe(after, out var gap, () =>
        {
            Dropped.Inc();
            ctx.Abort();
        });
        using var end = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _stopping);
        try
        {
            await ctx.Response.WriteAsync(": htcluster events\n\n", end.Token).ConfigureAwait(false);
            if (gap)
                await ctx.Response.WriteAsync($"event: gap\ndata: {{\"after\":{after},\"resumed\":{_events.OldestSequence}}}\n\n", end.Token).ConfigureAwait(false);
            await ctx.Response.Body.FlushAsync(end.Token).ConfigureAwait(false);
            while (!end.IsCancellationRequested)
            {
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(end.Token);
                tick.CancelAfter(KeepAlive);
                string text;
                try
                {
                    var e = await queue.ReadAsync(tick.Token).ConfigureAwait(false);
                    if ((filter.Length > 0 && e.Table != filter) || (kind is { } k && e.Kind != k))
                        continue;
                    text = Format(e);
                }
                catch (OperationCanceledException) when (!end.IsCancellationRequested)
                {
                    text = ": keep-alive\n\n";
                }
                await ctx.Response.WriteAsync(text, end.Token).ConfigureAwait(false);
                if (queue.Count == 0)
                    await ctx.Response.Body.FlushAsync(end.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The subscriber went away or the node is stopping.
        }
        catch (InvalidOperationException)
        {
            // Too far behind (the queue was completed with an error, a ChannelClosedException when
            // read; counted and aborted above): the client resumes with its Last-Event-ID.
        }
        catch (IOException)
        {
            // The connection was aborted (too far behind) or reset by the client.
        }
        finally
        {
            dispose();
        }
    }

    private static async Task ErrorAsync(HttpContext ctx, int status, string json)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(json, ctx.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The SSE text of one event.</summary>
    internal static string Format(TableEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (e.Kind != TableEventKind.ModInit)
                w.WriteString("table", e.Table);
            if (e.Kind == TableEventKind.Expired)
            {
                w.WriteString("key", e.Key);
                if (e.IsInteger)
                    w.WriteNumber("value", e.IntValue);
                else
                    w.WriteString("value", e.StringValue);
                w.WriteString("type", e.IsInteger ? "int" : "str");
                w.WriteNumber("version", e.Version);
            }
            w.WriteString("node", e.OriginNode);
            w.WriteString("time", e.Time.ToString("O", CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }
        return $"id: {e.Sequence}\nevent: {e.Route}\ndata: {Encoding.UTF8.GetString(buffer.WrittenSpan)}\n\n";
    }
}
