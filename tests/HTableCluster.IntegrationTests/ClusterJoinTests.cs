using System.Globalization;

namespace HTableCluster.IntegrationTests;

/// <summary>Nodes form one Akka.NET cluster through a seed node.</summary>
public sealed class ClusterJoinTests
{
    [Fact]
    public async Task Second_node_joins_through_the_seed_and_becomes_ready()
    {
        await using var seed = await NodeProcess.StartAsync("--node-id", "n1");
        var seedAddress = "akka.tcp://htcluster@127.0.0.1:" + seed.ClusterPort.ToString(CultureInfo.InvariantCulture);
        await using var second = await NodeProcess.StartAsync("--node-id", "n2", "--seed", seedAddress);
        // Ready means this node is an Up member of the seed's cluster.
        await second.WaitReadyAsync();
        var moved = $"127.0.0.1:{second.ClusterPort.ToString(CultureInfo.InvariantCulture)}] to [Up]";
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!seed.Log.Contains(moved, StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Contains(moved, seed.Log, StringComparison.Ordinal);
    }
}
