using System.Globalization;
using Akka.Cluster;

namespace HTableCluster.Node.Tests;

/// <summary>Deletion markers dropped once every member has seen them, kept while one is away.</summary>
public sealed class MarkerCollectionTests
{
    private static readonly string[] Tables = ["r=>size=8;dmqreplicate=1"];
    private static readonly Dictionary<string, string?> Fast = new()
    {
        ["Replication:HeadsIntervalMs"] = "200",
        // n3 stays an unreachable member for the whole test (a removed member's hold is in MarkerWatermarkTests).
        ["Cluster:DownAfterSeconds"] = "120",
    };

    private static string Key(int i) => "k" + i.ToString(CultureInfo.InvariantCulture);

    private static long Stored(ClusterNode n) => n.Node.Table("r").Table.RawCount;

    private static async Task WriteAndDeleteAsync(ClusterNode n, int from, int count)
    {
        for (var i = from; i < from + count; i++)
            await n.ResultAsync("htable.sets", "r", Key(i), "v");
        for (var i = from; i < from + count; i++)
            await n.ResultAsync("htable.delete", "r", Key(i));
    }

    [Fact]
    public async Task Markers_go_once_every_member_has_seen_them_and_stay_while_a_member_is_away()
    {
        var n1 = await ClusterNode.StartAsync("n1", Tables, settings: Fast);
        var n2 = await ClusterNode.StartAsync("n2", Tables, n1, Fast);
        var n3 = await ClusterNode.StartAsync("n3", Tables, n1, Fast);
        try
        {
            foreach (var n in new[] { n1, n2, n3 })
                await n.WaitReadyAsync();
            await ClusterNode.EventuallyAsync(() =>
            {
                Assert.Equal(3, Cluster.Get(n1.System).State.Members.Count(m => m.Status == MemberStatus.Up));
                return Task.CompletedTask;
            });

            // The grace period is 5 minutes; the markers go as soon as all three have seen them.
            await WriteAndDeleteAsync(n1, 0, 100);
            await ClusterNode.EventuallyAsync(() =>
            {
                foreach (var n in new[] { n1, n2, n3 })
                    Assert.Equal(0, Stored(n));
                return Task.CompletedTask;
            }, TimeSpan.FromSeconds(15));
            Assert.True(n1.Replication.MarkerFloorMs > 0);

            // n3 is gone at once and stays an unreachable member: what is deleted now keeps its
            // markers, held by n3's last report, although they would otherwise go within a second.
            ((Akka.Actor.ExtendedActorSystem)n3.System).Abort();
            await WriteAndDeleteAsync(n1, 100, 50);
            await ClusterNode.EventuallyAsync(() =>
            {
                Assert.Equal(50, Stored(n2));
                return Task.CompletedTask;
            });
            await Task.Delay(TimeSpan.FromSeconds(5));
            Assert.Equal(50, Stored(n1));
            Assert.Equal(50, Stored(n2));
        }
        finally
        {
            await n3.DisposeAsync();
            await Task.WhenAll(n1.DisposeAsync(), n2.DisposeAsync());
        }
    }
}
