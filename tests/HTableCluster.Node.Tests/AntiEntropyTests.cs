using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Akka.Actor;
using HTableCluster.Replication;
using HTableCluster.Storage;

namespace HTableCluster.Node.Tests;

/// <summary>Anti-entropy over digests between real nodes over Akka.Remote.</summary>
public sealed class AntiEntropyTests
{
    private static readonly string[] Tables = ["r=>size=8;dmqreplicate=1"];
    private static readonly Dictionary<string, string?> Often = new() { ["Replication:AntiEntropySeconds"] = "1" };

    private static string Key(int i) => "k" + i.ToString(CultureInfo.InvariantCulture);

    // Stores a newer version of the key on this node only, through its partition writer, the way a
    // lost batch leaves the nodes (a merge is not published again).
    private static async Task DivergeAsync(ClusterNode node, string key, string value)
    {
        var source = new HTable(TableOptions.Parse("r=>size=8;dmqreplicate=1"), new HybridClock(TimeProvider.System), 1, replicated: true);
        source.Partition(0).SetString(HTable.MakeKey(key), Encoding.UTF8.GetBytes(value));
        var item = source.Partition(0).TakeChanges()!.Value.Items[0];
        Assert.True(await node.Node.Table("r").UpdateAsync(key, (p, _) => p.Merge(item)));
    }

    [Fact]
    public async Task Items_that_differ_are_found_by_digests_and_only_their_cells_move()
    {
        await using var n1 = await ClusterNode.StartAsync("n1", Tables, settings: Often);
        await n1.WaitReadyAsync();
        await using var n2 = await ClusterNode.StartAsync("n2", Tables, n1, Often);
        await n2.WaitReadyAsync();
        const int Items = 5000;
        var batch = string.Join(",", Enumerable.Range(0, Items).Select(i =>
            $$"""{"jsonrpc":"2.0","method":"htable.sets","params":["r","{{Key(i)}}","{{new string('v', 64)}}"],"id":{{i}}}"""));
        Assert.Equal(200, (await n1.PostAsync("[" + batch + "]")).Status);
        await ClusterNode.EventuallyAsync(async () => Assert.Equal(Items, (await n2.ResultAsync("htable.count_name", "r", "**")).GetInt32()));
        var sentBefore = n1.Replication.DigestItemsSent + n2.Replication.DigestItemsSent;

        for (var i = 0; i < 50; i++)
            await DivergeAsync(n1, Key(i * 97), "only on n1");
        await DivergeAsync(n2, "new on n2", "only on n2");

        // Repaired once the changes are older than the settle time of a round (5 s).
        await ClusterNode.EventuallyAsync(async () =>
        {
            for (var i = 0; i < 50; i++)
                Assert.Equal("only on n1", (await n2.ResultAsync("htable.value", "r", Key(i * 97))).GetString());
            Assert.Equal("only on n2", (await n1.ResultAsync("htable.value", "r", "new on n2")).GetString());
        }, TimeSpan.FromSeconds(30));

        // 5,000 items in 64 buckets of 64 cells: the 51 keys are about 51 cells of one or two items.
        var moved = n1.Replication.DigestItemsSent + n2.Replication.DigestItemsSent - sentBefore;
        Assert.InRange(moved, 51, 1000);
        Assert.True(n1.Replication.DigestRounds > 0 && n2.Replication.DigestRounds > 0);
        Assert.True(n1.Replication.DigestBucketsDiffering + n2.Replication.DigestBucketsDiffering > 0);
    }

    [Fact]
    public async Task A_digest_scan_that_fails_off_the_actors_thread_is_logged_and_the_next_round_is_answered()
    {
        await using var n1 = await ClusterNode.StartAsync("ae-fail", Tables);
        await n1.WaitReadyAsync();
        for (var i = 0; i < 100; i++)
            await n1.Node.Table("r").SetStringAsync(Key(i), "v");
        var errors = new ConcurrentQueue<string>();
        var listener = n1.System.ActorOf(Props.Create(() => new ErrorListener(errors)));
        n1.System.EventStream.Subscribe(listener, typeof(Akka.Event.Error));
        var replication = n1.System.ActorSelection("/user/replication");
        var fingerprint = TableFingerprint.Of(n1.Node.Table("r").Table.Options);
        var nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // 2^38 buckets pass the count check (an int shift by 38 is a shift by 6) but not the scan:
        // the cells it computes fall outside the 64 digests.
        replication.Tell(new ReplicationProtocol.DigestRequest("r", fingerprint, new DigestScope(38, long.MaxValue, nowMs, 0), new ulong[64]));
        await ClusterNode.EventuallyAsync(() =>
        {
            Assert.Contains(errors, e => e.Contains("anti-entropy bucket comparison failed", StringComparison.Ordinal));
            return Task.CompletedTask;
        });

        var diff = await replication.Ask<ReplicationProtocol.DigestDiff>(new ReplicationProtocol.DigestRequest("r", fingerprint, new DigestScope(6, long.MaxValue, nowMs, 0), new ulong[64]), TimeSpan.FromSeconds(10));
        Assert.NotEmpty(diff.Buckets);
    }

    private sealed class ErrorListener : ReceiveActor
    {
        public ErrorListener(ConcurrentQueue<string> errors) =>
            Receive<Akka.Event.Error>(e => errors.Enqueue(e.Message?.ToString() ?? ""));
    }
}
