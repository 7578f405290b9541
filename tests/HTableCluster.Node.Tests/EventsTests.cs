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
