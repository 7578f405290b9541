using System.Text;
using HTableCluster.Node.Resp;

namespace HTableCluster.Node.Tests.Resp;

/// <summary>
/// Pub/sub on the node's connections: the confirmations and messages redis-server 7.0 sends (wire
/// bytes recorded in RESP2 and RESP3), Redis's glob patterns, PUBSUB, cleanup when a connection
/// closes, and a subscriber that does not read.
/// </summary>
public sealed class PubSubCommandsTests(RespHashNode node) : IClassFixture<RespHashNode>
{
    [Fact]
    public async Task Resp2_confirmations_match_redis_7_0()
    {
        using var client = new HandlerClient(node.NewServer());
        // Recorded from redis-server 7.0.15, one connection, in this order.
        Assert.Equal("*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n", await client.WireAsync("UNSUBSCRIBE"));
        Assert.Equal("*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n", await client.WireAsync("SUBSCRIBE", "a", "b"));
        Assert.Equal("*3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:3\r\n*3\r\n$10\r\npsubscribe\r\n$1\r\na\r\n:4\r\n", await client.WireAsync("PSUBSCRIBE", "p*", "a"));
        Assert.Equal(4, client.Context.Subscriptions);
        Assert.Equal("*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:3\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nz\r\n:3\r\n", await client.WireAsync("UNSUBSCRIBE", "b", "z"));
        Assert.Equal("*3\r\n$12\r\npunsubscribe\r\n$2\r\np*\r\n:2\r\n*3\r\n$12\r\npunsubscribe\r\n$1\r\na\r\n:1\r\n", await client.WireAsync("PUNSUBSCRIBE"));
        Assert.Equal("*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n", await client.WireAsync("UNSUBSCRIBE"));
        Assert.Equal(0, client.Context.Subscriptions);
        Assert.Equal("-ERR wrong number of arguments for 'subscribe' command\r\n", await client.WireAsync("SUBSCRIBE"));
    }

    [Fact]
    public async Task Resp3_confirmations_and_messages_are_pushes_as_in_redis_7_0()
    {
        var server = node.NewServer();
        using var client = new HandlerClient(server, protocol: 3);
        using var publisher = new HandlerClient(server, protocol: 3);
        // Recorded from redis-server 7.0.15 after HELLO 3.
        Assert.Equal(">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n", await client.WireAsync("UNSUBSCRIBE"));
        Assert.Equal(">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n>3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n", await client.WireAsync("SUBSCRIBE", "a", "b"));
        Assert.Equal(">3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:3\r\n", await client.WireAsync("PSUBSCRIBE", "p*"));
        Assert.Equal(":1\r\n", await publisher.WireAsync("PUBLISH", "a", "m"));
        Assert.Equal(">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nm\r\n", await client.NextPushAsync());
        Assert.Equal(":1\r\n", await publisher.WireAsync("PUBLISH", "pq", "m"));
        Assert.Equal(">4\r\n$8\r\npmessage\r\n$2\r\np*\r\n$2\r\npq\r\n$1\r\nm\r\n", await client.NextPushAsync());
        // Redis lists the channels in its dictionary's order; here in the order subscribed.
        Assert.Equal(">3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:2\r\n>3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:1\r\n", await client.WireAsync("UNSUBSCRIBE"));
        Assert.Equal(">3\r\n$12\r\npunsubscribe\r\n$1\r\nx\r\n:1\r\n", await client.WireAsync("PUNSUBSCRIBE", "x"));
        Assert.Equal(">3\r\n$12\r\npunsubscribe\r\n$2\r\np*\r\n:0\r\n", await client.WireAsync("PUNSUBSCRIBE"));
    }

    [Fact]
    public async Task Publish_counts_every_delivery_in_resp2_too()
    {
        var server = node.NewServer();
        using var one = new HandlerClient(server);
        using var two = new HandlerClient(server);
        using var publisher = new HandlerClient(server);
        await one.RunAsync("SUBSCRIBE", "news");
        await two.RunAsync("SUBSCRIBE", "news");
        await two.WireAsync("PSUBSCRIBE", "n*", "*s");
        Assert.Equal(":4\r\n", await publisher.WireAsync("PUBLISH", "news", "hello"));
        Assert.Equal("*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n", await one.NextPushAsync());
        var got = new[] { await two.NextPushAsync(), await two.NextPushAsync(), await two.NextPushAsync() };
        Assert.Contains("*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n", got);
        Assert.Contains("*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$5\r\nhello\r\n", got);
        Assert.Contains("*4\r\n$8\r\npmessage\r\n$2\r\n*s\r\n$4\r\nnews\r\n$5\r\nhello\r\n", got);
        Assert.Equal(":0\r\n", await publisher.WireAsync("PUBLISH", "other", "x"));
    }

    [Fact]
    public async Task Pubsub_introspection_answers_as_redis_7_0()
    {
        var server = node.NewServer();
        using var client = new HandlerClient(server);
        using var subscriber = new HandlerClient(server);
        using var other = new HandlerClient(server);
        // Recorded from redis-server 7.0.15 with no subscriber.
        Assert.Equal("*0\r\n", await client.WireAsync("PUBSUB", "CHANNELS"));
        Assert.Equal("*4\r\n$1\r\na\r\n:0\r\n$1\r\nb\r\n:0\r\n", await client.WireAsync("PUBSUB", "NUMSUB", "a", "b"));
        Assert.Equal("*0\r\n", await client.WireAsync("PUBSUB", "NUMSUB"));
        Assert.Equal(":0\r\n", await client.WireAsync("PUBSUB", "NUMPAT"));
        Assert.Equal("-ERR unknown subcommand 'FOO'. Try PUBSUB HELP.\r\n", await client.WireAsync("PUBSUB", "FOO"));
        Assert.Equal("-ERR wrong number of arguments for 'pubsub' command\r\n", await client.WireAsync("PUBSUB"));
        Assert.Equal("-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n", await client.WireAsync("PUBSUB", "CHANNELS", "a", "b"));
        Assert.StartsWith("*14\r\n+PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+CHANNELS [<pattern>]\r\n", await client.WireAsync("PUBSUB", "HELP"), StringComparison.Ordinal);

        await subscriber.RunAsync("SUBSCRIBE", "a", "ab", "b");
        await other.RunAsync("SUBSCRIBE", "a");
        await subscriber.RunAsync("PSUBSCRIBE", "x*", "y*");
        await other.RunAsync("PSUBSCRIBE", "x*");
        Assert.Equal(["a", "ab", "b"], Names(await client.RunAsync("PUBSUB", "CHANNELS")));
        Assert.Equal(["a", "ab"], Names(await client.RunAsync("PUBSUB", "CHANNELS", "a*")));
        Assert.Equal("*4\r\n$1\r\na\r\n:2\r\n$1\r\nb\r\n:1\r\n", await client.WireAsync("PUBSUB", "NUMSUB", "a", "b"));
        Assert.Equal(":2\r\n", await client.WireAsync("PUBSUB", "NUMPAT"));
    }

    [Fact]
    public async Task A_closed_connection_leaves_no_subscription()
    {
        var server = node.NewServer();
        using var client = new HandlerClient(server);
        var subscriber = new HandlerClient(server);
        await subscriber.RunAsync("SUBSCRIBE", "gone");
        await subscriber.RunAsync("PSUBSCRIBE", "go*");
        Assert.Equal(":2\r\n", await client.WireAsync("PUBLISH", "gone", "x"));
        subscriber.Dispose();
        Assert.Equal(":0\r\n", await client.WireAsync("PUBLISH", "gone", "x"));
        Assert.Equal("*2\r\n$4\r\ngone\r\n:0\r\n", await client.WireAsync("PUBSUB", "NUMSUB", "gone"));
        Assert.Equal(":0\r\n", await client.WireAsync("PUBSUB", "NUMPAT"));
    }

    [Fact]
    public async Task A_subscriber_that_does_not_read_holds_a_bounded_queue_and_publishers_go_on()
    {
        var server = node.NewServer();
        using var stuck = new SemaphoreSlim(0);
        var pushed = 0;
        // The connection's Push blocks (a client that never reads, before any output limit).
        using var slow = new HandlerClient(server, push: _ =>
        {
            Interlocked.Increment(ref pushed);
            stuck.Wait(TimeSpan.FromSeconds(30));
        });
        using var publisher = new HandlerClient(server);
        await slow.RunAsync("SUBSCRIBE", "flood");
        var extra = 500;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await Task.Run(async () =>
        {
            for (var i = 0; i < RespPubSub.QueueLength + extra; i++)
                await publisher.RunAsync("PUBLISH", "flood", "m" + i);
        }, cts.Token);
        // At most one message is inside the blocked Push; the queue holds QueueLength; the rest dropped.
        Assert.InRange(server.PubSub.Dropped, extra - 1, extra);
        stuck.Release(RespPubSub.QueueLength + extra);
    }

    [Theory]
    [MemberData(nameof(Globs))]
    public void Glob_patterns_match_as_redis_matches_them(string pattern, string[] matched)
    {
        // Recorded from redis-server 7.0.15: KEYS <pattern> over these keys (bytes as Latin-1).
        string[] texts = ["a", "ab", "abc", "abd", "aed", "ace", "a*b", "axb", "a]b", "a[", "a[b", "ab\\", "x", "axx", "hello", "hallo", "hllo", "heeeello", "k9", "\u00c3\u00a9", "a\u00c3\u00a9"];
        var found = texts.Where(t => RespGlob.IsMatch(Encoding.Latin1.GetBytes(pattern), Encoding.Latin1.GetBytes(t))).ToArray();
        Assert.Equal(matched, found);
    }

    public static TheoryData<string, string[]> Globs => new()
    {
        { "*", ["a", "ab", "abc", "abd", "aed", "ace", "a*b", "axb", "a]b", "a[", "a[b", "ab\\", "x", "axx", "hello", "hallo", "hllo", "heeeello", "k9", "\u00c3\u00a9", "a\u00c3\u00a9"] },
        { "a*", ["a", "ab", "abc", "abd", "aed", "ace", "a*b", "axb", "a]b", "a[", "a[b", "ab\\", "axx", "a\u00c3\u00a9"] },
        { "*b", ["ab", "a*b", "axb", "a]b", "a[b"] },
        { "a?c", ["abc"] },
        { "a[bc]d", ["abd"] },
        { "a[^bc]d", ["aed"] },
        { "a[b-d]e", ["ace"] },
        { "a[d-b]e", ["ace"] },
        { "a\\*b", ["a*b"] },
        { "a[\\]]b", ["a]b"] },
        { "a[", [] },
        { "a[b", ["ab"] },
        { "ab\\", ["ab\\"] },
        { "**x", ["x", "axx"] },
        { "h?llo", ["hello", "hallo"] },
        { "h*llo", ["hello", "hallo", "hllo", "heeeello"] },
        { "h[^e]llo", ["hallo"] },
        { "h[a-b]llo", ["hallo"] },
        { "*[0-9]", ["k9"] },
        { "[", [] },
        { "a[]b", [] },
        { "\u00c3*", ["\u00c3\u00a9"] },
        { "a[\u00c3-\u00c4]*", ["a\u00c3\u00a9"] },
    };

    [Theory]
    [InlineData("KEA", "AKE")]
    [InlineData("Kx", "xK")]
    [InlineData("An", "A")]
    [InlineData("g$lshzxetdKEmn", "AKEm")]
    [InlineData("Eh", "hE")]
    [InlineData("nKE", "nKE")]
    [InlineData("mK", "Km")]
    [InlineData("zz", "z")]
    [InlineData("KA", "AK")]
    [InlineData("", "")]
    public void Notify_keyspace_events_takes_redis_letters_in_canonical_form(string set, string shown)
    {
        // Recorded from redis-server 7.0.15: CONFIG SET, then CONFIG GET.
        Assert.Equal(shown, KeyspaceEvents.Normalize(set));
        var parameter = RespCommandTable.CreateDefault().Parameters["notify-keyspace-events"];
        Assert.Equal("", parameter.Default);
        Assert.Equal(shown, parameter.Normalize!(set));
    }

    [Fact]
    public void Notify_keyspace_events_refuses_unknown_letters_with_redis_reason()
    {
        var e = Assert.Throws<FormatException>(() => KeyspaceEvents.Normalize("Kq"));
        Assert.Equal("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.", e.Message);
    }

    [Fact]
    public async Task Hash_writes_raise_keyspace_notifications_naming_the_item()
    {
        await node.Node.Table("p").ResetAsync();
        var server = node.NewServer();
        using var client = new HandlerClient(server);
        using var subscriber = new HandlerClient(server);
        await subscriber.RunAsync("PSUBSCRIBE", "__key*__:*");
        // Off by default, as in Redis.
        await client.RunAsync("HSET", "p", "a", "1");
        server.SetConfigValue("notify-keyspace-events", KeyspaceEvents.Normalize("KEA"));
        // p is database 1 (SELECT order h, p, i, x); the channel names the item's key.
        string[] expected =
        [
            "*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$16\r\n__keyspace@1__:a\r\n$4\r\nhset\r\n",
            "*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$19\r\n__keyevent@1__:hset\r\n$1\r\na\r\n",
            "*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$16\r\n__keyspace@1__:a\r\n$7\r\nhincrby\r\n",
            "*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$22\r\n__keyevent@1__:hincrby\r\n$1\r\na\r\n",
            "*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$16\r\n__keyspace@1__:a\r\n$12\r\nhincrbyfloat\r\n",
            "*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$27\r\n__keyevent@1__:hincrbyfloat\r\n$1\r\na\r\n",
            "*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$16\r\n__keyspace@1__:a\r\n$4\r\nhdel\r\n",
            "*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$19\r\n__keyevent@1__:hdel\r\n$1\r\na\r\n",
        ];
        await client.RunAsync("HSET", "p", "a", "1");
        await client.RunAsync("HINCRBY", "p", "a", "1");
        await client.RunAsync("HINCRBYFLOAT", "p", "a", "1");
        await client.RunAsync("HDEL", "p", "a");
        foreach (var message in expected)
            Assert.Equal(message, await subscriber.NextPushAsync());
        // Only the classes switched on: hash events off, nothing more arrives for them.
        server.SetConfigValue("notify-keyspace-events", KeyspaceEvents.Normalize("Kg"));
        await client.RunAsync("HSET", "p", "b", "1");
        // A marker published after the write: had the write notified, its message would come first.
        await client.RunAsync("PUBLISH", "__keyspace@9__:marker", "m");
        Assert.Equal("*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$21\r\n__keyspace@9__:marker\r\n$1\r\nm\r\n", await subscriber.NextPushAsync());
    }

    [Fact]
    public async Task Expired_items_raise_expired_keyspace_notifications()
    {
        await node.Node.Table("x").ResetAsync();
        var server = node.NewServer();
        using var client = new HandlerClient(server);
        using var subscriber = new HandlerClient(server);
        server.SetConfigValue("notify-keyspace-events", KeyspaceEvents.Normalize("Ex"));
        await subscriber.RunAsync("SUBSCRIBE", "__keyevent@3__:expired");
        await client.RunAsync("HSET", "x", "soon", "v");
        node.Time.Advance(TimeSpan.FromSeconds(5));
        // The node's sweep (every second) collects the item and raises htable:expired:x.
        Assert.Equal("*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@3__:expired\r\n$4\r\nsoon\r\n", await subscriber.NextPushAsync());
    }

    private static List<string> Names(RespReply reply) =>
        [.. ((RespArray)reply).Items.Select(r => Encoding.UTF8.GetString(((RespBulk)r).Bytes.Span)).Order(StringComparer.Ordinal)];
}
