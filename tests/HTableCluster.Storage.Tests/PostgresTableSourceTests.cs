using HTableCluster.Storage.Postgres;
using HTableCluster.Tests.Support;
using Npgsql;

namespace HTableCluster.Storage.Tests;

/// <summary>Preload reads from a real PostgreSQL server (Kamailio's schema and rows).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresTableSourceTests(PostgresServer server)
{
    private const string SeedRows = PostgresServer.KamailioSeedRows;

    private readonly ManualTime _time = new();

    private async Task<string> DatabaseWithHtableAsync(string rows)
    {
        var cs = await server.CreateDatabaseAsync();
        await HtableSchema.CreateAsync(cs);
        if (rows.Length > 0)
            await PostgresServer.ExecuteAsync(cs, rows);
        return cs;
    }

    private static async Task<(List<LoadedItem> Items, List<string> Problems, int Batches)> ReadAllAsync(string cs, TableOptions table, DbLoadOptions? options = null)
    {
        var items = new List<LoadedItem>();
        var problems = new List<string>();
        var batches = 0;
        await foreach (var b in new PostgresTableSource(cs, options ?? new DbLoadOptions()).ReadAsync(table))
        {
            items.AddRange(b.Items);
            problems.AddRange(b.Problems);
            batches++;
        }
        return (items, problems, batches);
    }

    private HTable LoadInto(string definition, IEnumerable<LoadedItem> items)
    {
        var table = TestTables.Create(definition, _time);
        foreach (var group in items.GroupBy(i => table.PartitionOf(HTable.MakeKey(i.KeyUtf8))))
            table.Partition(group.Key).Load(group);
        return table;
    }

    [Fact]
    public async Task Kamailio_rows_load_with_arrays_and_integers_and_a_bad_integer_is_reported_and_skipped()
    {
        var cs = await DatabaseWithHtableAsync(SeedRows);
        var definition = "db=>size=8;dbtable=htable";
        var (items, problems, _) = await ReadAllAsync(cs, TableOptions.Parse(definition));
        var table = LoadInto(definition, items);

        Assert.Equal("hello", table.Get("s1")!.StringValue);
        Assert.Equal(42, table.Get("n1")!.IntValue);
        Assert.Equal(-5, table.Get("neg")!.IntValue);
        Assert.Equal("with space|pipe", table.Get("sp")!.StringValue);
        Assert.Equal(3, table.Get("arr::size")!.IntValue);
        Assert.Equal(["x", "y", "z"], new[] { "arr[0]", "arr[1]", "arr[2]" }.Select(k => table.Get(k)!.StringValue).Order(StringComparer.Ordinal));
        Assert.Equal(2, table.Get("iarr::size")!.IntValue);
        Assert.Equal([10L, 20L], new[] { "iarr[0]", "iarr[1]" }.Select(k => table.Get(k)!.IntValue).Order());
        Assert.Null(table.Get("badint"));
        Assert.Contains("key 'badint'", Assert.Single(problems), StringComparison.Ordinal);
        Assert.Equal(11, table.RawCount);
        Assert.All(table.Items(), e => Assert.Equal(0, e.Version));
    }

    [Fact]
    public async Task Rows_come_in_batches_of_fetch_rows()
    {
        var cs = await DatabaseWithHtableAsync("INSERT INTO htable (key_name, key_value) SELECT 'k' || g, 'v' || g FROM generate_series(1, 250) g;");
        var (items, _, batches) = await ReadAllAsync(cs, TableOptions.Parse("t=>dbtable=htable"), new DbLoadOptions { FetchRows = 100 });
        Assert.Equal(250, items.Count);
        Assert.Equal(3, batches);
    }

    [Fact]
    public async Task With_db_expires_an_autoexpire_table_keeps_absolute_expiry_and_skips_expired_rows()
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var cs = await DatabaseWithHtableAsync($"""
            INSERT INTO htable (key_name, key_value, expires) VALUES
             ('future', 'a', {now + 500}), ('past', 'b', {now - 10}), ('none', 'c', 0);
            """);
        var definition = "e=>autoexpire=60;dbtable=htable";
        var (items, problems, _) = await ReadAllAsync(cs, TableOptions.Parse(definition), new DbLoadOptions { DbExpires = true });
        var table = LoadInto(definition, items);

        Assert.Empty(problems);
        Assert.Equal((now + 500) * 1000, table.Get("future")!.ExpiresAtMs);
        Assert.Null(table.Get("past"));
        Assert.Equal((now + 60) * 1000, table.Get("none")!.ExpiresAtMs);

        // Without db_expires the column is not read: every row gets autoexpire.
        var (plain, _, _) = await ReadAllAsync(cs, TableOptions.Parse(definition));
        Assert.All(LoadInto(definition, plain).Items(), e => Assert.Equal((now + 60) * 1000, e.ExpiresAtMs));
    }

    [Fact]
    public async Task Cols_pack_the_value_columns_with_coldelim_and_colnull()
    {
        var cs = await server.CreateDatabaseAsync();
        await PostgresServer.ExecuteAsync(cs, """
            CREATE TABLE gw (name text, ip text, port integer, note text);
            INSERT INTO gw VALUES ('a', '10.0.0.1', 5060, NULL), ('b', '10.0.0.2', NULL, 'x');
            """);
        var definition = "g=>dbtable=gw;cols='name,ip,port,note';coldelim=|;colnull=-";
        var (items, _, _) = await ReadAllAsync(cs, TableOptions.Parse(definition));
        var table = LoadInto(definition, items);
        Assert.Equal("10.0.0.1|5060|-", table.Get("a")!.StringValue);
        Assert.Equal("10.0.0.2|-|x", table.Get("b")!.StringValue);

        // Kamailio's defaults: ',' between the columns, '*' for a NULL one; colnull='' packs nothing.
        var plainDefinition = "g=>dbtable=gw;cols='name,ip,port,note'";
        var (plain, _, _) = await ReadAllAsync(cs, TableOptions.Parse(plainDefinition));
        Assert.Equal("10.0.0.1,5060,*", LoadInto(plainDefinition, plain).Get("a")!.StringValue);
        var emptyDefinition = "g=>dbtable=gw;cols='name,ip,port,note';colnull=''";
        var (empty, _, _) = await ReadAllAsync(cs, TableOptions.Parse(emptyDefinition));
        Assert.Equal("10.0.0.2,,x", LoadInto(emptyDefinition, empty).Get("b")!.StringValue);
    }

    [Fact]
    public async Task Null_keys_null_values_and_oversized_values_are_reported_with_their_key_and_skipped()
    {
        var cs = await server.CreateDatabaseAsync();
        await PostgresServer.ExecuteAsync(cs, """
            CREATE TABLE loose (key_name text, key_type bigint, value_type smallint, key_value text, expires bigint);
            INSERT INTO loose VALUES (NULL, 0, 0, 'v', 0), ('nullvalue', 0, 0, NULL, 0),
              ('big', 0, 0, repeat('x', 200), 0), ('ok', NULL, NULL, 'fine', NULL), ('i', 0, 1, ' 7 ', 0);
            """);
        var definition = "l=>dbtable=loose";
        var (items, problems, _) = await ReadAllAsync(cs, TableOptions.Parse(definition), new DbLoadOptions { MaxValueBytes = 100 });
        var table = LoadInto(definition, items);

        Assert.Equal(["i", "ok"], table.Items().Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Equal(7, table.Get("i")!.IntValue);
        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.Contains("key_name is NULL", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("key 'nullvalue': key_value is NULL", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("key 'big'", StringComparison.Ordinal) && p.Contains("longer than 100 bytes", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_table_and_a_wrong_password_are_errors_that_say_so()
    {
        var cs = await server.CreateDatabaseAsync();
        var missing = await Assert.ThrowsAsync<PostgresException>(() => ReadAllAsync(cs, TableOptions.Parse("m=>dbtable=nosuch")));
        Assert.Equal(PostgresErrorCodes.UndefinedTable, missing.SqlState);

        var wrong = new NpgsqlConnectionStringBuilder(cs) { Password = "wrong" }.ConnectionString;
        var denied = await Assert.ThrowsAsync<PostgresException>(() => ReadAllAsync(wrong, TableOptions.Parse("m=>dbtable=htable")));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, denied.SqlState);
    }

    [Fact]
    public async Task The_schema_is_kamailios_and_creating_it_twice_changes_nothing()
    {
        var cs = await DatabaseWithHtableAsync(SeedRows);
        await HtableSchema.CreateAsync(cs);
        await using var c = new NpgsqlConnection(cs);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT (SELECT table_version FROM version WHERE table_name = 'htable'), (SELECT count(*) FROM htable)", c);
        await using var r = await cmd.ExecuteReaderAsync();
        Assert.True(await r.ReadAsync());
        Assert.Equal((2, 10L), (r.GetInt32(0), r.GetInt64(1)));
    }
}
