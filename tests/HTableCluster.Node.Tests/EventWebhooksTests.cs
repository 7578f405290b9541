using System.Net;
using System.Net.Sockets;
using System.Text;
using HTableCluster.Node.Configuration;
using HTableCluster.Node.Tables;
using HTableCluster.Replication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;

namespace HTableCluster.Node.Tests;

/// <summary>A table's webhook: delivered, retried with backoff, then dropped and counted; never blocking delivery.</summary>
public sealed class EventWebhooksTests
{
    // Fired by this node ("local" is the node id of TableEvents without settings) unless said otherwise.
    private static EventProtocol.Fired Expired(string table, int i, string origin = "local") =>
        new(EventProtocol.EventKind.Expired, table, "k" + i, false, 0, "v" + i, i + 1, origin, 1_764_806_400_000);

    private static NodeSettings Settings(string table, string url, int timeoutMs, int attempts) =>
        NodeSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Htable:Tables:0"] = table + "=>size=4;autoexpire=60",
            [$"Htable:Webhooks:{table}"] = url,
            ["Htable:WebhookTimeoutMs"] = timeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Htable:WebhookAttempts"] = attempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Htable:WebhookBackoffMs"] = "50",
        }).Build());

    private static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        for (var i = 0; i < 300 && !condition(); i++)
            await Task.Delay(100);
        Assert.True(condition(), what);
    }

    private static async Task<string> MetricsTextAsync()
    {
        using var stream = new MemoryStream();
        await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public async Task An_accepting_endpoint_gets_the_event_as_json()
    {
        await using var server = new FakeEndpoint(200);
        var events = new TableEvents(NullLogger<TableEvents>.Instance);
        using var hooks = new EventWebhooks(events, Settings("whok", server.Url, 5000, 3), NullLogger<EventWebhooks>.Instance);
        await hooks.StartAsync(CancellationToken.None);
        events.Deliver(Expired("whok", 0, origin: "n2")); // n2 posts it to its own webhook
        events.Deliver(Expired("whok", 1));
        await EventuallyAsync(() => hooks.Delivered == 1, "the event was delivered");
        var body = server.Bodies.Single();
        Assert.Contains("\"event\":\"htable:expired:whok\"", body, StringComparison.Ordinal);
        Assert.Contains("\"key\":\"k1\"", body, StringComparison.Ordinal);
        Assert.Contains("\"node\":\"local\"", body, StringComparison.Ordinal);
        await hooks.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task An_endpoint_answering_500_is_retried_then_the_event_is_dropped_and_counted()
    {
        await using var server = new FakeEndpoint(500);
        var events = new TableEvents(NullLogger<TableEvents>.Instance);
        using var hooks = new EventWebhooks(events, Settings("wh500", server.Url, 5000, 3), NullLogger<EventWebhooks>.Instance);
        await hooks.StartAsync(CancellationToken.None);
        events.Deliver(Expired("wh500", 1));
        await EventuallyAsync(() => hooks.Dropped == 1, "the event was dropped");
        Assert.Equal(3, server.Bodies.Count);
        Assert.Equal(3, hooks.FailedAttempts);
        Assert.Equal(0, hooks.Delivered);
        Assert.Contains("htcluster_event_webhook_dropped_total{table=\"wh500\"} 1", await MetricsTextAsync(), StringComparison.Ordinal);
        await hooks.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task An_endpoint_that_hangs_never_blocks_delivery_and_its_overflow_is_dropped_and_counted()
    {
        await using var server = new FakeEndpoint(null);
        var events = new TableEvents(NullLogger<TableEvents>.Instance);
        using var hooks = new EventWebhooks(events, Settings("whhang", server.Url, 300, 2), NullLogger<EventWebhooks>.Instance);
        await hooks.StartAsync(CancellationToken.None);
        var total = EventWebhooks.QueueLength + 500;
        for (var i = 0; i < total; i++)
            events.Deliver(Expired("whhang", i));
        // Delivery returned at once: the queue took what fits, the rest was dropped.
        Assert.True(hooks.Dropped >= total - EventWebhooks.QueueLength - 1);
        await EventuallyAsync(() => hooks.FailedAttempts >= 2 && hooks.Dropped >= total - EventWebhooks.QueueLength, "the first queued event timed out twice and was dropped");
        Assert.Equal(0, hooks.Delivered);
        Assert.Contains("htcluster_event_webhook_dropped_total{table=\"whhang\"}", await MetricsTextAsync(), StringComparison.Ordinal);
        await hooks.StopAsync(CancellationToken.None);
    }

    /// <summary>A loopback HTTP endpoint answering every request with one status, or never (null).</summary>
    private sealed class FakeEndpoint : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly List<string> _bodies = [];
        private readonly Task _loop;

        public FakeEndpoint(int? status)
        {
            _listener.Start();
            Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/hook";
            _loop = RunAsync(status);
        }

        public string Url { get; }

        public List<string> Bodies
        {
            get
            {
                lock (_bodies)
                    return [.. _bodies];
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try
            {
                await _loop;
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
            _stop.Dispose();
        }

        private async Task RunAsync(int? status)
        {
            var held = new List<TcpClient>();
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    if (status is not { } code)
                    {
                        held.Add(client); // never answered
                        continue;
                    }
                    using (client)
                    {
                        var stream = client.GetStream();
                        var body = await ReadRequestBodyAsync(stream, _stop.Token);
                        lock (_bodies)
                            _bodies.Add(body);
                        var reply = Encoding.ASCII.GetBytes($"HTTP/1.1 {code} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                        await stream.WriteAsync(reply, _stop.Token);
                    }
                }
            }
            finally
            {
                foreach (var c in held)
                    c.Dispose();
            }
        }

        private static async Task<string> ReadRequestBodyAsync(NetworkStream stream, CancellationToken ct)
        {
            var buffer = new List<byte>();
            var chunk = new byte[4096];
            int headerEnd;
            while ((headerEnd = IndexOfHeaderEnd(buffer)) < 0)
            {
                var n = await stream.ReadAsync(chunk, ct);
                if (n == 0)
                    return "";
                buffer.AddRange(chunk.AsSpan(0, n));
            }
            var headers = Encoding.ASCII.GetString([.. buffer.Take(headerEnd)]);
            var line = headers.Split("\r\n").First(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
            var length = int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            while (buffer.Count < headerEnd + 4 + length)
            {
                var n = await stream.ReadAsync(chunk, ct);
                if (n == 0)
                    break;
                buffer.AddRange(chunk.AsSpan(0, n));
            }
            return Encoding.UTF8.GetString([.. buffer.Skip(headerEnd + 4).Take(length)]);
        }

        private static int IndexOfHeaderEnd(List<byte> b)
        {
            for (var i = 0; i + 3 < b.Count; i++)
            {
                if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n')
                    return i;
            }
            return -1;
        }
    }
}
