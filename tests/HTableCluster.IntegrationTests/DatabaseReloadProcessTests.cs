using System.Globalization;
using System.Text.Json;
using HTableCluster.Tests.Support;
using Xunit.Abstractions;

namespace HTableCluster.IntegrationTests;

/// <summary>
/// <c>htable.reload</c> of a large table in a node process, which runs socket completions on the
/// epoll threads (<c>Rpc:InlineIo</c>, on by default): the COPY reader continues there, so a
/// synchronous read in it (Npgsql's <c>IsNull</c> when a column's length was not buffered yet) waited
/// for an event only that same thread delivers, and the reload failed after the 2-minute read timeout
/// with the server's COPY in <c>ClientWrite</c>.
/// </summary>
public sealed class DatabaseReloadProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Rows = 1_000_000;
    private const int Reloads = 6;

    private readonly PostgresServer _server = new();

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Repeated_reloads_of_a_million_rows_with_null_columns_all_succeed()
    {
        var cs = await _server.CreateDatabaseAsync("bigreload");
        var (code, _, err) = await PublishedNode.RunAsync(TimeSpan.FromSeconds(60), "db", "init", "--db-url", cs);
        Assert.True(code == 0, "htcluster db init: " + err);
        // Every 1000th row has a NULL key_type (loaded as 0), every 1000th a NULL key_value (skipped).
        await PostgresServer.ExecuteAsync(cs, $"""
            ALTER TABLE htable ALTER COLUMN key_type DROP NOT NULL, ALTER COLUMN key_value DROP NOT NULL;
            INSERT INTO htable (key_name, key_type, value_type, key_value, expires)
              SELECT lpad(g::text, 16, 'k'), CASE WHEN g % 1000 = 1 THEN NULL ELSE 0 END, 0,
                     CASE WHEN g % 1000 = 2 THEN NULL ELSE lpad(g::text, 64, 'v') END, 0
              FROM generate_series(1, {Rows}) g;
            ANALYZE htable;
            """);
        await using var node = await NodeProcess.StartAsync("--node-id", "reload1", "--db-url", cs, "--table", "db=>size=8;dbtable=htable");
        await node.WaitReadyAsync(TimeSpan.FromSeconds(120));
        var expected = Rows - Rows / 1000;
        for (var i = 1; i <= Reloads; i++)
        {
            // A stalled read fails the call (60 s HTTP timeout) or answers "Htable reload failed" after 2 minutes.
            var reply = await node.CallAsync("htable.reload", "db");
            Assert.True(reply.TryGetProperty("result", out var result), $"reload {i}: {reply}\n{node.Log}");
            Assert.Equal("Ok. Htable reloaded.", result.GetString());
            Assert.Contains($"Table db: reloaded {expected.ToString(CultureInfo.InvariantCulture)} rows", node.Log, StringComparison.Ordinal);
            output.WriteLine($"reload {i}: {result.GetString()}");
        }
        var item = (await ResultAsync(node, "htable.get", "db", "kkkkkkkkkk123456")).GetProperty("item");
        Assert.Equal(new string('v', 58) + "123456", item.GetProperty("value").GetString());
        var nullType = (await ResultAsync(node, "htable.get", "db", "kkkkkkkkkk123001")).GetProperty("item");
        Assert.Equal(new string('v', 58) + "123001", nullType.GetProperty("value").GetString());
        Assert.False((await node.CallAsync("htable.get", "db", "kkkkkkkkkk123002")).TryGetProperty("result", out _));
    }

    private static async Task<JsonElement> ResultAsync(NodeProcess node, string method, params object?[] parameters)
    {
        var reply = await node.CallAsync(method, parameters);
        Assert.True(reply.TryGetProperty("result", out var result), $"{method}: {reply}");
        return result;
    }
}
