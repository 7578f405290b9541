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
    public void Mod_init_is_raised_once_the_tables_are_started() =>
        Assert.True(node.Services.GetRequiredService<TableEvents>().Initialized);
}
