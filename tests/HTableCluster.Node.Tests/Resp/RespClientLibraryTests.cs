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
}
