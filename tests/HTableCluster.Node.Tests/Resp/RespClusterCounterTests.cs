using HTableCluster.Node.Resp;

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
}
