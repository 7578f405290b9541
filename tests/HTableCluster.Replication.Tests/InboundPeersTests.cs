namespace HTableCluster.Replication.Tests;

public class InboundPeersTests
{
    private static readonly DateTime Now = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly Origin _self = new("me", 1);
    private readonly Origin _a = new("a", 10);
    private readonly Origin _b = new("b", 20);

    [Fact]
    public void A_gap_is_asked_of_the_origin_at_most_every_interval_unless_forced()
    {
        var peers = new InboundPeers<string>(trackFromFirstSeen: false);
        var p = peers.Of(_a, "ref-a");
        p.Tracker.Receive(1);
        p.Tracker.Receive(4);

        Assert.Equal((2L, 3L), InboundPeers<string>.GapToAsk(p, Now, force: false));
        Assert.Null(InboundPeers<string>.GapToAsk(p, Now.AddSeconds(1), force: false));
        Assert.Equal((2L, 3L), InboundPeers<string>.GapToAsk(p, Now.AddSeconds(1), force: true));
        Assert.NotNull(InboundPeers<string>.GapToAsk(p, Now.AddSeconds(1) + InboundPeers<string>.ResendAskInterval, force: false));
    }

    [Fact]
    public void Nothing_is_asked_without_a_gap_or_without_an_address()
    {
        var peers = new InboundPeers<string>(trackFromFirstSeen: false);
        var known = peers.Of(_a, "ref-a");
        known.Tracker.Receive(1);
        Assert.Null(InboundPeers<string>.GapToAsk(known, Now, force: true));

        var unknown = peers.Of(_b, null);
        unknown.Tracker.Announced(3);
        Assert.Null(InboundPeers<string>.GapToAsk(unknown, Now, force: true));
    }

    [Fact]
    public void Without_snapshots_a_new_origin_is_tracked_from_where_it_is()
    {
        var peers = new InboundPeers<string>(trackFromFirstSeen: true);
        Assert.Equal(4, peers.Of(_a, "ref-a", knownUpTo: 4).Tracker.Contiguous);
        Assert.Equal(0, new InboundPeers<string>(trackFromFirstSeen: false).Of(_a, "ref-a", knownUpTo: 4).Tracker.Contiguous);
    }

    [Fact]
    public void Watermarks_put_this_node_first_and_a_merged_snapshot_covers_the_others()
    {
        var peers = new InboundPeers<string>(trackFromFirstSeen: false);
        peers.Of(_a, "ref-a").Tracker.Receive(1);
        Assert.Equal([new OriginMark(_self, 9), new OriginMark(_a, 1)], peers.Watermarks(_self, 9));

        // The donor (b) is exact about itself: an announcement above its mark is discarded.
        peers.Of(_b, "ref-b").Tracker.Announced(50);
        peers.Covered([new OriginMark(_b, 30), new OriginMark(_a, 7), new OriginMark(_self, 3)], _self);
        Assert.Equal(30, peers.Find(_b)!.Tracker.Contiguous);
        Assert.False(peers.Find(_b)!.Tracker.HasGap);
        Assert.Equal(7, peers.Find(_a)!.Tracker.Contiguous);
        Assert.Null(peers.Find(_self));
    }

    [Fact]
    public void A_removed_incarnation_is_forgotten_and_a_mismatch_is_reported_once()
    {
        var peers = new InboundPeers<string>(trackFromFirstSeen: false);
        peers.Of(_a, "ref-a");
        peers.Of(_b, "ref-b");
        peers.Forget(_a.Incarnation);
        Assert.Null(peers.Find(_a));
        Assert.NotNull(peers.Find(_b));

        Assert.True(peers.FirstMismatch(_a));
        Assert.False(peers.FirstMismatch(_a));
    }
}
