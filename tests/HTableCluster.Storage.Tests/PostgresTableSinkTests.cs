using HTableCluster.Storage.Postgres;
using HTableCluster.Tests.Support;
using Npgsql;

namespace HTableCluster.Storage.Tests;

/// <summary>Write-back to a real PostgreSQL server: what a store deletes and what it keeps.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresTableSinkTests(PostgresServer server)
{
    private readonly ManualTime _time = new();

    // (key, value type, value, skipped by a load with keys of at most 10 bytes and values of at most 20).
    private static readonly (string? Key, int? ValueType, string? Value, bool Skipped)[] Rows =
    [
        ("i1", 1, "12", false),
        ("i2", 1, " 12 ", false),
        ("i3", 1, "\t-5\n", false),
        ("i4", 1, "+7", false),
        ("i5", 1, "9223372036854775807", false),
        ("i6", 1, "-9223372036854775808", false),
        ("i7", 1, "00000000000000000000042", false),
        ("i8", 1, "\u00a012\u2003", false),      // blanks only .NET trims: loads
        ("i9", 1, "9223372036854775808", true),
        ("i10", 1, "1 2", true),
        ("i11", 1, "", true),
        ("i12", 1, "-", true),
        ("i13", 1, "0x10", true),
        ("i14", 1, "\u0661\u0662", true),         // Arabic-Indic digits
        ("i15", 1, "12.0", true),
        ("i16", 1, null, true),
        ("s1", 0, "short", false),
        ("s2", 0, new string('a', 20), false),
        ("s3", 0, new string('a', 21), true),
        ("s4", 0, new string('\u00e9', 10), false), // 20 UTF-8 bytes
        ("s5", 0, new string('\u00e9', 11), true),  // 22
        ("s6", 2, "other type: text", false),
        ("s7", null, "no type: text", false),
        ("s8", 0, "", false),
        (null, 0, "x", true),
        ("", 0, "x", true),
        ("k234567890", 0, "x", false),
        ("k23456789\u00e9", 0, "x", true),          // 11 bytes
        ("\U0001F600\U0001F600\U0001F600", 0, "x", true), // 12 bytes, 6 UTF-16 chars
    ];

    [Fact]
    public async Task A_store_keeps_exactly_the_rows_a_load_skips()
    {
        var cs = await server.CreateDatabaseAsync();
        await PostgresServer.ExecuteAsync(cs, "CREATE TABLE loose (id serial, key_name text, key_type integer DEFAULT 0, value_type integer, key_value text, expires integer DEFAULT 0);");
        await using (var c = new NpgsqlConnection(cs))
        {
            await c.OpenAsync();
            foreach (var (key, type, value, _) in Rows)
            {
                await using var insert = new NpgsqlCommand("INSERT INTO loose (key_name, value_type, key_value) VALUES (@k, @t, @v)", c);
                insert.Parameters.AddWithValue("k", (object?)key ?? DBNull.Value);
                insert.Parameters.AddWithValue("t", (object?)type ?? DBNull.Value);
                insert.Parameters.AddWithValue("v", (object?)value ?? DBNull.Value);
                await insert.ExecuteNonQueryAsync();
            }
        }
        var options = new DbLoadOptions { MaxKeyBytes = 10, MaxValueBytes = 20 };
        var definition = TableOptions.Parse("l=>size=4;dbtable=loose");
        var table = TestTables.Create("l=>size=4;dbtable=loose", _time);
        var problems = 0;
        await foreach (var batch in new PostgresTableSource(cs, options).ReadAsync(definition))
        {
            problems += batch.Problems.Count;
            foreach (var group in batch.Items.GroupBy(i => table.PartitionOf(HTable.MakeKey(i.KeyUtf8))))
                table.Partition(group.Key).Load(group);
        }
        var skipped = Rows.Count(r => r.Skipped);
        Assert.Equal(skipped, problems);

        var result = await new PostgresTableSink(cs, options).StoreAsync(definition, table.Items(), table.Clock.NowMs);

        Assert.Equal(new DbStoreResult(Rows.Length - skipped, skipped), result);
        // The original rows left are exactly the skipped ones (ids 1..n in insertion order); the
        // others were deleted and written again from memory.
        var originals = new List<int>();
        var total = 0L;
        await using (var c = new NpgsqlConnection(cs))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT id FROM loose ORDER BY id", c);
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
            {
                total++;
                if (r.GetInt32(0) <= Rows.Length)
                    originals.Add(r.GetInt32(0) - 1);
            }
        }
        Assert.Equal(Rows.Select((row, i) => (row, i)).Where(x => x.row.Skipped).Select(x => x.i), originals);
        Assert.Equal(Rows.Length, total);
    }

    [Fact]
    public async Task Without_bad_rows_every_row_is_replaced()
    {
        var cs = await server.CreateDatabaseAsync();
        await HtableSchema.CreateAsync(cs);
        await PostgresServer.ExecuteAsync(cs, "INSERT INTO htable (key_name, key_value) VALUES ('a', '1'), ('b', '2');");
        var table = TestTables.Create("h=>size=4;dbtable=htable", _time);
        table.Set("c", "3");

        var result = await new PostgresTableSink(cs, new DbLoadOptions()).StoreAsync(table.Options, table.Items(), table.Clock.NowMs);

        Assert.Equal(new DbStoreResult(1, 0), result);
        await using var c = new NpgsqlConnection(cs);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT string_agg(key_name || '=' || key_value, ',') FROM htable", c);
        Assert.Equal("c=3", await cmd.ExecuteScalarAsync());
    }
}
