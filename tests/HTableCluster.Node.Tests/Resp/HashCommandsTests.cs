using System.Text;
using HTableCluster.Node.Resp;

namespace HTableCluster.Node.Tests.Resp;

/// <summary>
/// Every table as a Redis hash: the replies of the H* commands, compared with what redis-server 7.0
/// answered for the same commands (recorded with its wire bytes), and htable's semantics behind them.
/// </summary>
public sealed class HashCommandsTests(RespHashNode node) : IClassFixture<RespHashNode>
{
    // Recorded from redis-server 7.0.15 (RESP2 bytes), the hash being table h (replicated).
    private static readonly string[][] Recorded =
    [
        ["HSET", "h", "a", "1", "b", "2", ":2\r\n"],
        ["HSET", "h", "a", "10", "c", "3", ":1\r\n"],
        ["HSET", "h", "a", "1", "b", "-ERR wrong number of arguments for 'hset' command\r\n"],
        ["HGET", "h", "a", "$2\r\n10\r\n"],
        ["HGET", "h", "zz", "$-1\r\n"],
        ["HMGET", "h", "a", "zz", "b", "*3\r\n$2\r\n10\r\n$-1\r\n$1\r\n2\r\n"],
        ["HSETNX", "h", "a", "5", ":0\r\n"],
        ["HSETNX", "h", "d", "4", ":1\r\n"],
        ["HEXISTS", "h", "d", ":1\r\n"],
        ["HEXISTS", "h", "zz", ":0\r\n"],
        ["HLEN", "h", ":4\r\n"],
        ["HSTRLEN", "h", "a", ":2\r\n"],
        ["HSTRLEN", "h", "zz", ":0\r\n"],
        ["HDEL", "h", "d", "zz", ":1\r\n"],
        ["HDEL", "h", "d", ":0\r\n"],
        ["HINCRBY", "h", "b", "5", ":7\r\n"],
        ["HINCRBY", "h", "n", "-3", ":-3\r\n"],
        ["HINCRBY", "h", "b", "x", "-ERR value is not an integer or out of range\r\n"],
        ["HINCRBY", "h", "b", "+1", "-ERR value is not an integer or out of range\r\n"],
        ["HINCRBY", "h", "b", "01", "-ERR value is not an integer or out of range\r\n"],
        ["HINCRBY", "h", "b", "9223372036854775807", "-ERR increment or decrement would overflow\r\n"],
        ["HSET", "h", "s", "abc", ":1\r\n"],
        ["HINCRBY", "h", "s", "1", "-ERR hash value is not an integer\r\n"],
        ["HINCRBYFLOAT", "h", "s", "1", "-ERR hash value is not a float\r\n"],
        ["HINCRBYFLOAT", "h", "f", "10.5", "$4\r\n10.5\r\n"],
        ["HINCRBYFLOAT", "h", "f", "0.1", "$4\r\n10.6\r\n"],
        ["HINCRBYFLOAT", "h", "f", "x", "-ERR value is not a valid float\r\n"],
        ["HINCRBYFLOAT", "h", "f", "inf", "-ERR value is NaN or Infinity\r\n"],
        ["HINCRBYFLOAT", "h", "f", "nan", "-ERR value is not a valid float\r\n"],
        ["HINCRBYFLOAT", "h", "f", " 1", "-ERR value is not a valid float\r\n"],
        ["HINCRBYFLOAT", "h", "g", "0.1", "$3\r\n0.1\r\n"],
        ["HINCRBYFLOAT", "h", "g", "0.2", "$3\r\n0.3\r\n"],
        ["HINCRBYFLOAT", "h", "b", "1.5", "$3\r\n8.5\r\n"],
        ["HINCRBY", "h", "b", "1", "-ERR hash value is not an integer\r\n"],
        ["HINCRBYFLOAT", "h", "n", "1e3", "$3\r\n997\r\n"],
        ["HINCRBYFLOAT", "h", "n", "-997", "$1\r\n0\r\n"],
        ["HINCRBYFLOAT", "h", "hx", "0x10", "$2\r\n16\r\n"],
        ["HSET", "h", "big", "9223372036854775807", ":1\r\n"],
        ["HINCRBY", "h", "big", "1", "-ERR increment or decrement would overflow\r\n"],
        ["HINCRBYFLOAT", "h", "big", "1", "$19\r\n9223372036854775808\r\n"],
        ["HSET", "h", "t1", " 5", ":1\r\n"],
        ["HINCRBY", "h", "t1", "1", "-ERR hash value is not an integer\r\n"],
        ["HSET", "h", "t2", "-12", ":1\r\n"],
        ["HINCRBY", "h", "t2", "2", ":-10\r\n"],
        ["HGET", "h", "t2", "$3\r\n-10\r\n"],
        ["HSET", "h", "e", "", ":1\r\n"],
        ["HINCRBYFLOAT", "h", "e", "1", "-ERR hash value is not a float\r\n"],
        ["HSTRLEN", "h", "e", ":0\r\n"],
        ["HSCAN", "h", "x", "-ERR invalid cursor\r\n"],
        ["HSCAN", "h", "18446744073709551616", "-ERR invalid cursor\r\n"],
        ["HSCAN", "h", "0", "COUNT", "0", "-ERR syntax error\r\n"],
        ["HSCAN", "h", "0", "COUNT", "-1", "-ERR syntax error\r\n"],
        ["HSCAN", "h", "0", "COUNT", "x", "-ERR value is not an integer or out of range\r\n"],
        ["HSCAN", "h", "0", "BAD", "-ERR syntax error\r\n"],
        ["HSCAN", "h", "0", "MATCH", "-ERR syntax error\r\n"],
        ["HSCAN", "h", "0", "NOVALUES", "-ERR syntax error\r\n"],
        ["HRANDFIELD", "h", "0", "*0\r\n"],
        ["HRANDFIELD", "h", "x", "-ERR value is not an integer or out of range\r\n"],
        ["HRANDFIELD", "h", "2", "BAD", "-ERR syntax error\r\n"],
        ["HRANDFIELD", "h", "2", "WITHVALUES", "x", "-ERR syntax error\r\n"],
        ["HRANDFIELD", "h", "-9223372036854775808", "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"],
        ["HRANDFIELD", "h", "4611686018427387904", "WITHVALUES", "-ERR value is out of range\r\n"],
        ["HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES", "-ERR value is out of range\r\n"],
        ["HMSET", "h", "m1", "1", "m2", "2", "+OK\r\n"],
        ["HMSET", "h", "m1", "1", "m2", "-ERR wrong number of arguments for 'hmset' command\r\n"],
        ["HGET", "h", "m2", "$1\r\n2\r\n"],
    ];

    [Fact]
    public async Task Replies_match_redis_7_0()
    {
        await node.Node.Table("h").ResetAsync();
        using var client = new HandlerClient(node.NewServer());
        foreach (var step in Recorded)
        {
            var words = step[..^1];
            Assert.True(step[^1] == await client.WireAsync(words), $"{string.Join(' ', words)}: expected {step[^1]}");
        }
    }

    [Fact]
    public async Task Full_listings_hold_every_field_once_as_redis_lists_them()
    {
        await node.Node.Table("h").ResetAsync();
        using var client = new HandlerClient(node.NewServer());
        await client.RunAsync("HSET", "h", "a", "1", "b", "two");
        await client.RunAsync("HINCRBY", "h", "c", "3");
        // redis-server 7.0: HKEYS h => a b c; HVALS h => 1 two 3; HGETALL h => a 1 b two c 3 (order aside).
        Assert.Equal(["a", "b", "c"], Sorted(await client.RunAsync("HKEYS", "h")));
        Assert.Equal(["1", "3", "two"], Sorted(await client.RunAsync("HVALS", "h")));
        var all = Assert.IsType<RespMap>(await client.RunAsync("HGETALL", "h"));
        Assert.Equal(["a=1", "b=two", "c=3"], all.Pairs.Select(p => Text(p.Key) + "=" + Text(p.Value)).Order(StringComparer.Ordinal));
        Assert.Equal("*6\r\n", ReplyText.Encode(all, 2)[..4]);
        Assert.Equal("%3\r\n", ReplyText.Encode(all, 3)[..4]);
    }

    [Fact]
    public async Task A_hash_name_that_is_no_table_is_an_error_naming_it()
    {
        using var client = new HandlerClient(node.NewServer());
        const string Expected = "-ERR no table 'nosuch' (tables are declared in the node's configuration)\r\n";
        string[][] commands = [["HGET", "nosuch", "k"], ["HSET", "nosuch", "k", "v"], ["HLEN", "nosuch"], ["HGETALL", "nosuch"], ["HSCAN", "nosuch", "0"], ["HINCRBY", "nosuch", "k", "1"], ["HRANDFIELD", "nosuch"]];
        foreach (var words in commands)
            Assert.Equal(Expected, await client.WireAsync(words));
        // Redis reads the cursor before the key.
        Assert.Equal("-ERR invalid cursor\r\n", await client.WireAsync("HSCAN", "nosuch", "x"));
        // Table names are case sensitive, as in Kamailio.
        Assert.StartsWith("-ERR no table 'H'", await client.WireAsync("HGET", "H", "k"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hget_is_htable_get_and_hset_writes_the_item()
    {
        await node.Node.Table("h").ResetAsync();
        using var client = new HandlerClient(node.NewServer());
        await client.RunAsync("HSET", "h", "user:1", "alice");
        var item = await node.ResultAsync("htable.get", "h", "user:1");
        Assert.Equal("alice", item.GetProperty("item").GetProperty("value").GetString());
        await node.ResultAsync("htable.seti", "h", "n", 42);
        Assert.Equal("$2\r\n42\r\n", await client.WireAsync("HGET", "h", "n"));
        Assert.Equal(":2\r\n", await client.WireAsync("HSTRLEN", "h", "n"));
    }

    [Fact]
    public async Task Values_are_binary_safe_and_fields_are_utf8_text()
    {
        await node.Node.Table("p").ResetAsync();
        using var client = new HandlerClient(node.NewServer());
        byte[] value = [0, 0xff, 13, 10, 0xc3];
        Assert.Equal(RespReply.One, await client.RunAsync([B("HSET"), B("p"), B("bin"), value]));
        var got = Assert.IsType<RespBulk>(await client.RunAsync("HGET", "p", "bin"));
        Assert.Equal(value, got.Bytes.ToArray());
        Assert.Equal(":5\r\n", await client.WireAsync("HSTRLEN", "p", "bin"));
        Assert.Equal("-ERR keys must be valid UTF-8 (htable keys are text)\r\n",
            ReplyText.Encode(await client.RunAsync([B("HSET"), B("p"), new byte[] { 0xff }, B("v")]), 2));
        await client.RunAsync("HSET", "p", "é", "ok");
        Assert.Equal("$2\r\nok\r\n", await client.WireAsync("HGET", "p", "é"));
    }

    [Fact]
    public async Task Hincrby_is_the_tables_counter_starting_at_initval()
    {
        await node.Node.Table("i").ResetAsync();
        using var client = new HandlerClient(node.NewServer());
        // initval=7 stays in force: a missing field counts from 7 (Redis: from 0).
        Assert.Equal(":8\r\n", await client.WireAsync("HINCRBY", "i", "calls", "1"));
        Assert.Equal(":3\r\n", await client.WireAsync("HINCRBY", "i", "calls", "-5"));
        Assert.True(node.Node.Table("i").Get("calls")!.IsInteger);
        // A read of a missing field is nil, as htable.get answers "doesn't exist".
        Assert.Equal("$-1\r\n", await client.WireAsync("HGET", "i", "other"));
        // A field written as text that holds an integer becomes the counter.
        await client.RunAsync("HSET", "i", "t", "40");
        Assert.Equal(":42\r\n", await client.WireAsync("HINCRBY", "i", "t", "2"));
        Assert.True(node.Node.Table("i").Get("t")!.IsInteger);
    }

    [Fact]
    public async Task Concurrent_hincrby_on_a_replicated_table_loses_nothing()
    {
        await node.Node.Table("h").ResetAsync();
        var server = node.NewServer();
        var clients = Enumerable.Range(0, 8).Select(_ => new HandlerClient(server)).ToList();
        await Task.WhenAll(clients.Select(async c =>
        {
            for (var i = 0; i < 50; i++)
                await c.RunAsync("HINCRBY", "h", "hits", "2");
        }));
        Assert.Equal("$3\r\n800\r\n", await clients[0].WireAsync("HGET", "h", "hits"));
        Assert.True(node.Node.Table("h").Get("hits")!.IsCounter);
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task Writes_keep_the_tables_autoexpire()
    {
        await node.Node.Table("x").ResetAsync();
        using var client = new HandlerClient(node.NewServer());
        await client.RunAsync("HSET", "x", "k", "v");
        Assert.InRange(node.Node.Table("x").Table.SecondsToLive("k")!.Value, 1, 3);
        node.Time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal("$-1\r\n", await client.WireAsync("HGET", "x", "k"));
        Assert.Equal(":0\r\n", await client.WireAsync("HEXISTS", "x", "k"));
    }

    [Fact]
    public async Task Full_listings_past_the_bound_answer_the_keys_error()
    {
        await node.Node.Table("p").ResetAsync();
        using var client = new HandlerClient(node.NewServer(maxReplyKeys: 3));
        await client.RunAsync("HSET", "p", "a", "1", "b", "2", "c", "3");
        Assert.Equal(3, ((RespArray)await client.RunAsync("HKEYS", "p")).Items.Count);
        await client.RunAsync("HSET", "p", "d", "4");
        Assert.Equal("-ERR HKEYS would list more than 3 keys (Resp:MaxReplyKeys); use SCAN or HSCAN\r\n", await client.WireAsync("HKEYS", "p"));
        Assert.Equal("-ERR HVALS would list more than 3 keys (Resp:MaxReplyKeys); use SCAN or HSCAN\r\n", await client.WireAsync("HVALS", "p"));
        Assert.Equal("-ERR HGETALL would list more than 3 keys (Resp:MaxReplyKeys); use SCAN or HSCAN\r\n", await client.WireAsync("HGETALL", "p"));
        Assert.Equal(":4\r\n", await client.WireAsync("HLEN", "p"));
    }

    [Fact]
    public async Task Hscan_pages_through_every_field_once_with_match_and_count()
    {
        await node.Node.Table("p").ResetAsync();
        using var client = new HandlerClient(node.NewServer());
        for (var i = 0; i < 100; i++)
            await client.RunAsync("HSET", "p", "f" + i, "v" + i);
        await client.RunAsync("HSET", "p", "other", "x");
        var seen = new Dictionary<string, string>();
        var cursor = "0";
        var pages = 0;
        do
        {
            var reply = (RespArray)await client.RunAsync("HSCAN", "p", cursor, "MATCH", "f*", "COUNT", "7");
            cursor = Text(reply.Items[0]);
            var items = ((RespArray)reply.Items[1]).Items;
            for (var i = 0; i < items.Count; i += 2)
                seen.Add(Text(items[i]), Text(items[i + 1]));
            Assert.True(++pages < 1000, "HSCAN did not end");
        }
        while (cursor != "0");
        Assert.Equal(100, seen.Count);
        Assert.All(seen, kv => Assert.Equal("v" + kv.Key[1..], kv.Value));
        Assert.True(pages > 1);
        // A cursor this table cannot have made.
        Assert.Equal("-ERR invalid cursor\r\n", await client.WireAsync("HSCAN", "p", "18446744073709551615"));
    }

    [Fact]
    public async Task Hrandfield_picks_as_redis_does()
    {
        await node.Node.Table("p").ResetAsync();
        using var resp2 = new HandlerClient(node.NewServer());
        using var resp3 = new HandlerClient(resp2.Server, protocol: 3);
        Assert.Equal("$-1\r\n", await resp2.WireAsync("HRANDFIELD", "p"));
        Assert.Equal("*0\r\n", await resp2.WireAsync("HRANDFIELD", "p", "3"));
        Assert.Equal("*0\r\n", await resp2.WireAsync("HRANDFIELD", "p", "-3", "WITHVALUES"));
        await resp2.RunAsync("HSET", "p", "a", "1", "b", "2", "c", "3");
        Assert.Contains(Text(await resp2.RunAsync("HRANDFIELD", "p")), new[] { "a", "b", "c" });
        // A positive count: distinct fields, at most all of them.
        Assert.Equal(["a", "b", "c"], Sorted(await resp2.RunAsync("HRANDFIELD", "p", "10")));
        Assert.Equal(2, Sorted(await resp2.RunAsync("HRANDFIELD", "p", "2")).Distinct().Count());
        // A negative count: exactly that many, repeats allowed.
        Assert.Equal(7, ((RespArray)await resp2.RunAsync("HRANDFIELD", "p", "-7")).Items.Count);
        // WITHVALUES: flat in RESP2, pairs in RESP3 (as redis-server 7.0 answers).
        var flat = (RespArray)await resp2.RunAsync("HRANDFIELD", "p", "-2", "WITHVALUES");
        Assert.Equal(4, flat.Items.Count);
        Assert.Equal(Text(flat.Items[0]), ((char)('a' + int.Parse(Text(flat.Items[1]), System.Globalization.CultureInfo.InvariantCulture) - 1)).ToString());
        var pairs = (RespArray)await resp3.RunAsync("HRANDFIELD", "p", "1", "WITHVALUES");
        var pair = Assert.IsType<RespArray>(Assert.Single(pairs.Items));
        Assert.Equal(2, pair.Items.Count);
    }

    [Fact]
    public async Task Resp3_replies_have_redis_7_0_shapes()
    {
        await node.Node.Table("p").ResetAsync();
        using var client = new HandlerClient(node.NewServer(), protocol: 3);
        await client.RunAsync("HSET", "p", "a", "1");
        // Recorded from redis-server 7.0.15 after HELLO 3.
        Assert.Equal("*2\r\n$1\r\n1\r\n_\r\n", await client.WireAsync("HMGET", "p", "a", "z"));
        Assert.Equal("_\r\n", await client.WireAsync("HGET", "p", "zz"));
        Assert.Equal("%1\r\n$1\r\na\r\n$1\r\n1\r\n", await client.WireAsync("HGETALL", "p"));
        Assert.Equal("*1\r\n$1\r\na\r\n", await client.WireAsync("HKEYS", "p"));
        Assert.Equal("*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n", await client.WireAsync("HSCAN", "p", "0"));
    }

    private static ReadOnlyMemory<byte> B(string s) => Encoding.UTF8.GetBytes(s);

    private static string Text(RespReply reply) => Encoding.UTF8.GetString(Assert.IsType<RespBulk>(reply).Bytes.Span);

    private static List<string> Sorted(RespReply reply) => [.. ((RespArray)reply).Items.Select(Text).Order(StringComparer.Ordinal)];
}
