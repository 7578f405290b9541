using System.Collections.Concurrent;
using Akka.Actor;
using HTableCluster.Node.Configuration;
using HTableCluster.Node.Database;
using HTableCluster.Node.Tables;
using HTableCluster.Storage;
using HTableCluster.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace HTableCluster.Node.Tests;

/// <summary>Tables with a dbtable preload from a real PostgreSQL when the node starts.</summary>
public sealed class DatabasePreloadTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static async Task<string> ReadyBodyAsync(NodeFixture node)
    {
        using var response = await node.Http.GetAsync(new Uri(node.RpcUrl, "/health/ready"));
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Kamailio_rows_are_loaded_at_start_and_mod_init_comes_after_them()
    {
        var cs = await SharedPostgres.DatabaseAsync();
        var preloadedWhenModInit = -1L;
        await using var node = await ClusterNode.StartAsync("pre1", ["db=>size=8;dbtable=htable", "m=>size=4"], settings: new Dictionary<string, string?> { ["Htable:DbUrl"] = cs });
        var events = node.Services.GetRequiredService<TableEvents>();
        events.ModInit += () => preloadedWhenModInit = node.Node.Table("db").Table.RawCount;
        await node.WaitReadyAsync(Wait);

        var db = node.Node.Table("db");
        Assert.Equal("hello", db.Get("s1")!.StringValue);
        Assert.Equal(3, db.Get("arr::size")!.IntValue);
        Assert.Equal(2, db.Get("iarr::size")!.IntValue);
        Assert.Null(db.Get("badint")); // reported and skipped (Kamailio stores 0)
        Assert.Equal(0, db.Get("n1")!.Version);
        Assert.True(events.Initialized);
        Assert.True(preloadedWhenModInit is -1 or 11, $"mod-init saw {preloadedWhenModInit} items");
        Assert.Equal(11, db.Table.RawCount);

        // A write after the load wins over the loaded row.
        await db.SetStringAsync("s1", "mine");
        Assert.Equal("mine", db.Get("s1")!.StringValue);
    }

    [Fact]
    public async Task For_a_replicated_table_what_a_peer_sends_wins_over_the_loaded_rows()
    {
        var cs = await SharedPostgres.DatabaseAsync();
        const string Table = "db=>size=8;dbtable=htable;dmqreplicate=1";
        var settings = new Dictionary<string, string?> { ["Htable:DbUrl"] = cs };
        await using var n1 = await ClusterNode.StartAsync("prr1", [Table], null, settings);
        await n1.WaitReadyAsync(Wait);
        await n1.ResultAsync("htable.sets", "db", "s1", "changed on n1");
        await n1.ResultAsync("htable.delete", "db", "n1");

        // n2 loads the same rows at version 0; n1's snapshot brings the newer writes.
        await using var n2 = await ClusterNode.StartAsync("prr2", [Table], n1, settings);
        await n2.WaitReadyAsync(Wait);
        await ClusterNode.EventuallyAsync(() =>
        {
            Assert.Equal("changed on n1", n2.Node.Table("db").Get("s1")?.StringValue);
            Assert.Null(n2.Node.Table("db").Get("n1"));
            return Task.CompletedTask;
        }, Wait);
        Assert.Equal(3, n2.Node.Table("db").Get("arr::size")!.IntValue);
    }

    [Fact]
    public async Task A_store_called_during_the_preload_waits_for_it_and_keeps_every_row()
    {
        const int Rows = 300_000;
        var cs = await SharedPostgres.DatabaseAsync($"INSERT INTO htable (key_name, key_value) SELECT 'k' || g, 'v' || g FROM generate_series(1, {Rows}) g;");
        await using var node = await ClusterNode.StartAsync("pre5", ["db=>size=12;dbtable=htable;dbmode=1"], settings: new Dictionary<string, string?> { ["Htable:DbUrl"] = cs });
        var db = node.Node.Table("db");
        // Once the first rows are in, the preload holds the table's gate until the last one is.
        await ClusterNode.EventuallyAsync(() =>
        {
            Assert.True(db.Table.RawCount > 0);
            return Task.CompletedTask;
        }, Wait);

        Assert.Equal("Ok. Htable successfully stored to DB.", (await node.ResultAsync("htable.store", "db")).GetString());

        Assert.Equal(Rows, db.Table.RawCount);
        await using var c = new Npgsql.NpgsqlConnection(cs);
        await c.OpenAsync();
        await using var count = new Npgsql.NpgsqlCommand("SELECT count(*) FROM htable", c);
        Assert.Equal((long)Rows, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_missing_table_leaves_the_node_live_and_not_ready_until_the_table_appears()
    {
        var server = await SharedPostgres.GetAsync();
        var cs = await server.CreateDatabaseAsync("late");
        await using var node = await ClusterNode.StartAsync("pre2", ["db=>size=8;dbtable=htable", "m=>size=4"], settings: new Dictionary<string, string?> { ["Htable:DbUrl"] = cs });

        await ClusterNode.EventuallyAsync(async () =>
        {
            var body = await ReadyBodyAsync(node);
            Assert.Contains("table db still loading", body, StringComparison.Ordinal);
            Assert.Contains("does not exist", body, StringComparison.Ordinal);
        }, Wait);
        Assert.False(node.Services.GetRequiredService<TableEvents>().Initialized);
        // Other tables work meanwhile.
        await node.ResultAsync("htable.sets", "m", "k", "v");
        Assert.Equal("v", (await node.ResultAsync("htable.get", "m", "k")).GetProperty("item").GetProperty("value").GetString());

        await Storage.Postgres.HtableSchema.CreateAsync(cs);
        await PostgresServer.ExecuteAsync(cs, SharedPostgres.SeedRows);
        await node.WaitReadyAsync(Wait);
        Assert.Equal(42, node.Node.Table("db").Get("n1")!.IntValue);
        Assert.True(node.Services.GetRequiredService<TableEvents>().Initialized);
    }

    [Fact]
    public async Task A_database_that_is_down_at_start_is_loaded_once_it_is_up()
    {
        var server = new PostgresServer();
        await server.InitializeAsync();
        try
        {
            var cs = await server.CreateDatabaseAsync("down");
            await Storage.Postgres.HtableSchema.CreateAsync(cs);
            await PostgresServer.ExecuteAsync(cs, SharedPostgres.SeedRows);
            await server.StopForAWhileAsync();

            await using var node = await ClusterNode.StartAsync("pre4", ["db=>size=8;dbtable=htable", "m=>size=4"], settings: new Dictionary<string, string?> { ["Htable:DbUrl"] = cs });
            await ClusterNode.EventuallyAsync(async () => Assert.Contains("table db still loading", await ReadyBodyAsync(node), StringComparison.Ordinal), Wait);
            await node.ResultAsync("htable.sets", "m", "k", "v");

            await server.StartAgainAsync();
            await node.WaitReadyAsync(TimeSpan.FromSeconds(60));
            Assert.Equal("hello", node.Node.Table("db").Get("s1")!.StringValue);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task An_unreachable_database_is_a_reason_on_health_ready()
    {
        await using var node = await ClusterNode.StartAsync("pre3", ["db=>size=8;dbtable=htable"], settings: new Dictionary<string, string?> { ["Htable:DbUrl"] = "postgres://u:p@127.0.0.1:1/none" });
        await ClusterNode.EventuallyAsync(async () =>
        {
            var body = await ReadyBodyAsync(node);
            Assert.StartsWith("not ready:", body, StringComparison.Ordinal);
            Assert.Contains("table db still loading: cannot reach the database", body, StringComparison.Ordinal);
        }, Wait);
        using var live = await node.Http.GetAsync(new Uri(node.RpcUrl, "/health/live"));
        Assert.Equal(200, (int)live.StatusCode);
    }

    [Fact]
    public async Task Db_init_creates_kamailios_schema_and_reports_a_bad_url()
    {
        var server = await SharedPostgres.GetAsync();
        var cs = await server.CreateDatabaseAsync("init");
        var root = new System.CommandLine.RootCommand { DbCommand.Create() };
        Assert.Equal(0, await root.Parse(["db", "init", "--db-url", cs]).InvokeAsync());
        Assert.Equal(0, await root.Parse(["db", "init", "--db-url", cs]).InvokeAsync()); // idempotent
        await PostgresServer.ExecuteAsync(cs, SharedPostgres.SeedRows);
        Assert.Equal(1, await root.Parse(["db", "init", "--db-url", "mysql://u:p@h/db"]).InvokeAsync());
    }

    [Fact]
    public async Task The_preload_reaches_each_writer_in_messages_of_at_most_fetch_rows_rows()
    {
        const int Rows = 1000;
        const int FetchRows = 7;
        const int Partitions = 4;
        var cs = await SharedPostgres.DatabaseAsync($"INSERT INTO htable (key_name, key_value) SELECT 'k' || g, 'v' || g FROM generate_series(1, {Rows}) g;");
        var settings = NodeSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Htable:Tables:0"] = "db=>size=8;dbtable=htable",
            ["Htable:DbUrl"] = cs,
            ["Htable:FetchRows"] = FetchRows.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }).Build());
        var table = new HTable(settings.Tables[0], new HybridClock(TimeProvider.System), Partitions);
        using var system = ActorSystem.Create("fetchrows");
        // Writers that record the size of every load they get, then store it as the table's writer does.
        var loads = new ConcurrentQueue<(int Partition, int Rows)>();
        var writers = Enumerable.Range(0, Partitions).Select(p => system.ActorOf(Props.Create(() => new RecordingWriter(table.Partition(p), loads)))).ToArray();
        var node = new HTableNode();
        node.Start([new TableClient(table, writers, ((ExtendedActorSystem)system).Provider)], null);
        var events = new TableEvents(NullLogger<TableEvents>.Instance);
        var loader = new TableLoader(settings, new TableDatabase(settings), node, new TableGates(), new Readiness(), events, NullLogger<TableLoader>.Instance);

        await loader.StartAsync(CancellationToken.None);
        try
        {
            for (var i = 0; i < 600 && !events.Initialized; i++)
                await Task.Delay(50);
        }
        finally
        {
            await loader.StopAsync(CancellationToken.None);
        }

        Assert.True(events.Initialized);
        Assert.Equal(Rows, table.RawCount);
        Assert.Equal(Rows, loads.Sum(l => l.Rows));
        // fetch_rows is how many rows a writer takes at once: every message holds at most that
        // many, and only a partition's last one holds fewer.
        foreach (var group in loads.GroupBy(l => l.Partition))
        {
            var sizes = group.Select(l => l.Rows).ToList();
            Assert.All(sizes, n => Assert.InRange(n, 1, FetchRows));
            Assert.All(sizes.SkipLast(1), n => Assert.Equal(FetchRows, n));
        }
    }

    private sealed class RecordingWriter : ReceiveActor
    {
        public RecordingWriter(TablePartition partition, ConcurrentQueue<(int Partition, int Rows)> loads) =>
            Receive<TableProtocol.Load>(l =>
            {
                loads.Enqueue((partition.Index, l.Rows.Count));
                Sender.Tell(new TableProtocol.Loaded(l.Id, partition.Load(l.Rows)));
            });
    }
}
