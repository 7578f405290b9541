using System.Text.Json;
using HTableCluster.Node.Tables;
using Microsoft.Extensions.DependencyInjection;

namespace HTableCluster.Node.Tests;

/// <summary>The event routes: htable:mod-init and htable:expired:&lt;table&gt; reach subscribers.</summary>
public sealed class EventsTests(NodeFixture node) : IClassFixture<NodeFixture>
{
    [Fact]
    public async Task Expired_items_reach_event_stream_subscribers_with_key_and_value()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(node.RpcUrl, "/events?table=e"));
        using var response = await node.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        Assert.StartsWith(":", await reader.ReadLineAsync(cts.Token), StringComparison.Ordinal);

        await node.ResultAsync("htable.sets", "a", "stays", "x");
        await node.ResultAsync("htable.seti", "e", "gone", 42);
        node.Time.Advance(TimeSpan.FromSeconds(6));

        string? name = null, data = null;
        while (data is null)
        {
            var line = await reader.ReadLineAsync(cts.Token) ?? throw new InvalidOperationException("stream ended");
            if (line.StartsWith("event: ", StringComparison.Ordinal))
                name = line["event: ".Length..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
                data = line["data: ".Length..];
        }
        Assert.Equal("htable:expired:e", name);
        using var doc = JsonDocument.Parse(data);
        Assert.Equal("gone", doc.RootElement.GetProperty("key").GetString());
        Assert.Equal(42, doc.RootElement.GetProperty("value").GetInt64());
        Assert.Equal("int", doc.RootElement.GetProperty("type").GetString());
        Assert.True(doc.RootElement.GetProperty("version").GetInt64() > 0);
        Assert.False(string.IsNullOrEmpty(doc.RootElement.GetProperty("node").GetString()));
        Assert.Equal("x", (await node.ResultAsync("htable.value", "a", "stays")).GetString());
    }

    [Theory]
    [InlineData("nosuch")]
    [InlineData("E")]
    public async Task An_unknown_table_is_404_with_a_json_error(string table)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await node.Http.GetAsync(new Uri(node.RpcUrl, "/events?table=" + table), HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cts.Token));
        Assert.Equal("No such htable", doc.RootElement.GetProperty("error").GetString());
        Assert.Equal(table, doc.RootElement.GetProperty("table").GetString());
    }

    [Fact]
    public async Task A_subscriber_that_stops_reading_its_socket_is_disconnected_while_the_others_get_every_event()
    {
        var events = node.Services.GetRequiredService<TableEvents>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var disconnectedBefore = await DisconnectedCountAsync(cts.Token);
        var readersBefore = events.Readers;

        // A client that sends its request and never reads: its socket buffers fill and the
        // server's writes to it wait.
        using var stalled = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await stalled.ConnectAsync("127.0.0.1", node.RpcUrl.Port, cts.Token);
        await stalled.SendAsync(System.Text.Encoding.ASCII.GetBytes("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), cts.Token);

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(node.RpcUrl, "/events"));
        using var response = await node.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        while (events.Readers < readersBefore + 2)
            await Task.Delay(20, cts.Token);

        // The healthy client counts the events of this test (its keys start with "stall-").
        var received = 0;
        var expectedNext = 0;
        var healthy = Task.Run(async () =>
        {
            while (await reader.ReadLineAsync(cts.Token) is { } line)
            {
                var at = line.IndexOf("\"key\":\"stall-", StringComparison.Ordinal);
                if (at < 0)
                    continue;
                var start = at + "\"key\":\"stall-".Length;
                var n = int.Parse(line.AsSpan(start, line.IndexOf('"', start) - start), System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal(expectedNext, n);
                expectedNext++;
                Volatile.Write(ref received, expectedNext);
            }
        }, cts.Token);

        // More events than a reader may fall behind, 1 KiB each, paced so that the healthy client
        // keeps up (it reads everything; the stalled one reads nothing).
        var total = TableEvents.ReaderQueueLength + TableEvents.RingLength + 6_000;
        var value = new string('v', 1024);
        for (var sent = 0; sent < total;)
        {
            for (var i = 0; i < 500 && sent < total; i++, sent++)
                events.Deliver(new Replication.EventProtocol.Fired(Replication.EventProtocol.EventKind.Expired, "e", "stall-" + sent, false, 0, value, sent + 1, "n9", 1_764_806_400_000));
            while (Volatile.Read(ref received) < sent && !healthy.IsCompleted)
                await Task.Delay(5, cts.Token);
        }
        Assert.Equal(total, Volatile.Read(ref received));

        // The stalled client was disconnected: what its socket holds ends with the connection closed.
        var buffer = new byte[64 * 1024];
        long read = 0;
        while (true)
        {
            int n;
            try
            {
                n = await stalled.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, cts.Token);
            }
            catch (System.Net.Sockets.SocketException)
            {
                break; // reset
            }
            if (n == 0)
                break;
            read += n;
        }
        Assert.True(read < (long)total * 1024, $"the stalled client could read {read} bytes: it was not cut off");
        Assert.True(await DisconnectedCountAsync(cts.Token) > disconnectedBefore);
        while (events.Readers > readersBefore + 1)
            await Task.Delay(20, cts.Token);
    }

    private async Task<double> DisconnectedCountAsync(CancellationToken ct)
    {
        var text = await node.Http.GetStringAsync(new Uri(node.RpcUrl, "/metrics"), ct);
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("htcluster_events_subscribers_disconnected_total ", StringComparison.Ordinal))
                return double.Parse(line.AsSpan("htcluster_events_subscribers_disconnected_total ".Length), System.Globalization.CultureInfo.InvariantCulture);
        }
        return 0;
    }

    // Reads SSE events (id, name, data) until `count` events matching `keep` arrived.
    private static async Task<List<(long Id, string Name, JsonElement Data)>> ReadEventsAsync(StreamReader reader, int count, Func<string, JsonElement, bool> keep, CancellationToken ct)
    {
        var events = new List<(long Id, string Name, JsonElement Data)>();
        long id = 0;
        string? name = null;
        while (events.Count < count)
        {
            var line = await reader.ReadLineAsync(ct) ?? throw new InvalidOperationException("stream ended");
            if (line.StartsWith("id: ", StringComparison.Ordinal))
                id = long.Parse(line["id: ".Length..], System.Globalization.CultureInfo.InvariantCulture);
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
                name = line["event: ".Length..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                var data = JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone();
                if (keep(name!, data))
                    events.Add((id, name!, data));
                id = 0;
            }
        }
        return events;
    }

    private async Task<StreamReader> OpenAsync(string query, string? lastEventId, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(node.RpcUrl, "/events" + query));
        if (lastEventId is not null)
            request.Headers.Add("Last-Event-ID", lastEventId);
        var response = await node.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        Assert.StartsWith(":", await reader.ReadLineAsync(ct), StringComparison.Ordinal);
        Assert.Equal("", await reader.ReadLineAsync(ct));
        return reader;
    }

    [Fact]
    public async Task A_client_resuming_with_Last_Event_ID_gets_what_it_missed_once_and_nothing_it_had()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var events = node.Services.GetRequiredService<TableEvents>();
        bool Resume(string name, JsonElement d) => name == "htable:expired:e" && d.GetProperty("key").GetString()!.StartsWith("resume-", StringComparison.Ordinal);

        List<(long Id, string Name, JsonElement Data)> first;
        using (var reader = await OpenAsync("?table=e&type=expired", null, cts.Token))
        {
            for (var i = 0; i < 3; i++)
                await node.ResultAsync("htable.sets", "e", "resume-a" + i, "v");
            node.Time.Advance(TimeSpan.FromSeconds(6));
            first = await ReadEventsAsync(reader, 3, Resume, cts.Token);
        }
        // Disconnected: these expire while nobody listens.
        var before = events.NextSequence;
        for (var i = 0; i < 3; i++)
            await node.ResultAsync("htable.sets", "e", "resume-b" + i, "v");
        node.Time.Advance(TimeSpan.FromSeconds(6));
        while (events.NextSequence < before + 3)
            await Task.Delay(50, cts.Token);

        var last = first.Max(e => e.Id);
        using var resumed = await OpenAsync("?table=e&type=expired", last.ToString(System.Globalization.CultureInfo.InvariantCulture), cts.Token);
        var second = await ReadEventsAsync(resumed, 3, Resume, cts.Token);

        Assert.Equal(["resume-a0", "resume-a1", "resume-a2"], first.Select(e => e.Data.GetProperty("key").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(["resume-b0", "resume-b1", "resume-b2"], second.Select(e => e.Data.GetProperty("key").GetString()).Order(StringComparer.Ordinal));
        Assert.All(second, e => Assert.True(e.Id > last));
        Assert.Equal(second.Count, second.Select(e => e.Id).Distinct().Count());
    }

    [Fact]
    public async Task A_Last_Event_ID_the_ring_does_not_hold_gets_a_gap_event_first()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var reader = await OpenAsync("", "99999999999", cts.Token);
        Assert.Equal("event: gap", await reader.ReadLineAsync(cts.Token));
        var data = await reader.ReadLineAsync(cts.Token);
        Assert.StartsWith("data: {\"after\":99999999999,", data, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("?type=deleted", "")]
    [InlineData("", "abc")]
    public async Task A_bad_type_or_Last_Event_ID_is_400_with_a_json_error(string query, string lastEventId)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(node.RpcUrl, "/events" + query));
        if (lastEventId.Length > 0)
            request.Headers.Add("Last-Event-ID", lastEventId);
        using var response = await node.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cts.Token));
        Assert.False(string.IsNullOrEmpty(doc.RootElement.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task Embedded_readers_get_the_same_events_as_an_async_stream()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var events = node.Services.GetRequiredService<TableEvents>();
        var after = events.NextSequence - 1;
        await node.ResultAsync("htable.seti", "e", "embedded", 7);
        node.Time.Advance(TimeSpan.FromSeconds(6));
        await foreach (var e in events.ReadAllAsync(after, cts.Token))
        {
            if (e.Kind != TableEventKind.Expired || e.Key != "embedded")
                continue;
            Assert.Equal("e", e.Table);
            Assert.True(e.IsInteger);
            Assert.Equal(7, e.IntValue);
            Assert.True(e.Sequence > after);
            Assert.Equal("htable:expired:e", e.Route);
            break;
        }
    }

    [Fact]
    public void Mod_init_is_raised_once_the_tables_are_started() =>
        Assert.True(node.Services.GetRequiredService<TableEvents>().Initialized);
}
