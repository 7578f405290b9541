using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace HTableCluster.Node.Tests.Resp;

/// <summary>
/// The hash and pub/sub families side by side: the same redis-cli scripts (and redis-cli
/// subscribers running in the background) against redis-server 7.0 and against a node's Redis
/// endpoint print the same lines. The node's tables are a (database 0) and e (database 1).
/// </summary>
public sealed class RespHashSideBySideTests(RespNodeFixture node) : IClassFixture<RespNodeFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Hash_commands_print_the_same_through_redis_cli()
    {
        await node.Redis.AssertSameAsync(node.RespPort, """
            HSET a f1 1 f2 two
            HSET a f1 one
            HSET a f1
            HGET a f1
            HGET a nope
            HMGET a f1 nope f2
            HSETNX a f1 x
            HSETNX a f3 3
            HEXISTS a f2
            HEXISTS a nope
            HLEN a
            HSTRLEN a f2
            HSTRLEN a nope
            HINCRBY a n 5
            HINCRBY a n -7
            HINCRBY a n x
            HINCRBY a big 9223372036854775807
            HINCRBY a big 1
            HDEL a big
            HINCRBY a f2 1
            HINCRBYFLOAT a fl 10.5
            HINCRBYFLOAT a fl 0.1
            HINCRBYFLOAT a fl 0x10
            HINCRBYFLOAT a f2 1
            HINCRBYFLOAT a fl nan
            HINCRBYFLOAT a fl inf
            HMSET a m 1
            HDEL a f1 f2 f3 nope m fl
            HKEYS a
            HVALS a
            HGETALL a
            HSCAN a 0
            HSCAN a 0 MATCH x*
            HSCAN a x
            HSCAN a 0 COUNT 0
            HSCAN a 0 NOVALUES
            HRANDFIELD a
            HRANDFIELD a 1 WITHVALUES
            HRANDFIELD a -2
            HRANDFIELD a 0
            HRANDFIELD a x
            HRANDFIELD a 1 BAD
            HDEL a n
            HLEN a
            HGETALL a
            HRANDFIELD a
            HRANDFIELD a 3
            HGET a
            HINCRBY a n
            """);
    }

    [Fact]
    public async Task Resp3_hash_replies_print_the_same_through_redis_cli()
    {
        await node.Redis.AssertSameAsync(node.RespPort, """
            HSET e k v
            HGETALL e
            HMGET e k nope
            HRANDFIELD e 1 WITHVALUES
            HSCAN e 0
            HINCRBYFLOAT e x 1.5
            HDEL e k x
            """, "-3");
    }

    [Theory]
    [InlineData("2", "subscribe", "ch1", "ch2")]
    [InlineData("2", "psubscribe", "ch1*", "*2")]
    [InlineData("3", "subscribe", "ch1", "ch2")]
    [InlineData("3", "psubscribe", "ch1*", "*2")]
    public async Task Redis_cli_subscribers_print_the_same(string protocol, params string[] subscription)
    {
        const string Publish = """
            PUBLISH ch1 hello
            PUBLISH ch2 "two words"
            PUBLISH other x
            PUBSUB NUMSUB ch1 ch2
            PUBSUB NUMPAT
            """;
        // The banner, both confirmations, then ch1 and ch2 once each (3 lines, or 4 for a pattern).
        // Each channel matches one pattern: Redis delivers to several in its dictionary's order.
        var lines = subscription[0] == "subscribe" ? 1 + 6 + 6 : 1 + 6 + 8;
        var redis = await SubscribedAsync(node.Redis.Port, protocol, subscription, Publish, lines);
        var ours = await SubscribedAsync(node.RespPort, protocol, subscription, Publish, lines);
        RedisReference.AssertSameLines(string.Join(' ', subscription), redis.Subscriber, ours.Subscriber);
        RedisReference.AssertSameLines(Publish, redis.Publisher, ours.Publisher);
    }

    [Fact]
    public async Task Keyspace_notifications_reach_redis_cli_psubscribers_as_from_redis()
    {
        const string On = "CONFIG SET notify-keyspace-events KEA\nCONFIG GET notify-keyspace-events\n";
        const string Off = "CONFIG SET notify-keyspace-events \"\"\n";
        await node.Redis.AssertSameAsync(node.RespPort, On);
        try
        {
            // SET and DEL in database 0 (redis-server) and in table a (the node's database 0).
            const string Writes = """
                SET ks:k v
                DEL ks:k
                """;
            var redis = await SubscribedAsync(node.Redis.Port, "2", ["psubscribe", "__key*@0__:ks*"], Writes, 1 + 3 + 8);
            var ours = await SubscribedAsync(node.RespPort, "2", ["psubscribe", "__key*@0__:ks*"], Writes, 1 + 3 + 8);
            RedisReference.AssertSameLines(Writes, redis.Subscriber, ours.Subscriber);
            RedisReference.AssertSameLines(Writes, redis.Publisher, ours.Publisher);
            Assert.Equal("""
                (error) ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.
                """, (await RedisReference.CliAsync(node.RespPort, "CONFIG SET notify-keyspace-events Kq\n")).Trim());
        }
        finally
        {
            await node.Redis.AssertSameAsync(node.RespPort, Off);
        }
    }

    // Starts `redis-cli <subscription>` in the background, waits for its confirmations, runs the
    // publishing script, waits until the subscriber printed `lines` lines in all, then stops it.
    private static async Task<(string Subscriber, string Publisher)> SubscribedAsync(int port, string protocol, string[] subscription, string script, int lines)
    {
        var psi = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "--no-raw", "-" + protocol, .. subscription])
            psi.ArgumentList.Add(a);
        using var cli = Process.Start(psi) ?? throw new InvalidOperationException("redis-cli did not start");
        var output = new StringBuilder();
        var count = 0;
        cli.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (output)
            {
                output.Append(e.Data).Append('\n');
                count++;
            }
        };
        cli.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (output)
                output.Append("stderr: ").Append(e.Data).Append('\n');
        };
        cli.BeginOutputReadLine();
        cli.BeginErrorReadLine();
        try
        {
            var confirmations = 1 + (3 * (subscription.Length - 1));
            await WaitForAsync(() => Volatile.Read(ref count) >= confirmations, output);
            var published = await RedisReference.CliAsync(port, script);
            await WaitForAsync(() => Volatile.Read(ref count) >= lines, output);
            lock (output)
                return (output.ToString(), published);
        }
        finally
        {
            cli.Kill();
            await cli.WaitForExitAsync();
        }
    }

    private static async Task WaitForAsync(Func<bool> done, StringBuilder output)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!done())
        {
            if (DateTime.UtcNow > deadline)
            {
                lock (output)
                    Assert.Fail("redis-cli did not print what was expected within 30 s; printed:\n" + output);
            }
            await Task.Delay(20);
        }
    }
}
