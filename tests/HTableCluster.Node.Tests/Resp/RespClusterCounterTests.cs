using HTableCluster.Node.Resp;
using Microsoft.Extensions.DependencyInjection;

namespace HTableCluster.Node.Tests.Resp;

/// <summary>INCR through the Redis endpoints of two members at once: the replicated counter is exact on both.</summary>
public sealed class RespClusterCounterTests
{
    private static readonly string[] Tables = ["c=>size=4;dmqreplicate=1"];

    [Fact]
    public async Task Increments_on_both_members_add_up_exactly()
    {
        await using var n1 = await ClusterNode.StartAsync("n1", Tables);
        await n1.WaitReadyAsync();
        await using var n2 = await ClusterNode.StartAsync("n2", Tables, n1);
        await n2.WaitReadyAsync();
        var s1 = new RespServer(n1.Node, RespCommandTable.CreateDefault());
        var s2 = new RespServer(n2.Node, RespCommandTable.CreateDefault());
        var work = new List<Task<RespReply>>();
        for (var i = 0; i < 300; i++)
        {
            work.Add(RespTestNode.RunAsync(new RespContext(s1, i), "INCR", "hits"));
            work.Add(RespTestNode.RunAsync(new RespContext(s2, i), "INCRBY", "hits", "2"));
            if (i % 50 == 0)
                work.Add(RespTestNode.RunAsync(new RespContext(s2, i), "DECR", "hits"));
        }
        foreach (var reply in await Task.WhenAll(work))
            Assert.IsType<RespInteger>(reply);
        await ClusterNode.EventuallyAsync(async () =>
        {
            Assert.Equal("$\"894\"", RespText.Show(await RespTestNode.RunAsync(new RespContext(s1, 1000), "GET", "hits")));
            Assert.Equal("$\"894\"", RespText.Show(await RespTestNode.RunAsync(new RespContext(s2, 1000), "GET", "hits")));
        });
    }

    [Fact]
    public async Task Redis_cli_increments_through_both_members_endpoints_add_up_exactly()
    {
        var settings = new Dictionary<string, string?> { ["Resp:Port"] = "0" };
        await using var n1 = await ClusterNode.StartAsync("n1", Tables, settings: settings);
        await n1.WaitReadyAsync();
        await using var n2 = await ClusterNode.StartAsync("n2", Tables, n1, settings);
        await n2.WaitReadyAsync();
        var p1 = n1.Services.GetRequiredService<RespEndpoint>().EndPoint!.Port;
        var p2 = n2.Services.GetRequiredService<RespEndpoint>().EndPoint!.Port;
        // redis-cli -r repeats one command on one connection; both run at once, one per member.
        var runs = await Task.WhenAll(
            RedisReference.CliAsync(p1, "", "-r", "400", "INCR", "c:hits"),
            RedisReference.CliAsync(p2, "", "-r", "300", "INCRBY", "c:hits", "3"),
            RedisReference.CliAsync(p2, "", "-r", "100", "DECR", "c:hits"));
        Assert.Equal(800, runs.Sum(r => r.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.StartsWith("(integer) ", StringComparison.Ordinal))));
        await ClusterNode.EventuallyAsync(async () =>
        {
            Assert.Equal("\"1200\"\n", await RedisReference.CliAsync(p1, "GET c:hits\n"));
            Assert.Equal("\"1200\"\n", await RedisReference.CliAsync(p2, "GET c:hits\n"));
        });
    }

    [Fact]
    public async Task StackExchange_redis_increments_through_both_members_add_up_exactly()
    {
        var settings = new Dictionary<string, string?> { ["Resp:Port"] = "0" };
        await using var n1 = await ClusterNode.StartAsync("n1", Tables, settings: settings);
        await n1.WaitReadyAsync();
        await using var n2 = await ClusterNode.StartAsync("n2", Tables, n1, settings);
        await n2.WaitReadyAsync();
        await using var c1 = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(RespAuthTests.Options(n1.Services.GetRequiredService<RespEndpoint>().EndPoint!.Port, StackExchange.Redis.RedisProtocol.Resp2));
        await using var c2 = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(RespAuthTests.Options(n2.Services.GetRequiredService<RespEndpoint>().EndPoint!.Port, StackExchange.Redis.RedisProtocol.Resp3));
        var db1 = c1.GetDatabase();
        var db2 = c2.GetDatabase();

        // Every increment in flight at once on each member's one connection.
        var increments = Enumerable.Range(0, 500).Select(_ => db1.StringIncrementAsync("hits"))
            .Concat(Enumerable.Range(0, 250).Select(_ => db2.StringIncrementAsync("hits", 2)))
            .Concat(Enumerable.Range(0, 100).Select(_ => db2.StringDecrementAsync("hits")))
            .ToList();
        var replies = await Task.WhenAll(increments);
        Assert.Equal(850, replies.Length);
        await ClusterNode.EventuallyAsync(async () =>
        {
            Assert.Equal(900, (long)await db1.StringGetAsync("hits"));
            Assert.Equal(900, (long)await db2.StringGetAsync("hits"));
        });
    }
}
