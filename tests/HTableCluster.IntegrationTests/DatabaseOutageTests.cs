using System.Globalization;
using System.Text.Json;
using HTableCluster.Tests.Support;
using Npgsql;
using Xunit.Abstractions;

namespace HTableCluster.IntegrationTests;

/// <summary>
/// The database stopped and started under a node process with a <c>dbtable</c> table: while it is
/// down, htable.reload and htable.store fail with an error reply and the node keeps serving every
/// write; once it is back, both work and the stored rows are the node's content.
/// </summary>
public sealed class DatabaseOutageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly PostgresServer _server = new();

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Reload_and_store_fail_while_the_database_is_stopped_and_work_once_it_is_started_again()
    {
        var cs = await _server.CreateDatabaseAsync("outage");
        var (code, _, err) = await PublishedNode.RunAsync(TimeSpan.FromSeconds(60), "db", "init", "--db-url", cs);
        Assert.True(code == 0, "htcluster db init: " + err);
        await PostgresServer.ExecuteAsync(cs, PostgresServer.KamailioSeedRows);
        await using var node = await NodeProcess.StartAsync("--node-id", "db1", "--db-url", cs, "--table", "db=>size=8;dbtable=htable");
        Assert.Equal(42, (await ResultAsync(node, "htable.get", "db", "n1")).GetProperty("item").GetProperty("value").GetInt32());

        await _server.StopForAWhileAsync();
        var reload = await node.CallAsync("htable.reload", "db");
        var store = await node.CallAsync("htable.store", "db");
        Assert.Equal("Htable reload failed", reload.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("Storing htable failed", store.GetProperty("error").GetProperty("message").GetString());
        // The node keeps serving: writes are acknowledged and counted exactly while the database is down.
        var counter = 0L;
        for (var i = 0; i < 200; i++)
        {
            await ResultAsync(node, "htable.sets", "db", "k" + (i % 20).ToString(CultureInfo.InvariantCulture), "v" + i.ToString(CultureInfo.InvariantCulture));
            counter += 1 + (i % 3);
            Assert.Equal(counter, (await ResultAsync(node, "htable.inc", "db", "calls", 1 + (i % 3))).GetInt64());
        }
        await node.WaitReadyAsync(TimeSpan.FromSeconds(10));
        output.WriteLine("while the database was stopped: " + reload.GetProperty("error") + " / " + store.GetProperty("error") + "; 400 writes acknowledged");
        foreach (var line in new[] { "Table db: reload failed, the table is unchanged: cannot reach the database", "Table db: store failed (attempt 1), the database table keeps its rows: cannot reach the database" })
        {
            for (var i = 0; i < 50 && !node.Log.Contains(line, StringComparison.Ordinal); i++)
                await Task.Delay(100);
            Assert.Contains(line, node.Log, StringComparison.Ordinal);
        }
        output.WriteLine(LogLinesAbout(node.Log, "reload", "stor"));

        await _server.StartAgainAsync();
        var since = System.Diagnostics.Stopwatch.StartNew();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement stored;
        while (!(stored = await node.CallAsync("htable.store", "db")).TryGetProperty("result", out _))
        {
            Assert.True(DateTime.UtcNow < deadline, "htable.store still fails a minute after the database started again: " + stored + "\n" + node.Log);
            await Task.Delay(500);
        }
        Assert.Equal("Ok. Htable successfully stored to DB.", stored.GetProperty("result").GetString());
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"htable.store worked again {since.Elapsed.TotalSeconds:0.0} s after the database started"));
        var rows = await RowsAsync(cs);
        Assert.Contains("calls:0:1:" + counter.ToString(CultureInfo.InvariantCulture), rows);
        Assert.Contains("k19:0:0:v199", rows);
        Assert.Contains("n1:0:1:42", rows);
        Assert.Equal("Ok. Htable reloaded.", (await ResultAsync(node, "htable.reload", "db")).GetString());
        Assert.Equal(counter, (await ResultAsync(node, "htable.get", "db", "calls")).GetProperty("item").GetProperty("value").GetInt64());
        Assert.Equal("v199", (await ResultAsync(node, "htable.get", "db", "k19")).GetProperty("item").GetProperty("value").GetString());
    }

    private static async Task<JsonElement> ResultAsync(NodeProcess node, string method, params object?[] parameters)
    {
        var reply = await node.CallAsync(method, parameters);
        Assert.True(reply.TryGetProperty("result", out var result), $"{method}: {reply}");
        return result;
    }

    private static async Task<List<string>> RowsAsync(string cs)
    {
        await using var c = new NpgsqlConnection(cs);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT key_name || ':' || key_type || ':' || value_type || ':' || key_value FROM htable", c);
        await using var r = await cmd.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await r.ReadAsync())
            rows.Add(r.GetString(0));
        return rows;
    }

    private static string LogLinesAbout(string log, params string[] words) =>
        string.Join('\n', log.Split('\n').Where(l => words.Any(w => l.Contains(w, StringComparison.OrdinalIgnoreCase))).TakeLast(6));
}
