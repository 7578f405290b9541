using System.Text;
using System.Threading.Channels;
using HTableCluster.Node.Configuration;
using Prometheus;

namespace HTableCluster.Node.Tables;

/// <summary>
/// The optional webhook of a table (<c>Htable:Webhooks:&lt;table&gt;</c>): each event of the table
/// this node fired is POSTed as JSON (the SSE data plus <c>event</c> and <c>id</c>); an expired
/// event fired by another member is left to that member's webhook. Each table
/// has a bounded queue filled without waiting, so a slow or dead endpoint never holds up a table:
/// an event that finds the queue full, or that failed every attempt (an error status, a refused
/// connection or no answer within the timeout; retried with doubling backoff), is dropped and
/// counted (<c>htcluster_event_webhook_dropped_total</c>).
/// </summary>
public sealed partial class EventWebhooks : BackgroundService
{
    /// <summary>Events waiting per table.</summary>
    public const int QueueLength = 1000;

    private static readonly Counter DroppedMetric = Metrics.CreateCounter("htcluster_event_webhook_dropped_total", "Table events a webhook did not take (queue full or every attempt failed).", "table");
    private static readonly Counter FailedMetric = Metrics.CreateCounter("htcluster_event_webhook_failed_attempts_total", "Webhook requests that failed (error status, refused, timed out).", "table");
    private static readonly Counter DeliveredMetric = Metrics.CreateCounter("htcluster_event_webhook_delivered_total", "Table events a webhook accepted.", "table");

    private readonly TableEvents _events;
    private readonly HtableOptions _options;
    private readonly ILogger<EventWebhooks> _log;
    private readonly Dictionary<string, Channel<TableEvent>> _queues = new(StringComparer.Ordinal);
    private long _dropped;
    private long _failed;
    private long _delivered;

    /// <summary>Creates the senders of the configured webhooks.</summary>
    public EventWebhooks(TableEvents events, NodeSettings settings, ILogger<EventWebhooks> log)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _events = events;
        _options = settings.Htable;
        _log = log;
        foreach (var table in _options.Webhooks.Keys)
        {
            var t = table;
            _queues[table] = Channel.CreateBounded<TableEvent>(new BoundedChannelOptions(QueueLength) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true }, _ => Drop(t));
        }
    }

    /// <summary>Events dropped since start.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Failed requests since start.</summary>
    public long FailedAttempts => Interlocked.Read(ref _failed);

    /// <summary>Events delivered since start.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Subscribed before the start returns (ExecuteAsync runs later, on the thread pool), so no
        // event delivered after the node started is missed.
        if (_queues.Count > 0)
            _events.Raised += OnEvent;
        return base.StartAsync(cancellationToken);
    }

    // An event is posted by the node that raised it (every member delivers the others' events to
    // its subscribers too), so a webhook configured on every node gets it once per cluster.
    private void OnEvent(TableEvent e)
    {
        if (e.OriginNode != _events.NodeId)
            return;
        if (_queues.TryGetValue(e.Table, out var q))
            q.Writer.TryWrite(e);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_queues.Count == 0)
            return;
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        try
        {
            await Task.WhenAll(_queues.Select(q => SendAllAsync(http, q.Key, new Uri(_options.Webhooks[q.Key]), q.Value.Reader, stoppingToken))).ConfigureAwait(false);
        }
        finally
        {
            _events.Raised -= OnEvent;
        }
    }

    private void Drop(string table)
    {
        Interlocked.Increment(ref _dropped);
        DroppedMetric.WithLabels(table).Inc();
    }

    private async Task SendAllAsync(HttpClient http, string table, Uri url, ChannelReader<TableEvent> queue, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var e in queue.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                var body = Body(e);
                var sent = false;
                for (var attempt = 1; attempt <= _options.WebhookAttempts && !sent; attempt++)
                {
                    if (attempt > 1)
                        await Task.Delay(TimeSpan.FromMilliseconds(_options.WebhookBackoffMs * Math.Pow(2, attempt - 2)), cancellationToken).ConfigureAwait(false);
                    sent = await PostAsync(http, table, url, body, attempt, cancellationToken).ConfigureAwait(false);
                }
                if (sent)
                {
                    Interlocked.Increment(ref _delivered);
                    DeliveredMetric.WithLabels(table).Inc();
                }
                else
                {
                    Drop(table);
                    LogDropped(_log, e.Route, e.Sequence, _options.WebhookAttempts);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The node is stopping.
        }
    }

    private async Task<bool> PostAsync(HttpClient http, string table, Uri url, string body, int attempt, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.WebhookTimeoutMs);
        try
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(url, content, timeout.Token).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
                return true;
            LogFailed(_log, table, attempt, "HTTP " + (int)response.StatusCode);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogFailed(_log, table, attempt, $"no answer within {_options.WebhookTimeoutMs} ms");
        }
        catch (HttpRequestException ex)
        {
            LogFailed(_log, table, attempt, ex.Message);
        }
        Interlocked.Increment(ref _failed);
        FailedMetric.WithLabels(table).Inc();
        return false;
    }

    // The SSE data of the event with its route and this node's sequence number.
    private static string Body(TableEvent e)
    {
        var sse = EventStream.Format(e);
        var data = sse[(sse.IndexOf("data: ", StringComparison.Ordinal) + "data: ".Length)..].TrimEnd('\n');
        return $"{{\"event\":{System.Text.Json.JsonSerializer.Serialize(e.Route)},\"id\":{e.Sequence},\"data\":{data}}}";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook of {Table}: attempt {Attempt} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string table, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook dropped {Route} (id {Id}) after {Attempts} attempts")]
    private static partial void LogDropped(ILogger logger, string route, long id, int attempts);
}
