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

/// <summary>A second node with a node id already in the cluster is refused.</summary>
public sealed class NodeIdentityTests
{
    [Fact]
    public async Task A_second_node_with_a_taken_id_leaves_and_exits_naming_the_conflict()
    {
        await using var first = await NodeProcess.StartAsync("--node-id", "dup");
        var seed = "akka.tcp://htcluster@127.0.0.1:" + first.ClusterPort.ToString(CultureInfo.InvariantCulture);
        var (code, _, stderr) = await PublishedNode.RunAsync(TimeSpan.FromSeconds(60), "serve", "--node-id", "dup",
            "--rpc-port", PublishedNode.FreePort().ToString(CultureInfo.InvariantCulture),
            "--cluster-port", PublishedNode.FreePort().ToString(CultureInfo.InvariantCulture), "--seed", seed);

        Assert.Equal(4, code);
        Assert.Contains("node id 'dup' is already used by the cluster member at akka.tcp://htcluster@127.0.0.1:" + first.ClusterPort.ToString(CultureInfo.InvariantCulture), stderr, StringComparison.Ordinal);
        Assert.Equal("Ok. Key set to new value.", (await first.CallAsync("htable.sets", "t", "k", "v")).GetProperty("result").GetString());
    }
}

/// <summary>Replication between node processes started from the published binary.</summary>
public sealed class ReplicationProcessTests
{
    private const string Table = "r=>size=8;dmqreplicate=1";

    private static string Seed(NodeProcess n) => "akka.tcp://htcluster@127.0.0.1:" + n.ClusterPort.ToString(CultureInfo.InvariantCulture);

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what);
            await Task.Delay(100);
        }
    }

    private static async Task<string?> ValueAsync(NodeProcess n, string key)
    {
        var reply = await n.CallAsync("htable.value", "r", key);
        return reply.GetProperty("result").ValueKind == System.Text.Json.JsonValueKind.Null ? null : reply.GetProperty("result").ToString();
    }

    [Fact]
    public async Task Writes_replicate_between_processes_and_a_killed_node_gets_everything_back_on_restart()
    {
        await using var n1 = await NodeProcess.StartAsync("--node-id", "n1", "--table", Table);
        await using var n2 = await NodeProcess.StartAsync("--node-id", "n2", "--table", Table, "--seed", Seed(n1));

        var set = await PublishedNode.RunAsync(TimeSpan.FromSeconds(60), "rpc", "--url", n1.Url, "htable.sets", "r", "from-cli", "1");
        Assert.Equal(0, set.Code);
        await n2.CallAsync("htable.inc", "r", "counter", 5);
        await n1.CallAsync("htable.inc", "r", "counter", 7);
        await EventuallyAsync(async () => await ValueAsync(n2, "from-cli") == "1", "n2 got the write made on n1");
        await EventuallyAsync(async () => await ValueAsync(n1, "counter") == "12" && await ValueAsync(n2, "counter") == "12", "both counted both increments");

        var rpcPort = n2.RpcPort;
        var clusterPort = n2.ClusterPort;
        await n2.KillAsync();
        await n1.CallAsync("htable.sets", "r", "while-down", "x");

        // The same node restarted where it was: a new incarnation that takes a snapshot before it is ready.
        await using var again = await NodeProcess.StartOnAsync(rpcPort, clusterPort, "--node-id", "n2", "--table", Table, "--seed", Seed(n1));
        Assert.Equal("x", await ValueAsync(again, "while-down"));
        Assert.Equal("12", await ValueAsync(again, "counter"));
        await again.CallAsync("htable.inc", "r", "counter", 1);
        await EventuallyAsync(async () => await ValueAsync(n1, "counter") == "13", "an increment after the restart counts once");
    }
}
