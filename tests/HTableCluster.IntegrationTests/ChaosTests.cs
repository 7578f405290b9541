using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace HTableCluster.IntegrationTests;

/// <summary>
/// Faults under a bounded load on three node processes in network namespaces (write concern 1):
/// kill -9 and restart, partitions shorter and longer than the split-brain resolver's wait, 5%
/// packet loss, a rate-limited link. The load runs 1.5 s before and during the fault and stops when
/// the fault ends. After each, every node holds the same content, every acknowledged set, delete and
/// inc is there (counters exact), and every acknowledged flatstore record is in the node's file. The
/// time from the end of the fault (heal, restart command) to equal content goes to the test output.
/// </summary>
[Collection("netns")]
public sealed class ChaosTests(ChaosCluster cluster, ITestOutputHelper output) : IClassFixture<ChaosCluster>
{
    private const int Writers = 6;
    private static readonly TimeSpan ConvergeWithin = TimeSpan.FromSeconds(60);

    [Fact]
    public Task Kill_9_of_a_node_under_load_and_restart_loses_no_acknowledged_write() =>
        ScenarioAsync("kill9", "kill -9 of node 2 for 3 s, restart (same ports)", () => cluster.KillAsync(2), () => cluster.RestartAsync(2));

    [Fact]
    public Task Partition_of_a_node_shorter_than_down_after_then_heal_loses_no_acknowledged_write() =>
        ScenarioAsync("cut", "node 3 cut off for 3 s (< Cluster:DownAfterSeconds 10), heal", () => Netns.RunAsync("cut", "3"), () => Netns.RunAsync("heal", "3"));

    [Fact]
    public Task Five_percent_loss_on_a_node_link_under_load_loses_no_acknowledged_write() =>
        ScenarioAsync("loss", "5% packet loss each way on node 3 for 3 s", () => Netns.RunAsync("loss", "3", "5"), () => Netns.RunAsync("clear", "3"));

    [Fact]
    public Task A_node_rate_limited_to_1mbit_under_load_loses_no_acknowledged_write() =>
        ScenarioAsync("rate", "node 2 egress limited to 1mbit (tc tbf) for 3 s", () => Netns.RunAsync("rate", "2", "1mbit"), () => Netns.RunAsync("clear", "2"));

    [Fact]
    public Task Partition_of_a_node_longer_than_down_after_then_heal_loses_no_acknowledged_write()
    {
        const string Downed = "This node was downed by the cluster";
        var before = 0;
        return ScenarioAsync(
            "longcut",
            "node 3 cut off until the others down it (Cluster:DownAfterSeconds 10), heal, it rejoins",
            () =>
            {
                before = Count(cluster.Node(3).Log, Downed);
                return Netns.RunAsync("cut", "3");
            },
            async () =>
            {
                await Netns.RunAsync("heal", "3");
                await cluster.Node(3).WaitReadyAsync(TimeSpan.FromSeconds(90));
            },
            async () =>
            {
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (Count(cluster.Node(3).Log, Downed) == before)
                {
                    Assert.True(DateTime.UtcNow < deadline, "node 3 was not downed while cut off:\n" + Tail(cluster.Node(3).Log));
                    await Task.Delay(200);
                }
            });
    }

    private static int Count(string log, string what) => log.Split(what).Length - 1;

    private async Task ScenarioAsync(string name, string description, Func<Task> fault, Func<Task> end, Func<Task>? during = null)
    {
        for (var i = 1; i <= 3; i++)
            await cluster.Node(i).WaitReadyAsync(TimeSpan.FromSeconds(90));
        await cluster.WaitFormedAsync(TimeSpan.FromSeconds(90));

        var load = new ChaosLoad(name, Writers);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90)); // bound even if a step hangs
        var running = load.RunAsync(5000, stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var ended = false;
        Stopwatch converge;
        double endSeconds;
        try
        {
            await fault();
            await (during?.Invoke() ?? Task.Delay(TimeSpan.FromSeconds(3)));
            await stop.CancelAsync();
            await running;
            converge = Stopwatch.StartNew();
            await end();
            ended = true;
            endSeconds = converge.Elapsed.TotalSeconds;
        }
        finally
        {
            if (!ended)
                await end();
        }
        var (seconds, lost) = await ConvergedAsync(load, converge);

        // The cluster keeps working: a second, short load on the same nodes converges too.
        var after = new ChaosLoad(name + "-after", Writers);
        using (var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            await after.RunAsync(60, bound.Token);
        await ConvergedAsync(after, Stopwatch.StartNew());

        // The cluster is whole again: every node sees the three members Up.
        await cluster.WaitFormedAsync(TimeSpan.FromSeconds(90));
        Assert.Empty(load.Anomalies);
        Assert.Empty(after.Anomalies);
        var missing = MissingLines(load).Concat(MissingLines(after)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} acknowledged flatstore records are not in the files, e.g. {string.Join(", ", missing.Take(5))}");
        Assert.True(load.Acknowledged >= 100, $"{name}: only {load.Acknowledged} operations were acknowledged");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"chaos {name} ({description}): operations acknowledged {load.Acknowledged} (+{after.Acknowledged} after), not acknowledged {load.Unacknowledged}, " +
            $"acknowledged writes lost {lost}, flatstore records acknowledged {load.Lines.Count}, missing {missing.Count}, " +
            $"all three nodes equal {seconds:0.0} s after the fault ended (ending it took {endSeconds:0.0} s)"));
    }

    /// <summary>Waits (bounded) until the three nodes' tables are equal and agree with the load's acknowledged operations.</summary>
    private async Task<(double Seconds, int Lost)> ConvergedAsync(ChaosLoad load, Stopwatch since)
    {
        var why = "";
        while (since.Elapsed < ConvergeWithin)
        {
            var dumps = new List<Dictionary<string, string>>();
            for (var i = 1; i <= 3; i++)
            {
                if (await cluster.DumpAsync(i) is { } d)
                    dumps.Add(d);
            }
            if (dumps.Count < 3)
            {
                why = "a node did not answer htable.dump";
            }
            else if ((Difference(dumps[0], dumps[1]) ?? Difference(dumps[0], dumps[2])) is { } diff)
            {
                why = "nodes differ: " + diff;
            }
            else if (load.Mismatch(dumps[0]) is { } bad)
            {
                why = "equal, but not as acknowledged: " + bad;
            }
            else
            {
                return (since.Elapsed.TotalSeconds, load.Lost(dumps[0]));
            }
            await Task.Delay(200);
        }
        Assert.Fail($"not converged within {ConvergeWithin.TotalSeconds} s: {(why.Length > 2000 ? why[..2000] : why)}\n" +
            $"node 1:\n{Tail(cluster.Node(1).Log)}\nnode 2:\n{Tail(cluster.Node(2).Log)}\nnode 3:\n{Tail(cluster.Node(3).Log)}");
        return default;
    }

    private static string? Difference(Dictionary<string, string> a, Dictionary<string, string> b)
    {
        foreach (var (k, v) in a)
        {
            if (!b.TryGetValue(k, out var w) || w != v)
                return $"{k}={v} vs {w ?? "(absent)"}";
        }
        foreach (var k in b.Keys.Where(k => !a.ContainsKey(k)))
            return $"{k} absent vs {b[k]}";
        return null;
    }

    private List<string> MissingLines(ChaosLoad load)
    {
        var missing = new List<string>();
        foreach (var node in load.Lines.GroupBy(l => l.Node))
        {
            var path = cluster.FlatFile(node.Key, ChaosLoad.Flat);
            var ids = File.Exists(path)
                ? File.ReadAllText(path).Split('\n').Select(l => l.Split('|')[0]).ToHashSet(StringComparer.Ordinal)
                : [];
            missing.AddRange(node.Where(l => !ids.Contains(l.Id)).Select(l => $"n{l.Node}:{l.Id}"));
        }
        return missing;
    }

    private static string Tail(string log) => log.Length > 3000 ? log[^3000..] : log;
}
