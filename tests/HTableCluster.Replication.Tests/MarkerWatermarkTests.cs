namespace HTableCluster.Replication.Tests;

public class MarkerWatermarkTests
{
    private static readonly Origin A = new("a", 1);
    private static readonly Origin B = new("b", 2);
    private const long Grace = 300_000;

    [Fact]
    public void This_node_has_seen_an_origin_up_to_its_announcement_once_it_holds_the_batches_announced()
    {
        var w = new MarkerWatermark();
        var held = new Dictionary<Origin, long> { [A] = 4, [B] = 0 };
        w.Announced(A, seq: 5, atMs: 1_000, seenUpToMs: 0);
        w.Announced(B, seq: 0, atMs: 1_100, seenUpToMs: 0);
        // Batch 5 of A is not here yet.
        Assert.Equal(0, w.SeenUpTo([1, 2], o => held[o], nowMs: 2_000));
        held[A] = 5;
        Assert.Equal(1_000, w.SeenUpTo([1, 2], o => held[o], nowMs: 2_000));
        w.Announced(A, seq: 5, atMs: 3_000, seenUpToMs: 0);
        w.Announced(B, seq: 0, atMs: 3_100, seenUpToMs: 0);
        Assert.Equal(3_000, w.SeenUpTo([1, 2], o => held[o], nowMs: 4_000));
    }

    [Fact]
    public void A_member_never_heard_from_keeps_it_unknown()
    {
        var w = new MarkerWatermark();
        w.Announced(A, 0, 1_000, 0);
        Assert.Equal(0, w.SeenUpTo([1, 2], _ => 0, nowMs: 2_000));
        Assert.Equal(2_000, w.SeenUpTo([], _ => 0, nowMs: 2_000));
    }

    [Fact]
    public void The_floor_is_the_earliest_report_of_every_member_and_a_removed_one_counts_for_the_grace_period()
    {
        var w = new MarkerWatermark();
        w.Announced(A, 0, 10_000, seenUpToMs: 9_000);
        w.Announced(B, 0, 10_000, seenUpToMs: 7_000);
        Assert.Equal(7_000, w.Floor([1, 2], ownSeenUpTo: 9_500, nowMs: 10_000, Grace));
        Assert.Equal(0, w.Floor([1, 2, 3], ownSeenUpTo: 9_500, nowMs: 10_000, Grace));

        // B is away: it keeps reporting nothing newer, so the floor stays where B was.
        w.Announced(A, 0, 20_000, seenUpToMs: 19_000);
        Assert.Equal(7_000, w.Floor([1, 2], ownSeenUpTo: 19_500, nowMs: 20_000, Grace));

        // B is removed: its last report holds the floor for the grace period, then it no longer counts.
        w.Removed(2, nowMs: 30_000);
        Assert.Equal(7_000, w.RemovedFloor(nowMs: 30_000 + Grace, Grace));
        Assert.Equal(7_000, w.Floor([1], ownSeenUpTo: 29_500, nowMs: 30_000 + Grace, Grace));
        Assert.Equal(long.MaxValue, w.RemovedFloor(nowMs: 30_001 + Grace, Grace));
        Assert.Equal(19_000, w.Floor([1], ownSeenUpTo: 29_500, nowMs: 30_001 + Grace, Grace));
    }
}
