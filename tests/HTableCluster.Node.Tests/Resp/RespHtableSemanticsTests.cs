using System.Globalization;
using System.Text;
using HTableCluster.Node.Resp;
using static HTableCluster.Node.Tests.Resp.RespTestNode;

namespace HTableCluster.Node.Tests.Resp;

/// <summary>What the string, key and expiry families do where htable differs from Redis, and what no redis-server comparison can show.</summary>
public sealed class RespHtableSemanticsTests(RespTestNode node) : IClassFixture<RespTestNode>
{
    private async Task<RespContext> FreshAsync(int database = 0)
    {
        var c = node.Connect(database);
        Assert.Equal("+OK", await ShowAsync(c, "FLUSHALL"));
        return c;
    }

    [Fact]
    public async Task A_canonical_integer_is_stored_as_an_integer_item_and_anything_else_as_a_string()
    {
        var c = await FreshAsync();
        await ShowAsync(c, "MSET", "n", "-42", "z", "010", "b", "9223372036854775808", "s", "text");
        var s = node.Node.Table("s");
        Assert.True(s.Get("n")!.IsInteger);
        Assert.Equal(-42, s.Get("n")!.IntValue);
        Assert.False(s.Get("z")!.IsInteger);
        Assert.False(s.Get("b")!.IsInteger);
        Assert.Equal("$\"-42\"", await ShowAsync(c, "GET", "n"));
        Assert.Equal("$\"010\"", await ShowAsync(c, "GET", "z"));
    }

    [Fact]
    public async Task Incr_on_a_string_item_holding_an_integer_turns_it_into_a_counter()
    {
        var c = await FreshAsync();
        var s = node.Node.Table("s");
        await s.SetStringAsync("rpc", "41", 100);
        var expires = s.Get("rpc")!.ExpiresAtMs;
        Assert.Equal(":42", await ShowAsync(c, "INCR", "rpc"));
        Assert.True(s.Get("rpc")!.IsInteger);
        Assert.Equal(expires, s.Get("rpc")!.ExpiresAtMs);
        await s.SetStringAsync("word", "abc");
        Assert.Equal("-ERR value is not an integer or out of range", await ShowAsync(c, "INCR", "word"));
    }

    [Fact]
    public async Task Object_idletime_counts_the_seconds_since_the_item_was_last_written()
    {
        // Compared with redis-server only for a missing key: an existing key's idle time depends on
        // when each server got the command (Redis counts from the last access, the node from the last write).
        var c = await FreshAsync();
        await ShowAsync(c, "SET", "idle", "v");
        var reply = await ShowAsync(c, "OBJECT", "IDLETIME", "idle");
        Assert.StartsWith(":", reply, StringComparison.Ordinal);
        Assert.InRange(long.Parse(reply.AsSpan(1), CultureInfo.InvariantCulture), 0, 5);
        Assert.Equal("$nil", await ShowAsync(c, "OBJECT", "IDLETIME", "missing"));
    }

    [Fact]
    public async Task Initval_answers_a_missing_key_and_starts_its_counter()
    {
        var c = await FreshAsync(database: 3);
        Assert.Equal("$\"7\"", await ShowAsync(c, "GET", "missing"));
        Assert.Equal("*[$\"7\", $\"7\"]", await ShowAsync(c, "MGET", "missing", "other"));
        Assert.Equal(":0", await ShowAsync(c, "EXISTS", "missing"));
        Assert.Equal(":8", await ShowAsync(c, "INCR", "missing"));
        Assert.Equal(":5", await ShowAsync(c, "DECRBY", "down", "2"));
        Assert.Equal("$\"8.5\"", await ShowAsync(c, "INCRBYFLOAT", "f", "1.5"));
    }

    // Runs a write and checks the key's expiry is now + seconds on the node's clock (read before and after the write).
    private async Task AssertExpiresAfterAsync(RespContext c, string table, string key, long seconds, params string[] write)
    {
        var before = node.Time.GetUtcNow().ToUnixTimeMilliseconds();
        await RunAsync(c, write);
        var after = node.Time.GetUtcNow().ToUnixTimeMilliseconds();
        Assert.InRange(node.Node.Table(table).Get(key)!.ExpiresAtMs, before + (seconds * 1000), after + (seconds * 1000));
    }

    [Fact]
    public async Task Autoexpire_applies_to_writes_without_an_explicit_expiry()
    {
        var c = await FreshAsync(database: 2);
        await AssertExpiresAfterAsync(c, "e", "k", 5, "SET", "k", "v");
        await AssertExpiresAfterAsync(c, "e", "k", 100, "SET", "k", "v", "EX", "100");
        var kept = node.Node.Table("e").Get("k")!.ExpiresAtMs;
        await ShowAsync(c, "SET", "k", "v2", "KEEPTTL");
        Assert.Equal(kept, node.Node.Table("e").Get("k")!.ExpiresAtMs);
        // An update restarts autoexpire (updateexpire=1), INCR included.
        await ShowAsync(c, "SET", "n", "1", "EX", "100");
        await AssertExpiresAfterAsync(c, "e", "n", 5, "INCR", "n");
        Assert.Equal(":1", await ShowAsync(c, "PERSIST", "n"));
        Assert.Equal(":-1", await ShowAsync(c, "TTL", "n"));
    }

    [Fact]
    public async Task Keys_expire_on_the_node_clock()
    {
        var c = await FreshAsync();
        await ShowAsync(c, "SET", "px", "v", "PX", "30000");
        await ShowAsync(c, "SET", "ex", "v");
        await ShowAsync(c, "PEXPIRE", "ex", "90000");
        Assert.Equal("$\"v\"", await ShowAsync(c, "GET", "px"));
        node.Time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal("$nil", await ShowAsync(c, "GET", "px"));
        Assert.Equal(":-2", await ShowAsync(c, "TTL", "px"));
        Assert.Equal(":1", await ShowAsync(c, "EXISTS", "ex"));
        node.Time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(":0", await ShowAsync(c, "EXISTS", "ex"));
    }

    [Fact]
    public async Task A_table_prefix_reaches_another_table_from_any_database()
    {
        var c = await FreshAsync();
        Assert.Equal("+OK", await ShowAsync(c, "SET", "t:k", "v", "EX", "50"));
        Assert.Equal("v", node.Node.Table("t").Get("k")!.StringValue);
        Assert.Null(node.Node.Table("s").Get("t:k"));
        Assert.Equal("+OK", await ShowAsync(c, "MSET", "a", "1", "t:b", "2", "i:c", "3"));
        Assert.Equal("*[$\"1\", $\"2\", $\"3\"]", await ShowAsync(c, "MGET", "s:a", "t:b", "i:c"));
        Assert.Equal("*[$\"b\", $\"k\"]", RespText.Sorted(await ShowAsync(node.Connect(1), "KEYS", "*")));
        // Kamailio's a::b keys stay whole.
        Assert.Equal("+OK", await ShowAsync(c, "SET", "t::x", "v"));
        Assert.Equal("v", node.Node.Table("s").Get("t::x")!.StringValue);
    }

    [Fact]
    public async Task Rename_and_copy_across_tables_keep_value_type_and_expiry()
    {
        var c = await FreshAsync();
        await ShowAsync(c, "SET", "n", "12", "PX", "90000");
        var expires = node.Node.Table("s").Get("n")!.ExpiresAtMs;
        Assert.Equal("+OK", await ShowAsync(c, "RENAME", "n", "t:n"));
        Assert.Equal(":0", await ShowAsync(c, "EXISTS", "n"));
        var moved = node.Node.Table("t").Get("n")!;
        Assert.True(moved.IsInteger);
        Assert.Equal(expires, moved.ExpiresAtMs);
        Assert.Equal(":1", await ShowAsync(c, "COPY", "t:n", "e:n"));
        Assert.Equal(expires, node.Node.Table("e").Get("n")!.ExpiresAtMs);
        Assert.Equal(":0", await ShowAsync(c, "RENAMENX", "t:n", "e:n"));
        Assert.Equal(":1", await ShowAsync(c, "EXISTS", "t:n"));
        Assert.Equal("-ERR no such key", await ShowAsync(c, "RENAME", "gone", "t:gone"));
        Assert.Equal(":1", await ShowAsync(c, "RENAMENX", "t:n", "i:n"));
        Assert.Equal(":13", await ShowAsync(c, "INCR", "i:n"));
    }

    [Fact]
    public async Task Writes_notify_with_redis_class_letters_and_event_names()
    {
        var c = await FreshAsync();
        var events = new List<string>();
        void Record(char kind, string name, Node.Tables.TableClient table, string key)
        {
            lock (events)
                events.Add($"{kind} {name} {table.Name}:{key}");
        }
        node.Server.KeyspaceChanged += Record;
        try
        {
            foreach (var line in new[]
            {
                "SET k v EX 10", "SET k v NX", "INCR n", "INCRBYFLOAT n 1.5", "APPEND k x", "SETRANGE k 0 y", "EXPIRE k 20",
                "PERSIST k", "PERSIST k", "RENAME k t:k", "COPY t:k k2", "DEL k2 nope", "GETDEL t:k", "MSET a 1 b 2",
                "EXPIRE a 0", "GETEX b PX 5000", "GETSET b 3", "SETEX c 5 v", "UNLINK c",
            })
            {
                await RunAsync(c, RespText.Words(line));
            }
        }
        finally
        {
            node.Server.KeyspaceChanged -= Record;
        }
        Assert.Equal(
        [
            "$ set s:k", "g expire s:k", "$ incrby s:n", "$ incrbyfloat s:n", "$ append s:k", "$ setrange s:k", "g expire s:k",
            "g persist s:k", "g rename_from s:k", "g rename_to t:k", "g copy_to s:k2", "g del s:k2", "g del t:k", "$ set s:a",
            "$ set s:b", "g del s:a", "g expire s:b", "$ set s:b", "$ set s:c", "g expire s:c", "g del s:c",
        ], events);
    }

    [Fact]
    public async Task Keys_is_bounded_and_scan_pages_through_every_key_once()
    {
        var c = await FreshAsync();
        var args = new List<string> { "MSET" };
        for (var i = 0; i < 200; i++)
            args.AddRange(["key" + i.ToString(CultureInfo.InvariantCulture), "v"]);
        await ShowAsync(c, [.. args]);
        Assert.Equal("-ERR KEYS would list more than 50 keys (Resp:MaxReplyKeys); use SCAN or HSCAN", await ShowAsync(c, "KEYS", "*"));
        Assert.Equal(10, RespText.Sorted(await ShowAsync(c, "KEYS", "key1?")).Split(',').Length);
        var seen = new List<string>();
        var cursor = "0";
        var calls = 0;
        do
        {
            var reply = (RespArray)await RunAsync(c, "SCAN", cursor, "COUNT", "7", "MATCH", "key*");
            cursor = Encoding.ASCII.GetString(((RespBulk)reply.Items[0]).Bytes.Span);
            foreach (var k in ((RespArray)reply.Items[1]).Items)
                seen.Add(Encoding.UTF8.GetString(((RespBulk)k).Bytes.Span));
            Assert.True(++calls < 500, "SCAN did not end");
        }
        while (cursor != "0");
        Assert.Equal(200, seen.Count);
        Assert.Equal(200, seen.Distinct().Count());
        Assert.True(calls > 200 / 7 / 2, "SCAN returned everything in too few pages");
        Assert.Equal(":200", await ShowAsync(c, "DBSIZE"));
        var random = await ShowAsync(c, "RANDOMKEY");
        Assert.StartsWith("$\"key", random, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flushdb_resets_only_the_selected_table()
    {
        var c = await FreshAsync();
        await ShowAsync(c, "MSET", "a", "1", "t:a", "1");
        Assert.Equal("+OK", await ShowAsync(node.Connect(1), "FLUSHDB"));
        Assert.Equal(":1", await ShowAsync(c, "EXISTS", "a"));
        Assert.Equal(":0", await ShowAsync(c, "EXISTS", "t:a"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task Concurrent_increments_are_exact(int database)
    {
        var c = await FreshAsync(database);
        var tasks = Enumerable.Range(0, 400).Select(i => RunAsync(node.Connect(database), i % 4 == 0 ? "DECRBY" : "INCRBY", "hits", i % 4 == 0 ? "1" : "2")).ToList();
        await Task.WhenAll(tasks);
        Assert.Equal("$\"500\"", await ShowAsync(c, "GET", "hits"));
    }

    [Fact]
    public async Task A_key_that_is_not_utf8_gets_a_clear_error()
    {
        var c = await FreshAsync();
        var reply = await RunAsync(c, [Encoding.ASCII.GetBytes("GET"), new byte[] { 0xff, 0xfe }]);
        Assert.Equal("-ERR keys must be valid UTF-8 (htable keys are text)", RespText.Show(reply));
        Assert.Equal(":0", RespText.Show(await RunAsync(c, [Encoding.ASCII.GetBytes("EXISTS"), new byte[] { 0xff }])));
    }
}
