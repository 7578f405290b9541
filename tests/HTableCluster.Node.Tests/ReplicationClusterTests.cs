using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;

namespace HTableCluster.Node.Tests;

/// <summary>Three in-process nodes over real Akka.Remote TCP on loopback.</summary>
public sealed class ThreeNodeCluster : IAsyncLifetime
{
    public static readonly string[] Tables = ["r=>size=8;dmqreplicate=1", "l=>size=8", "c=>size=4;initval=0;dmqreplicate=1"];

    public ClusterNode[] Nodes { get; private set; } = [];

    public async Task InitializeAsync()
    {
        var first = await ClusterNode.StartAsync("n1", Tables);
        await first.WaitReadyAsync();
        var others = await Task.WhenAll(ClusterNode.StartAsync("n2", Tables, first), ClusterNode.StartAsync("n3", Tables, first));
        Nodes = [first, .. others];
        foreach (var n in Nodes)
            await n.WaitReadyAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var n in Nodes.Reverse())
            await n.DisposeAsync();
    }
}

public sealed class ReplicationClusterTests(ThreeNodeCluster cluster) : IClassFixture<ThreeNodeCluster>
{
    private ClusterNode[] Nodes => cluster.Nodes;

    private static async Task<string> DumpAsync(ClusterNode node, string table)
    {
        var reply = await node.CallAsync("htable.dump", table);
        return reply.TryGetProperty("result", out var r) ? Canonical(r) : "[]";
    }

    // Dump items sorted by name (slot order is the same everywhere, in-slot order may differ).
    private static string Canonical(JsonElement dump) =>
        string.Join("\n", dump.EnumerateArray().SelectMany(s => s.GetProperty("slot").EnumerateArray())
            .Select(i => $"{i.GetProperty("name").GetString()}={i.GetProperty("value")}:{i.GetProperty("type").GetString()}")
            .Order(StringComparer.Ordinal));

    private async Task AllEqualAsync(string table, string expected)
    {
        await ClusterNode.EventuallyAsync(async () =>
        {
            foreach (var n in Nodes)
                Assert.Equal(expected, await DumpAsync(n, table));
        });
    }

    [Fact]
    public async Task Writes_on_any_node_reach_every_node()
    {
        await Nodes[0].ResultAsync("htable.flush", "r");
        await Nodes[0].ResultAsync("htable.sets", "r", "w:a", "from-1");
        await Nodes[1].ResultAsync("htable.seti", "r", "w:b", 42);
        await Nodes[2].ResultAsync("htable.setxs", "r", "w:c", "expiring", 3600);
        await Nodes[2].ResultAsync("htable.sets", "r", "w:gone", "x");
        await AllEqualAsync("r", "w:a=from-1:str\nw:b=42:int\nw:c=expiring:str\nw:gone=x:str");

        await Nodes[1].ResultAsync("htable.delete", "r", "w:gone");
        await Nodes[0].ResultAsync("htable.inc", "r", "w:b", 8);
        await AllEqualAsync("r", "w:a=from-1:str\nw:b=50:int\nw:c=expiring:str");
        foreach (var n in Nodes)
            Assert.True((await n.ResultAsync("htable.ttl", "r", "w:c")).GetInt64() > 3500);
    }

    [Fact]
    public async Task Removal_by_pattern_and_flush_reach_every_node()
    {
        await Nodes[0].ResultAsync("htable.flush", "c");
        for (var i = 0; i < 10; i++)
            await Nodes[i % 3].ResultAsync("htable.seti", "c", (i < 5 ? "drop:" : "keep:") + i, i);
        await ClusterNode.EventuallyAsync(async () =>
        {
            foreach (var n in Nodes)
                Assert.Equal(10, (await n.ResultAsync("htable.count_name", "c", "**")).GetInt32());
        });

        Assert.Equal(5, (await Nodes[1].ResultAsync("htable.rm_name_re", "c", "^drop:")).GetInt32());
        await AllEqualAsync("c", "keep:5=5:int\nkeep:6=6:int\nkeep:7=7:int\nkeep:8=8:int\nkeep:9=9:int");

        await Nodes[2].ResultAsync("htable.flush", "c");
        await Nodes[0].ResultAsync("htable.seti", "c", "after-flush", 1);
        await AllEqualAsync("c", "after-flush=1:int");
    }

    [Fact]
    public async Task Concurrent_writes_to_one_key_settle_on_the_same_value_everywhere()
    {
        for (var round = 0; round < 20; round++)
        {
            await Task.WhenAll(Nodes.Select((n, i) => n.ResultAsync("htable.sets", "r", "race", $"round{round}-node{i}")));
        }
        await ClusterNode.EventuallyAsync(async () =>
        {
            var values = new List<string>();
            foreach (var n in Nodes)
                values.Add((await n.ResultAsync("htable.value", "r", "race")).GetString()!);
            Assert.Single(values.Distinct());
            Assert.StartsWith("round19-", values[0], StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Increments_made_on_every_node_at_once_all_count()
    {
        await Task.WhenAll(Nodes.Select(async (n, i) =>
        {
            for (var k = 0; k < 50; k++)
                await n.ResultAsync("htable.inc", "c", "calls", i + 1);
        }));
        await ClusterNode.EventuallyAsync(async () =>
        {
            foreach (var n in Nodes)
                Assert.Equal(50 * (1 + 2 + 3), (await n.ResultAsync("htable.value", "c", "calls")).GetInt64());
        });
        await Nodes[1].ResultAsync("htable.dec", "c", "calls", 300);
        await ClusterNode.EventuallyAsync(async () =>
        {
            foreach (var n in Nodes)
                Assert.Equal(0, (await n.ResultAsync("htable.value", "c", "calls")).GetInt64());
        });
    }

    [Fact]
    public async Task A_value_near_the_largest_allowed_replicates()
    {
        var big = new string('x', 1_000_000); // Rpc:MaxValueBytes is 1 MiB; Akka.Remote's default frame is 128000 bytes
        await Nodes[0].ResultAsync("htable.sets", "r", "big", big);
        await ClusterNode.EventuallyAsync(async () =>
        {
            foreach (var n in Nodes)
                Assert.Equal(big.Length, (await n.ResultAsync("htable.value", "r", "big")).GetString()?.Length ?? 0);
        });
    }

    [Fact]
    public async Task A_table_without_dmqreplicate_stays_on_its_node()
    {
        await Nodes[0].ResultAsync("htable.sets", "l", "only-here", "1");
        await Nodes[1].ResultAsync("htable.sets", "r", "marker", "1");
        await ClusterNode.EventuallyAsync(async () => // replication has caught up
        {
            foreach (var n in Nodes)
                Assert.Equal("1", (await n.ResultAsync("htable.value", "r", "marker")).GetString());
        });
        Assert.Equal((500, "Key name doesn't exist in htable."), await Nodes[1].ErrorAsync("htable.get", "l", "only-here"));
        Assert.Equal((500, "Key name doesn't exist in htable."), await Nodes[2].ErrorAsync("htable.get", "l", "only-here"));
    }

    [Fact]
    public async Task Dmq_commands_answer_with_kamailio_texts()
    {
        Assert.Equal("Ok", (await Nodes[1].ResultAsync("htable.dmqsync")).GetString());
        Assert.Equal("Ok", (await Nodes[1].ResultAsync("htable.dmqsync", "r")).GetString());
        Assert.Equal("Ok", (await Nodes[1].ResultAsync("htable.dmqsync", "no-such-table")).GetString()); // as Kamailio: the peers skip it
        Assert.Equal((500, "No htable name given"), await Nodes[1].ErrorAsync("htable.dmqresync"));
        Assert.Equal((500, "No such htable"), await Nodes[1].ErrorAsync("htable.dmqresync", "no-such-table"));
    }

    [Fact]
    public async Task Replication_is_visible_in_metrics()
    {
        await Nodes[0].ResultAsync("htable.sets", "r", "metric", "1");
        await ClusterNode.EventuallyAsync(() =>
        {
            Assert.True(Nodes[0].Replication.BatchesSent > 0);
            Assert.True(Nodes[1].Replication.ItemsApplied > 0);
            return Task.CompletedTask;
        });
        var text = await Nodes[0].Http.GetStringAsync(new Uri(Nodes[0].RpcUrl, "/metrics"));
        Assert.Contains("htcluster_replication_batches_sent_total", text, StringComparison.Ordinal);
    }
}

/// <summary>Clusters built for one test each: joins, snapshots, resync, mismatches.</summary>
public sealed class ReplicationJoinTests
{
    private static readonly string[] Tables = ["r=>size=8;dmqreplicate=1"];

    [Fact]
    public async Task A_joining_node_takes_a_snapshot_before_it_is_ready()
    {
        await using var n1 = await ClusterNode.StartAsync("n1", Tables, settings: new Dictionary<string, string?> { ["Replication:MaxBatchBytes"] = "4096" });
        await n1.WaitReadyAsync();
        var batch = string.Join(",", Enumerable.Range(0, 3000).Select(i => $$"""{"jsonrpc":"2.0","method":"htable.sets","params":["r","key{{i}}","{{new string('v', 40)}}"],"id":{{i}}}"""));
        Assert.Equal(200, (await n1.PostAsync("[" + batch + "]")).Status);
        await n1.ResultAsync("htable.delete", "r", "key7");

        await using var n2 = await ClusterNode.StartAsync("n2", Tables, n1, new Dictionary<string, string?> { ["Replication:MaxBatchBytes"] = "4096" });
        await n2.WaitReadyAsync();

        // Ready means the snapshot is merged: everything is there at once.
        Assert.Equal(2999, (await n2.ResultAsync("htable.count_name", "r", "**")).GetInt32());
        Assert.Equal((500, "Key name doesn't exist in htable."), await n2.ErrorAsync("htable.get", "r", "key7"));
        Assert.True(n2.Replication.SyncsCompleted >= 1);
        Assert.True(n2.Replication.SyncItems >= 3000); // deletion marker included
    }

    [Fact]
    public async Task Without_init_sync_old_content_comes_with_dmqsync_and_dmqresync()
    {
        await using var n1 = await ClusterNode.StartAsync("n1", Tables);
        await n1.WaitReadyAsync();
        await n1.ResultAsync("htable.sets", "r", "old", "1");
        // Well before the join: a node without init sync fetches what origins wrote from one second
        // before it started replicating.
        await Task.Delay(1500);

        var noSync = new Dictionary<string, string?> { ["Htable:DmqInitSync"] = "0" };
        await using var n2 = await ClusterNode.StartAsync("n2", Tables, n1, noSync);
        await n2.WaitReadyAsync();
        await ClusterNode.EventuallyAsync(async () => Assert.True(await UpCountAsync(n1) == 2));

        Assert.Equal((500, "Key name doesn't exist in htable."), await n2.ErrorAsync("htable.get", "r", "old"));
        Assert.Equal("Ok", (await n2.ResultAsync("htable.dmqsync", "r")).GetString());
        Assert.Equal("1", (await n2.ResultAsync("htable.value", "r", "old")).GetString());

        // dmqresync drops this node's copy without replicating the drop, then refills it.
        await n1.ResultAsync("htable.sets", "r", "second", "2");
        await ClusterNode.EventuallyAsync(async () => Assert.Equal("2", (await n2.ResultAsync("htable.value", "r", "second")).GetString()));
        Assert.Equal("Ok", (await n2.ResultAsync("htable.dmqresync", "r")).GetString());
        Assert.Equal(2, (await n2.ResultAsync("htable.count_name", "r", "**")).GetInt32());
        Assert.Equal(2, (await n1.ResultAsync("htable.count_name", "r", "**")).GetInt32());
    }

    [Fact]
    public async Task Resync_keeps_what_this_node_wrote_just_before()
    {
        await using var n1 = await ClusterNode.StartAsync("n1", Tables);
        await n1.WaitReadyAsync();
        await using var n2 = await ClusterNode.StartAsync("n2", Tables, n1);
        await n2.WaitReadyAsync();
        await n1.ResultAsync("htable.sets", "r", "from-1", "1");

        var batch = string.Join(",", Enumerable.Range(0, 500).Select(i => $$"""{"jsonrpc":"2.0","method":"htable.seti","params":["r","mine{{i}}",{{i}}],"id":{{i}}}"""));
        Assert.Equal(200, (await n2.PostAsync("[" + batch + "]")).Status);
        Assert.Equal("Ok", (await n2.ResultAsync("htable.dmqresync", "r")).GetString());

        Assert.Equal(501, (await n2.ResultAsync("htable.count_name", "r", "**")).GetInt32());
        await ClusterNode.EventuallyAsync(async () => Assert.Equal(501, (await n1.ResultAsync("htable.count_name", "r", "**")).GetInt32()));
    }

    [Fact]
    public async Task Resync_on_a_lone_node_is_refused_and_keeps_the_table()
    {
        await using var n1 = await ClusterNode.StartAsync("n1", Tables);
        await n1.WaitReadyAsync();
        await n1.ResultAsync("htable.sets", "r", "k", "v");
        Assert.Equal((500, "HTable DMQ Sync Failed"), await n1.ErrorAsync("htable.dmqresync", "r"));
        Assert.Equal("v", (await n1.ResultAsync("htable.value", "r", "k")).GetString());
    }

    [Fact]
    public async Task A_differently_defined_table_does_not_replicate_with_that_node()
    {
        await using var n1 = await ClusterNode.StartAsync("n1", ["r=>size=8;dmqreplicate=1"]);
        await n1.WaitReadyAsync();
        await n1.ResultAsync("htable.sets", "r", "from-1", "1");
        await using var n2 = await ClusterNode.StartAsync("n2", ["r=>size=8;autoexpire=60;dmqreplicate=1"], n1);
        await n2.WaitReadyAsync(); // nobody can give it a snapshot: it starts with its own content

        await n2.ResultAsync("htable.sets", "r", "from-2", "2");
        await n1.ResultAsync("htable.sets", "r", "from-1b", "1");
        await ClusterNode.EventuallyAsync(() =>
        {
            Assert.True(n1.Replication.Mismatched > 0 && n2.Replication.Mismatched > 0);
            return Task.CompletedTask;
        });
        Assert.Equal((500, "Key name doesn't exist in htable."), await n1.ErrorAsync("htable.get", "r", "from-2"));
        Assert.Equal((500, "Key name doesn't exist in htable."), await n2.ErrorAsync("htable.get", "r", "from-1"));
    }

    [Fact]
    public async Task With_enable_dmq_0_nothing_replicates_and_dmqsync_fails()
    {
        var off = new Dictionary<string, string?> { ["Htable:EnableDmq"] = "0" };
        await using var n1 = await ClusterNode.StartAsync("n1", Tables, settings: off);
        await n1.WaitReadyAsync();
        await using var n2 = await ClusterNode.StartAsync("n2", Tables, n1, off);
        await n2.WaitReadyAsync();
        await ClusterNode.EventuallyAsync(async () => Assert.True(await UpCountAsync(n1) == 2));

        await n1.ResultAsync("htable.sets", "r", "k", "v");
        await Task.Delay(500);
        Assert.Equal((500, "Key name doesn't exist in htable."), await n2.ErrorAsync("htable.get", "r", "k"));
        Assert.Equal((500, "HTable DMQ Sync Failed"), await n1.ErrorAsync("htable.dmqsync"));
    }

    private static Task<int> UpCountAsync(ClusterNode node) =>
        Task.FromResult(Akka.Cluster.Cluster.Get(node.System).State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up));
}

// In the flatstore collection: its node reports the process's flatstore metrics while it runs.
[Collection(nameof(FlatStoreTests))]
public sealed class DowningTests
{
    [Fact]
    public async Task A_downed_node_rebuilds_its_actor_system_keeps_its_tables_and_rejoins()
    {
        string[] tables = ["r=>size=8;dmqreplicate=1", "l=>size=8"];
        var flatDir = Directory.CreateTempSubdirectory("htc-flat-down-").FullName;
        await using var n1 = await ClusterNode.StartAsync("n1", tables);
        await n1.WaitReadyAsync();
        await using var n2 = await ClusterNode.StartAsync("n2", tables, n1, new Dictionary<string, string?> { ["FlatStore:Dir"] = flatDir });
        await n2.WaitReadyAsync();
        // Accounting records inserted on n2 all through the downing and the rebuild.
        using var stopInserting = new CancellationTokenSource();
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();
        var inserter = Task.Run(async () =>
        {
            for (var i = 0; i < 1_000_000 && !stopInserting.IsCancellationRequested; i++)
            {
                await n2.Node.FlatStore.InsertAsync("acc", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                acknowledged.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                if (i % 100 == 0)
                    await Task.Delay(1);
            }
        });
        await n2.ResultAsync("htable.sets", "l", "local", "kept");
        await n2.ResultAsync("htable.inc", "r", "n", 2);
        await ClusterNode.EventuallyAsync(async () => Assert.Equal(2, (await n1.ResultAsync("htable.value", "r", "n")).GetInt64()));
        var readiness = n2.Services.GetRequiredService<Readiness>();
        var firstSystem = n2.System;

        Akka.Cluster.Cluster.Get(n1.System).Down(Akka.Cluster.Cluster.Get(n2.System).SelfAddress);

        await ClusterNode.EventuallyAsync(() =>
        {
            Assert.Equal(1, n2.Member.Restarts);
            Assert.NotSame(firstSystem, n2.Member.System);
            Assert.True(readiness.IsReady);
            Assert.False(readiness.Downed);
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(60));

        // Storage outlived the actor system; replication works both ways with the new incarnation.
        Assert.Equal("kept", (await n2.ResultAsync("htable.value", "l", "local")).GetString());
        await n1.ResultAsync("htable.inc", "r", "n", 3);
        await n2.ResultAsync("htable.inc", "r", "n", 4);
        await n2.ResultAsync("htable.sets", "r", "from-2", "after");
        await ClusterNode.EventuallyAsync(async () =>
        {
            Assert.Equal(9, (await n1.ResultAsync("htable.value", "r", "n")).GetInt64());
            Assert.Equal(9, (await n2.ResultAsync("htable.value", "r", "n")).GetInt64());
            Assert.Equal("after", (await n1.ResultAsync("htable.value", "r", "from-2")).GetString());
        });

        // The flatstore files outlived the actor system: every acknowledged record is there, once.
        await stopInserting.CancelAsync();
        await inserter;
        await n2.DisposeAsync();
        var lines = await File.ReadAllLinesAsync(Path.Combine(flatDir, "acc_n2.log"));
        Assert.Equal(lines.Length, lines.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(acknowledged.Order(StringComparer.Ordinal), lines.Order(StringComparer.Ordinal));
        Directory.Delete(flatDir, recursive: true);
    }
}

/// <summary>Replication:WriteConcern: a write is answered once that many peers applied it.</summary>
public sealed class WriteConcernTests
{
    private static readonly string[] Tables = ["r=>size=8;dmqreplicate=1"];

    [Fact]
    public async Task An_answered_write_is_already_on_the_peer()
    {
        var wc = new Dictionary<string, string?> { ["Replication:WriteConcern"] = "1" };
        await using var n1 = await ClusterNode.StartAsync("n1", Tables, settings: wc);
        await n1.WaitReadyAsync();
        await using var n2 = await ClusterNode.StartAsync("n2", Tables, n1, wc);
        await n2.WaitReadyAsync();
        await ClusterNode.EventuallyAsync(() =>
        {
            Assert.Equal(2, Akka.Cluster.Cluster.Get(n1.System).State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up));
            return Task.CompletedTask;
        });

        var peer = n2.Node.Table("r");
        for (var i = 0; i < 30; i++)
        {
            await n1.ResultAsync("htable.sets", "r", "k" + i, "v" + i);
            Assert.Equal("v" + i, peer.Get("k" + i)?.StringValue); // no waiting: the answer came after n2 applied it
        }
        Assert.Equal(3, (await n1.ResultAsync("htable.inc", "r", "n", 3)).GetInt64());
        Assert.Equal(3, peer.Get("n")!.IntValue);
    }

    [Fact]
    public async Task A_write_no_peer_confirms_in_time_is_answered_with_an_error_and_stays_applied()
    {
        var wc = new Dictionary<string, string?> { ["Replication:WriteConcern"] = "1", ["Replication:WriteConcernTimeoutMs"] = "300" };
        await using var n1 = await ClusterNode.StartAsync("n1", Tables, settings: wc);
        await n1.WaitReadyAsync();
        Assert.Equal("Ok. Key set to new value.", (await n1.ResultAsync("htable.sets", "r", "alone", "1")).GetString()); // no peer: nothing to wait for
        // A peer that defines the table differently never applies (nor confirms) its batches.
        await using var n2 = await ClusterNode.StartAsync("n2", ["r=>size=8;autoexpire=60;dmqreplicate=1"], n1);
        await n2.WaitReadyAsync();
        await ClusterNode.EventuallyAsync(() =>
        {
            Assert.Equal(2, Akka.Cluster.Cluster.Get(n1.System).State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up));
            return Task.CompletedTask;
        });

        var (code, message) = await n1.ErrorAsync("htable.sets", "r", "k", "v");
        Assert.Equal(-32603, code);
        Assert.Contains("applied on this node, but confirmed by 0 of 1 peers", message, StringComparison.Ordinal);
        Assert.Equal("v", (await n1.ResultAsync("htable.value", "r", "k")).GetString());
    }
}
