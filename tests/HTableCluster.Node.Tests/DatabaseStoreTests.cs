using HTableCluster.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace HTableCluster.Node.Tests;

/// <summary>htable.store and the dbmode=1 shutdown store against a real PostgreSQL.</summary>
public sealed class DatabaseStoreTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static async Task<ClusterNode> StartAsync(string id, string cs, string table = "db=>size=8;dbtable=htable;dbmode=1")
    {
        var node = await ClusterNode.StartAsync(id, [table], settings: new Dictionary<string, string?> { ["Htable:DbUrl"] = cs });
        await node.WaitReadyAsync(Wait);
        return node;
    }

    // Every row as key:type:value type:value:expires (NULL as <null>), ordered by the given SQL.
    private static async Task<List<string>> RowsAsync(string cs, string orderBy = "key_name")
    {
        await using var c = new NpgsqlConnection(cs);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT coalesce(key_name, '<null>') || ':' || key_type || ':' || value_type || ':' || coalesce(key_value, '<null>') || ':' || expires FROM htable ORDER BY " + orderBy, c);
        await using var r = await cmd.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await r.ReadAsync())
            rows.Add(r.GetString(0));
        return rows;
    }

    [Fact]
    public async Task Store_writes_the_live_table_as_kamailio_rows_and_reload_reads_them_back()
    {
        var cs = await SharedPostgres.DatabaseAsync();
        await using var node = await StartAsync("st1", cs);
        await node.ResultAsync("htable.sets", "db", "st", "stored\tand\\escaped");
        await node.ResultAsync("htable.seti", "db", "si", -9);
        await node.ResultAsync("htable.delete", "db", "neg");

        Assert.Equal("Ok. Htable successfully stored to DB.", (await node.ResultAsync("htable.store", "db")).GetString());

        var rows = await RowsAsync(cs);
        Assert.Contains("si:0:1:-9:0", rows);
        Assert.Contains("st:0:0:stored\tand\\escaped:0", rows);
        Assert.Contains("arr[0]:0:0:x:0", rows);   // arrays come back as plain keys, as Kamailio writes them
        Assert.Contains("arr::size:0:1:3:0", rows);
        Assert.DoesNotContain(rows, r => r.StartsWith("neg:", StringComparison.Ordinal));
        Assert.Contains("badint:0:1:notanumber:0", rows);   // skipped by the load, kept by the store
        Assert.Equal(13, rows.Count);

        await node.ResultAsync("htable.flush", "db");
        await node.ResultAsync("htable.reload", "db");
        Assert.Equal("stored\tand\\escaped", node.Node.Table("db").Get("st")!.StringValue);
        Assert.Equal(-9, node.Node.Table("db").Get("si")!.IntValue);
    }

    // Rows a load skips, beside Kamailio's seed rows (which has 'badint' too): a NULL key, an empty
    // key, a NULL value, an integer beyond 64 bits; and rows that look odd but load.
    private const string OddRows = SharedPostgres.SeedRows + """
        ALTER TABLE htable ALTER COLUMN key_name DROP NOT NULL, ALTER COLUMN key_value DROP NOT NULL;
        INSERT INTO htable (key_name, key_type, value_type, key_value, expires) VALUES
         (NULL, 0, 0, 'orphan', 0), ('', 0, 0, 'nameless', 0), ('nullval', 0, 0, NULL, 0),
         ('huge', 0, 1, '9223372036854775808', 0), ('max', 0, 1, '9223372036854775807', 0),
         ('padded', 0, 1, ' 12 ', 0);
        """;

    private static readonly string[] SkippedRows =
    [
        "<null>:0:0:orphan:0", ":0:0:nameless:0", "nullval:0:0:<null>:0", "huge:0:1:9223372036854775808:0", "badint:0:1:notanumber:0",
    ];

    private static Task<List<string>> AllRowsAsync(string cs) => RowsAsync(cs, "1");

    [Fact]
    public async Task Store_keeps_the_rows_the_load_skipped_and_writes_the_others()
    {
        var cs = await SharedPostgres.DatabaseAsync(OddRows);
        await using var node = await StartAsync("st7", cs);
        var db = node.Node.Table("db");
        Assert.Equal(12, db.Get("padded")!.IntValue);
        Assert.Equal(long.MaxValue, db.Get("max")!.IntValue);
        Assert.Null(db.Get("huge"));
        await node.ResultAsync("htable.sets", "db", "new", "1");
        await node.ResultAsync("htable.delete", "db", "neg");

        Assert.Equal("Ok. Htable successfully stored to DB.", (await node.ResultAsync("htable.store", "db")).GetString());

        var rows = await AllRowsAsync(cs);
        foreach (var skipped in SkippedRows)
            Assert.Single(rows, skipped);
        Assert.Contains("new:0:0:1:0", rows);
        Assert.Contains("padded:0:1:12:0", rows);          // rewritten from memory, the original row gone
        Assert.DoesNotContain("padded:0:1: 12 :0", rows);
        Assert.Single(rows, "max:0:1:9223372036854775807:0");
        Assert.DoesNotContain(rows, r => r.StartsWith("neg:", StringComparison.Ordinal));
        Assert.Equal(SkippedRows.Length + db.Table.Items().Count(e => !e.IsTombstone), rows.Count);

        // A second store keeps them once more (no duplicates), and a reload skips them again.
        await node.ResultAsync("htable.store", "db");
        Assert.Equal(rows, await AllRowsAsync(cs));
        await node.ResultAsync("htable.reload", "db");
        Assert.Equal("1", db.Get("new")!.StringValue);
        Assert.Null(db.Get("nullval"));
        Assert.Null(db.Get("badint"));
    }

    [Fact]
    public async Task The_dbmode_shutdown_store_keeps_the_rows_the_load_skipped()
    {
        var cs = await SharedPostgres.DatabaseAsync(OddRows);
        var node = await StartAsync("st8", cs);
        await node.ResultAsync("htable.sets", "db", "at-exit", "kept");
        await node.DisposeAsync();

        var rows = await AllRowsAsync(cs);
        foreach (var skipped in SkippedRows)
            Assert.Single(rows, skipped);
        Assert.Contains("at-exit:0:0:kept:0", rows);
        Assert.Contains("padded:0:1:12:0", rows);
    }

    [Fact]
    public async Task A_table_whose_load_keeps_failing_is_not_stored_by_htable_store_nor_at_shutdown()
    {
        // A key_type the load cannot read as a number stops the whole load (it is retried), but
        // a store would not notice it: without the rule it would replace every row by nothing.
        var cs = await SharedPostgres.DatabaseAsync(SharedPostgres.SeedRows + """
            ALTER TABLE htable ALTER COLUMN key_type TYPE text;
            INSERT INTO htable (key_name, key_type, value_type, key_value, expires) VALUES ('unreadable', 'x', 0, 'v', 0);
            """);
        var before = await RowsAsync(cs);
        var node = await ClusterNode.StartAsync("st9", ["db=>size=8;dbtable=htable;dbmode=1"], settings: new Dictionary<string, string?> { ["Htable:DbUrl"] = cs });
        var readiness = node.Services.GetRequiredService<Readiness>();
        await ClusterNode.EventuallyAsync(() =>
        {
            Assert.Contains(readiness.Reasons(), r => r.Contains("table db still loading: ", StringComparison.Ordinal));
            return Task.CompletedTask;
        }, Wait);

        Assert.Equal((500, "Storing htable failed"), await node.ErrorAsync("htable.store", "db"));
        Assert.Equal(before, await RowsAsync(cs));
        await node.DisposeAsync();
        Assert.Equal(before, await RowsAsync(cs));
    }

    [Fact]
    public async Task With_db_expires_an_autoexpire_table_stores_and_reloads_the_absolute_expiry()
    {
        var cs = await SharedPostgres.DatabaseAsync("");
        var node = await ClusterNode.StartAsync("st6", ["x=>size=4;autoexpire=3600;dbtable=htable;dbmode=1"], settings: new Dictionary<string, string?> { ["Htable:DbUrl"] = cs, ["Htable:DbExpires"] = "1" });
        await node.WaitReadyAsync(Wait);
        await node.ResultAsync("htable.setxs", "x", "k", "v", 600);
        var expiresAt = node.Node.Table("x").Get("k")!.ExpiresAtMs / 1000;
        await node.ResultAsync("htable.store", "x");
        Assert.Contains($"k:0:0:v:{expiresAt}", await RowsAsync(cs));

        await node.ResultAsync("htable.flush", "x");
        await node.ResultAsync("htable.reload", "x");
        Assert.Equal(expiresAt * 1000, node.Node.Table("x").Get("k")!.ExpiresAtMs);
        await node.DisposeAsync();
    }

    [Fact]
    public async Task A_store_that_fails_part_way_leaves_the_database_table_as_it_was()
    {
        var cs = await SharedPostgres.DatabaseAsync();
        await using var node = await StartAsync("st2", cs);
        var before = await RowsAsync(cs);
        await node.ResultAsync("htable.sets", "db", "long", new string('x', 200)); // key_value is VARCHAR(128)

        Assert.Equal((500, "Storing htable failed"), await node.ErrorAsync("htable.store", "db"));
        Assert.Equal(before, await RowsAsync(cs));
    }

    [Fact]
    public async Task A_connection_killed_mid_store_rolls_back_and_the_table_keeps_its_old_rows()
    {
        var cs = await SharedPostgres.DatabaseAsync();
        var server = await SharedPostgres.GetAsync();
        await using var node = await StartAsync("st3", cs);
        var before = await RowsAsync(cs);
        // Every insert of key 'slow' takes a second, long enough to kill the storing connection.
        await PostgresServer.ExecuteAsync(cs, """
            CREATE FUNCTION slow_insert() RETURNS trigger AS $$ BEGIN IF NEW.key_name = 'slow' THEN PERFORM pg_sleep(1); END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER slow BEFORE INSERT ON htable FOR EACH ROW EXECUTE FUNCTION slow_insert();
            """);
        await node.ResultAsync("htable.sets", "db", "slow", "1");
        var database = new NpgsqlConnectionStringBuilder(cs).Database;
        using var stop = new CancellationTokenSource();
        var killer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await PostgresServer.ExecuteAsync(server.AdminConnectionString,
                    $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}' AND state = 'active' AND query LIKE 'COPY%'");
                await Task.Delay(100);
            }
        });

        var (code, message) = await node.ErrorAsync("htable.store", "db");
        await stop.CancelAsync();
        await killer;

        Assert.Equal((500, "Storing htable failed"), (code, message));
        Assert.Equal(before, await RowsAsync(cs));
        // Once the database lets it, the same store succeeds.
        await PostgresServer.ExecuteAsync(cs, "DROP TRIGGER slow ON htable;");
        await node.ResultAsync("htable.store", "db");
        Assert.Contains("slow:0:0:1:0", await RowsAsync(cs));
    }

    [Fact]
    public async Task A_dbmode_table_is_stored_when_the_node_shuts_down()
    {
        var cs = await SharedPostgres.DatabaseAsync();
        var node = await StartAsync("st4", cs);
        await node.ResultAsync("htable.sets", "db", "at-exit", "kept");
        await node.DisposeAsync();
        Assert.Contains("at-exit:0:0:kept:0", await RowsAsync(cs));
    }

    [Fact]
    public async Task A_table_with_cols_is_not_written_back()
    {
        var cs = await SharedPostgres.DatabaseAsync();
        await PostgresServer.ExecuteAsync(cs, "CREATE TABLE gw (name text, ip text); INSERT INTO gw VALUES ('a', '10.0.0.1');");
        await using var node = await StartAsync("st5", cs, "g=>dbtable=gw;cols='name,ip';dbmode=1");
        await node.ResultAsync("htable.sets", "g", "b", "10.0.0.2");
        Assert.Equal((500, "Storing htable failed"), await node.ErrorAsync("htable.store", "g"));
        await using var c = new NpgsqlConnection(cs);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM gw", c);
        Assert.Equal(1L, await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_replicated_dbmode_table_is_stored_by_one_node_of_a_three_node_cluster()
    {
        var cs = await SharedPostgres.DatabaseAsync();
        // Counts the stores: each one is a single DELETE statement.
        await PostgresServer.ExecuteAsync(cs, """
            CREATE TABLE stores (n integer NOT NULL);
            INSERT INTO stores VALUES (0);
            CREATE FUNCTION count_store() RETURNS trigger AS $$ BEGIN UPDATE stores SET n = n + 1; RETURN NULL; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER count_store AFTER DELETE ON htable FOR EACH STATEMENT EXECUTE FUNCTION count_store();
            """);
        const string Table = "db=>size=8;dbtable=htable;dbmode=1;dmqreplicate=1";
        var settings = new Dictionary<string, string?> { ["Htable:DbUrl"] = cs };
        var n1 = await ClusterNode.StartAsync("rs1", [Table], null, settings);
        await n1.WaitReadyAsync(Wait);
        var n2 = await ClusterNode.StartAsync("rs2", [Table], n1, settings);
        var n3 = await ClusterNode.StartAsync("rs3", [Table], n1, settings);
        await n2.WaitReadyAsync(Wait);
        await n3.WaitReadyAsync(Wait);
        async Task<int> StoresAsync()
        {
            await using var c = new NpgsqlConnection(cs);
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT n FROM stores", c);
            return (int)(await cmd.ExecuteScalarAsync())!;
        }

        await n3.ResultAsync("htable.sets", "db", "from-n3", "1");
        // The singleton (on the oldest member, n1) stores its own copy: wait until the write is there.
        await ClusterNode.EventuallyAsync(() =>
        {
            Assert.NotNull(n1.Node.Table("db").Get("from-n3"));
            Assert.NotNull(n2.Node.Table("db").Get("from-n3"));
            return Task.CompletedTask;
        }, Wait);
        Assert.Equal("Ok. Htable successfully stored to DB.", (await n2.ResultAsync("htable.store", "db")).GetString());
        Assert.Equal("Ok. Htable successfully stored to DB.", (await n3.ResultAsync("htable.store", "db")).GetString());
        Assert.Equal(2, await StoresAsync());
        Assert.Contains("from-n3:0:0:1:0", await RowsAsync(cs));

        // Shutting the cluster down one node after the other, the oldest last: only it stores.
        await n2.ResultAsync("htable.sets", "db", "late", "2");
        await ClusterNode.EventuallyAsync(() =>
        {
            Assert.NotNull(n1.Node.Table("db").Get("late"));
            return Task.CompletedTask;
        }, Wait);
        await n3.DisposeAsync();
        await n2.DisposeAsync();
        await n1.DisposeAsync();
        Assert.Equal(3, await StoresAsync());
        Assert.Contains("late:0:0:2:0", await RowsAsync(cs));
    }
}
