using StackExchange.Redis;

namespace HTableCluster.Node.Tests.Resp;

/// <summary>StackExchange.Redis against a node without a password, in RESP2 and RESP3.</summary>
public sealed class RespClientLibraryTests(RespNodeFixture node) : IClassFixture<RespNodeFixture>
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task StackExchange_redis_connects_and_pings_and_echoes(int version)
    {
        var protocol = version == 3 ? RedisProtocol.Resp3 : RedisProtocol.Resp2;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RespAuthTests.Options(node.RespPort, protocol));
        var db = redis.GetDatabase();
        Assert.True(await db.PingAsync() >= TimeSpan.Zero);
        Assert.Equal("héllo wörld", (string?)await db.ExecuteAsync("ECHO", "héllo wörld"));
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        Assert.Equal(protocol, server.Protocol);
        Assert.Equal(new Version(7, 0, 15), server.Version);
        // Many commands in flight at once on the one connection (pipelined): each gets its own reply.
        var echoes = Enumerable.Range(0, 500).Select(i => db.ExecuteAsync("ECHO", "m" + i)).ToList();
        var replies = await Task.WhenAll(echoes);
        for (var i = 0; i < replies.Length; i++)
            Assert.Equal("m" + i, (string?)replies[i]);
        var time = await server.TimeAsync();
        Assert.InRange(time, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(5));
        Assert.Contains(server.ClientList(), c => c.Id > 0);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task StackExchange_redis_reads_writes_counts_expires_scans_hashes_and_subscribes(int version)
    {
        var protocol = version == 3 ? RedisProtocol.Resp3 : RedisProtocol.Resp2;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RespAuthTests.Options(node.RespPort, protocol));
        var db = redis.GetDatabase(0); // table a
        var p = $"se{version}-";

        Assert.True(await db.StringSetAsync(p + "user", "alice"));
        Assert.Equal("alice", (string?)await db.StringGetAsync(p + "user"));
        Assert.False(await db.StringSetAsync(p + "user", "bob", when: When.NotExists));
        Assert.True((await db.StringGetAsync(p + "nobody")).IsNull);
        Assert.Equal(1, await db.StringIncrementAsync(p + "hits"));
        Assert.Equal(42, await db.StringIncrementAsync(p + "hits", 41));
        Assert.Equal(40, await db.StringDecrementAsync(p + "hits", 2));
        Assert.Equal(40, node.Node.Table("a").Get(p + "hits")!.IntValue); // an integer item of table a
        var error = await Assert.ThrowsAsync<RedisServerException>(() => db.StringIncrementAsync(p + "user"));
        Assert.Equal("ERR value is not an integer or out of range", error.Message);

        Assert.True(await db.KeyExpireAsync(p + "user", TimeSpan.FromSeconds(100)));
        Assert.InRange((await db.KeyTimeToLiveAsync(p + "user"))!.Value.TotalSeconds, 95, 100);
        Assert.True(await db.KeyPersistAsync(p + "user"));
        Assert.Null(await db.KeyTimeToLiveAsync(p + "user"));

        // SCAN through the server API (cursor paging with a small page size).
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var scanned = new List<string>();
        await foreach (var k in server.KeysAsync(0, p + "*", pageSize: 1))
            scanned.Add(k!);
        Assert.Equal([p + "hits", p + "user"], scanned.Order(StringComparer.Ordinal));

        // Table e is a hash named after it (and database 1).
        var field = p + "gw";
        Assert.True(await db.HashSetAsync("e", field, "10.0.0.1"));
        Assert.Equal("10.0.0.1", (string?)await db.HashGetAsync("e", field));
        Assert.Equal("10.0.0.1", (string?)await redis.GetDatabase(1).StringGetAsync(field));
        Assert.Equal(5, await db.HashIncrementAsync("e", p + "count", 5));
        var fields = new List<string>();
        await foreach (var entry in db.HashScanAsync("e", p + "*", pageSize: 1))
            fields.Add(entry.Name!);
        Assert.Equal([p + "count", field], fields.Order(StringComparer.Ordinal));
        var missing = await Assert.ThrowsAsync<RedisServerException>(() => db.HashGetAsync("nosuch", "x"));
        Assert.StartsWith("ERR no table 'nosuch'", missing.Message, StringComparison.Ordinal);

        // Pub/sub through the multiplexer's subscriber.
        var subscriber = redis.GetSubscriber();
        var channel = RedisChannel.Literal(p + "news");
        var queue = await subscriber.SubscribeAsync(channel);
        Assert.Equal(1, await subscriber.PublishAsync(channel, "hello"));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var message = await queue.ReadAsync(cts.Token);
        Assert.Equal("hello", (string?)message.Message);
        await queue.UnsubscribeAsync();
    }
}
