using HTableCluster.Node.Database;
using HTableCluster.Node.Tables;
using HTableCluster.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace HTableCluster.Node.Tests;

/// <summary>htable.reload against a real PostgreSQL.</summary>
public sealed class DatabaseReloadTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    // What ../shared/kamailio/pg-seed.sh extra changes before the reference's reload is recorded.
    private const string Changes = "INSERT INTO htable (key_name, key_type, value_type, key_value, expires) VALUES ('added_after_start', 0, 0, 'reloaded', 0); UPDATE htable SET key_value = 'hello2' WHERE key_name = 's1'; DELETE FROM htable WHERE key_name = 'neg';";

    private static async Task<ClusterNode> StartAsync(string id, string cs, ClusterNode? seed = null, string table = "db=>size=8;dbtable=htable")
    {
        var node = await ClusterNode.StartAsync(id, [table, "m=>size=4"], seed, new Dictionary<string, string?> { ["Htable:DbUrl"] = cs });
        await node.WaitReadyAsync(Wait);
        return node;
    }

    [Fact]
    public async Task Reload_replaces_memory_changes_by_the_database_content_and_raises_reloaded()
    {
        var cs = await SharedPostgres.DatabaseAsync();
        await using var node = await StartAsync("rl1", cs);
        var reloaded = new List<string>();
        node.Services.GetRequiredService<TableEvents>().Reloaded += t => { lock (reloaded) reloaded.Add(t.Name); };
        await node.ResultAsync("htable.sets", "db", "tmp", "x");
        await PostgresServer.ExecuteAsync(cs, Changes);

        Assert.Equal("Ok. Htable reloaded.", (await node.ResultAsync("htable.reload", "db")).GetString());

        var db = node.Node.Table("db");
        Assert.Null(db.Get("tmp"));
        Assert.Null(db.Get("neg"));
        Assert.Equal("hello2", db.Get("s1")!.StringValue);
        Assert.Equal("reloaded", db.Get("added_after_start")!.StringValue);
        Assert.Equal(3, db.Get("arr::size")!.IntValue);
        lock (reloaded)
            Assert.Equal(["db"], reloaded);
    }

    [Fact]
    public async Task Readers_never_miss_a_key_that_is_in_both_contents_while_reloads_and_writes_run()
    {
        var cs = await SharedPostgres.DatabaseAsync(SharedPostgres.SeedRows + "INSERT INTO htable (key_name, key_value) SELECT 'bulk' || g, 'v' || g FROM generate_series(1, 20000) g;");
        await using var node = await StartAsync("rl2", cs);
        var db = node.Node.Table("db");
        using var stop = new CancellationTokenSource();
        var misses = 0;
        long reads = 0;
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                for (var i = 1; i <= 20000; i += 997)
                {
                    if (db.Get("bulk" + i) is null)
                        Interlocked.Increment(ref misses);
                    reads++;
                }
            }
        });
        var writes = 0;
        for (var round = 0; round < 5; round++)
        {
            var reload = node.ResultAsync("htable.reload", "db");
            while (!reload.IsCompleted)
            {
                await db.SetStringAsync("w" + writes, "during");
                writes++;
            }
            Assert.Equal("Ok. Htable reloaded.", (await reload).GetString());
        }
        await stop.CancelAsync();
        await reader;
        Assert.Equal(0, misses);
        Assert.True(reads > 0);
        Assert.Equal(20000 + 11, db.Table.Items().Count(e => !e.Key.StartsWith('w')));
    }

    [Fact]
    public async Task A_failed_reload_leaves_the_table_as_it_was()
    {
        var cs = await SharedPostgres.DatabaseAsync();
        await using var node = await StartAsync("rl3", cs);
        await node.ResultAsync("htable.sets", "db", "tmp", "x");
        await PostgresServer.ExecuteAsync(cs, "ALTER TABLE htable RENAME TO htable_gone;");

        var (code, message) = await node.ErrorAsync("htable.reload", "db");
        Assert.Equal((500, "Htable reload failed"), (code, message));
        Assert.Equal("x", node.Node.Table("db").Get("tmp")!.StringValue);
        Assert.Equal("hello", node.Node.Table("db").Get("s1")!.StringValue);
    }

    [Fact]
    public async Task In_a_cluster_a_reload_is_local_to_the_node_it_runs_on()
    {
        var cs = await SharedPostgres.DatabaseAsync();
        const string Replicated = "db=>size=8;dbtable=htable;dmqreplicate=1";
        await using var n1 = await StartAsync("rlc1", cs, table: Replicated);
        await using var n2 = await StartAsync("rlc2", cs, n1, Replicated);
        await n1.ResultAsync("htable.sets", "db", "tmp", "x");
        await ClusterNode.EventuallyAsync(() =>
        {
            Assert.Equal("x", n2.Node.Table("db").Get("tmp")?.StringValue);
            return Task.CompletedTask;
        }, Wait);
        await PostgresServer.ExecuteAsync(cs, Changes);

        await n1.ResultAsync("htable.reload", "db");

        Assert.Null(n1.Node.Table("db").Get("tmp"));
        Assert.Equal("hello2", n1.Node.Table("db").Get("s1")!.StringValue);
        Assert.Equal("x", n2.Node.Table("db").Get("tmp")!.StringValue);  // peers keep their copies
        Assert.Equal("hello", n2.Node.Table("db").Get("s1")!.StringValue);
        // Replication goes on as before.
        await n1.ResultAsync("htable.sets", "db", "after", "1");
        await ClusterNode.EventuallyAsync(() =>
        {
            Assert.Equal("1", n2.Node.Table("db").Get("after")?.StringValue);
            return Task.CompletedTask;
        }, Wait);
    }

    private static async Task<List<string>> DatabaseItemsAsync(string cs)
    {
        await using var c = new NpgsqlConnection(cs);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT key_name || '=' || key_value FROM htable WHERE key_name <> 'badint' ORDER BY 1", c);
        await using var r = await cmd.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await r.ReadAsync())
            rows.Add(r.GetString(0));
        return rows;
    }

    private static List<string> MemoryItems(TableClient table) =>
        table.Table.Items().Where(e => !e.IsTombstone).Select(e => e.Key + "=" + e.ValueText).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task A_reload_started_during_a_store_waits_for_it_and_the_database_and_the_table_agree_afterwards()
    {
        var cs = await SharedPostgres.DatabaseAsync();
        await using var node = await StartAsync("rl5", cs, table: "db=>size=8;dbtable=htable;dbmode=1");
        var db = node.Node.Table("db");
        // Memory and database differ both ways before they run.
        await node.ResultAsync("htable.sets", "db", "slow", "1");
        await node.ResultAsync("htable.sets", "db", "mem", "only in memory");
        await node.ResultAsync("htable.delete", "db", "s1");
        await PostgresServer.ExecuteAsync(cs, """
            UPDATE htable SET key_value = 'only in the database' WHERE key_name = 'sp';
            CREATE FUNCTION slow_insert() RETURNS trigger AS $$ BEGIN IF NEW.key_name = 'slow' THEN PERFORM pg_sleep(1); END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER slow BEFORE INSERT ON htable FOR EACH ROW EXECUTE FUNCTION slow_insert();
            """);
        var database = new NpgsqlConnectionStringBuilder(cs).Database;
        var server = await SharedPostgres.GetAsync();

        var store = node.ResultAsync("htable.store", "db");
        // The store's COPY is running (held up by the trigger) when the reload starts.
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            await using var c = new NpgsqlConnection(server.AdminConnectionString);
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"SELECT count(*) FROM pg_stat_activity WHERE datname = '{database}' AND state = 'active' AND query LIKE 'COPY%FROM STDIN%'", c);
            if ((long)(await cmd.ExecuteScalarAsync())! > 0)
                break;
            Assert.True(DateTime.UtcNow < deadline, "the store's COPY was not seen running");
            Assert.False(store.IsCompleted, "the store ended before its COPY was seen");
            await Task.Delay(20);
        }
        var reload = node.ResultAsync("htable.reload", "db");

        Assert.Equal("Ok. Htable successfully stored to DB.", (await store).GetString());
        Assert.Equal("Ok. Htable reloaded.", (await reload).GetString());
        var inDatabase = await DatabaseItemsAsync(cs);
        Assert.Equal(inDatabase, MemoryItems(db));
        // The reload came second: it read what the store wrote.
        Assert.Contains("mem=only in memory", inDatabase);
        Assert.DoesNotContain(inDatabase, r => r.StartsWith("s1=", StringComparison.Ordinal));
        Assert.Equal("with space|pipe", db.Get("sp")!.StringValue);
    }

    [Fact]
    public async Task Reloadat_reloads_the_table_every_interval_and_raises_reloaded_each_time()
    {
        var cs = await SharedPostgres.DatabaseAsync();
        await using var node = await StartAsync("rl6", cs, table: "db=>size=8;dbtable=htable;reloadat=1");
        var db = node.Node.Table("db");
        var seen = new List<string?>();
        var tables = new HashSet<string>();
        node.Services.GetRequiredService<TableEvents>().Reloaded += t =>
        {
            lock (seen)
            {
                tables.Add(t.Name);
                if (t.Name == "db")
                    seen.Add(db.Get("s1")?.StringValue);
            }
        };
        await node.ResultAsync("htable.sets", "db", "tmp", "x");
        await PostgresServer.ExecuteAsync(cs, "UPDATE htable SET key_value = 'periodic' WHERE key_name = 's1';");

        // The next reload brings the row in, drops the memory-only key and raises the event.
        await ClusterNode.EventuallyAsync(() =>
        {
            lock (seen)
                Assert.Contains("periodic", seen);
            Assert.Equal("periodic", db.Get("s1")?.StringValue);
            Assert.Null(db.Get("tmp"));
            return Task.CompletedTask;
        }, Wait);
        // And it goes on: a later change arrives by itself too.
        await PostgresServer.ExecuteAsync(cs, "UPDATE htable SET key_value = 'again' WHERE key_name = 's1';");
        await ClusterNode.EventuallyAsync(() =>
        {
            lock (seen)
                Assert.Contains("again", seen);
            return Task.CompletedTask;
        }, Wait);
        Assert.True(node.Services.GetRequiredService<TableReloadTimer>().Reloads >= 2);
        // The other table of the node (no reloadat) is not reloaded.
        lock (seen)
            Assert.Equal(["db"], tables);
    }
}
