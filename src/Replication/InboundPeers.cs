namespace HTableCluster.Replication;

/// <summary>
/// What this node has received of one table from every other origin: per origin which batches
/// arrived (<see cref="OriginTracker"/>), where to ask for missing ones, and when it last asked.
/// Missing batches are asked for at most every <see cref="ResendAskInterval"/> per origin unless forced.
/// </summary>
/// <typeparam name="TRef">How an origin's replicator is reached (an actor reference).</typeparam>
/// <param name="trackFromFirstSeen">
/// True when this node takes no snapshots (dmq_init_sync=0): an origin seen for the first time is
/// tracked from where it is, so only what changes after joining is repaired.
/// </param>
public sealed class InboundPeers<TRef>(bool trackFromFirstSeen)
    where TRef : class
{
    /// <summary>Shortest time between two re-requests to one origin.</summary>
    public static readonly TimeSpan ResendAskInterval = TimeSpan.FromSeconds(2);

    private readonly Dictionary<Origin, Peer> _peers = [];
    private readonly HashSet<Origin> _mismatchReported = [];

    /// <summary>Every origin seen.</summary>
    public IEnumerable<Peer> All => _peers.Values;

    /// <summary>
    /// The origin's state, created when first seen. <paramref name="from"/> is where its message
    /// came from (its replicator), kept for re-requests; <paramref name="knownUpTo"/> is where
    /// tracking starts for a new origin when <c>trackFromFirstSeen</c>.
    /// </summary>
    public Peer Of(Origin origin, TRef? from, long knownUpTo = 0)
    {
        if (!_peers.TryGetValue(origin, out var peer))
        {
            peer = new Peer();
            _peers[origin] = peer;
            if (trackFromFirstSeen && from is not null)
                peer.Tracker.CoveredUpTo(knownUpTo);
        }
        if (from is not null)
            peer.Ref = from;
        return peer;
    }

    /// <summary>The origin's state, or null when it was never seen.</summary>
    public Peer? Find(Origin origin) => _peers.GetValueOrDefault(origin);

    /// <summary>
    /// The first missing range to ask <paramref name="peer"/> for now, or null (nothing missing,
    /// nowhere to ask, or asked too recently unless <paramref name="force"/>).
    /// </summary>
    public static (long From, long To)? GapToAsk(Peer peer, DateTime now, bool force)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (!peer.Tracker.HasGap || peer.Ref is null || (!force && now - peer.LastAsk < ResendAskInterval))
            return null;
        peer.LastAsk = now;
        return peer.Tracker.FirstGap;
    }

    /// <summary>
    /// How far this node's copy covers every origin, its own first (<paramref name="ownSeq"/>): the
    /// watermarks a snapshot served from here carries.
    /// </summary>
    public List<OriginMark> Watermarks(Origin self, long ownSeq)
    {
        var marks = new List<OriginMark>(_peers.Count + 1) { new(self, ownSeq) };
        foreach (var (origin, peer) in _peers)
            marks.Add(new OriginMark(origin, peer.Tracker.Contiguous));
        return marks;
    }

    /// <summary>
    /// Records a merged snapshot's watermarks (except this node's own). The donor's mark comes first
    /// and is exact (it knows how far it published); the others are lower bounds.
    /// </summary>
    public void Covered(IReadOnlyList<OriginMark> marks, Origin self)
    {
        ArgumentNullException.ThrowIfNull(marks);
        for (var i = 0; i < marks.Count; i++)
        {
            if (marks[i].Origin == self)
                continue;
            var tracker = Of(marks[i].Origin, null).Tracker;
            if (i == 0)
                tracker.Authoritative(marks[i].Seq);
            else
                tracker.CoveredUpTo(marks[i].Seq);
        }
    }

    /// <summary>Forgets the origins of a removed member's incarnation (a restart is a new origin).</summary>
    public void Forget(long incarnation)
    {
        foreach (var origin in _peers.Keys.Where(o => o.Incarnation == incarnation).ToList())
            _peers.Remove(origin);
    }

    /// <summary>True the first time an origin is found to define the table differently (it is logged once).</summary>
    public bool FirstMismatch(Origin origin) => _mismatchReported.Add(origin);

    /// <summary>One origin.</summary>
    public sealed class Peer
    {
        /// <summary>Its batches that arrived.</summary>
        public OriginTracker Tracker { get; } = new();

        /// <summary>Its replicator, once a message came from it.</summary>
        public TRef? Ref { get; set; }

        /// <summary>What was applied from it, as <c>cluster.members</c> and the metrics show it (set when its first batch is applied).</summary>
        public PeerReplicationStatus? Status { get; set; }

        /// <summary>When missing batches were last asked of it.</summary>
        public DateTime LastAsk { get; set; }

        /// <summary>
        /// Without snapshots: true once its items since this node joined were asked for (what it
        /// published before its pub-sub registry knew this node).
        /// </summary>
        public bool CaughtUp { get; set; }
    }
}
