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

    [Fact]
    public void While_a_hold_lasts_what_is_announced_as_seen_stays_at_the_floor_of_its_start()
    {
        var w = new MarkerWatermark();
        w.Announced(A, seq: 0, atMs: 10_000, seenUpToMs: 9_000);
        Assert.Equal(0, w.Seen([1], _ => 0, synced: false, nowMs: 10_000, Grace)); // not synced: nothing seen yet
        Assert.Equal(10_000, w.Seen([1], _ => 0, synced: true, nowMs: 10_000, Grace));
        Assert.True(w.TryAdvance([1], ownSeenUpTo: 10_000, nowMs: 10_000, Grace, out var floor));
        Assert.Equal(9_000 - MarkerWatermark.MarginMs, floor);
        Assert.Equal(floor, w.MarkerFloorMs);

        w.Hold(nowMs: 11_000, forMs: 5_000);
        w.Announced(A, seq: 0, atMs: 12_000, seenUpToMs: 11_500);
        Assert.Equal(floor, w.Seen([1], _ => 0, synced: true, nowMs: 12_000, Grace));
        // A second hold before the first ended keeps the first one's floor and lasts longer.
        w.Hold(nowMs: 15_000, forMs: 5_000);
        Assert.Equal(floor, w.Seen([1], _ => 0, synced: true, nowMs: 19_999, Grace));
        Assert.Equal(12_000, w.Seen([1], _ => 0, synced: true, nowMs: 20_000, Grace));
    }

    [Fact]
    public void What_is_announced_as_seen_stays_at_the_last_report_of_a_member_removed_within_the_grace_period()
    {
        var w = new MarkerWatermark();
        w.Announced(A, 0, 10_000, seenUpToMs: 9_000);
        w.Announced(B, 0, 10_000, seenUpToMs: 4_000);
        w.Removed(2, nowMs: 10_000);
        Assert.Equal(4_000, w.Seen([1], _ => 0, synced: true, nowMs: 11_000, Grace));
        Assert.Equal(10_000, w.Seen([1], _ => 0, synced: true, nowMs: 10_001 + Grace, Grace));
    }

    [Fact]
    public void The_marker_floor_only_moves_forward()
    {
        var w = new MarkerWatermark();
        w.Announced(A, 0, 10_000, seenUpToMs: 9_000);
        Assert.True(w.TryAdvance([1], ownSeenUpTo: 9_500, nowMs: 10_000, Grace, out var first));
        Assert.Equal(8_000, first);
        Assert.False(w.TryAdvance([1], ownSeenUpTo: 9_500, nowMs: 10_000, Grace, out _));
        Assert.False(w.TryAdvance([1], ownSeenUpTo: 5_000, nowMs: 10_000, Grace, out _));
        Assert.Equal(8_000, w.MarkerFloorMs);
        w.Announced(A, 0, 20_000, seenUpToMs: 19_000);
        Assert.True(w.TryAdvance([1], ownSeenUpTo: 19_500, nowMs: 20_000, Grace, out var second));
        Assert.Equal(18_000, second);
    }
}
