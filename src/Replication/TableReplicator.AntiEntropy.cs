using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using HTableCluster.Storage;
using static HTableCluster.Replication.ReplicationProtocol;

namespace HTableCluster.Replication;

// Anti-entropy over digests (TableDigest): every Replication:AntiEntropySeconds, after a peer is
// reachable again, and when an origin no longer holds the batches asked of it, this node compares
// bucket digests of the table with one peer, then cell digests of the buckets that differ, and both
// send each other only the items of the cells that differ. The scans run off the actor's thread and
// come back as messages (PipeTo); a failed scan is logged and ends the round (the next one runs).
// A node without init sync compares only what was stamped since it joined: it declines rounds
// other nodes start over more than that (it holds nothing older) and starts its own instead.
public sealed partial class TableReplicator
{
    private const string DigestTimer = "digest";
    private const string DigestHealTimer = "digest-heal";
    // Items stamped in the last seconds may still be on their way: compared in a later round.
    private const long SettleMs = 5000;
    private const long ExpiryMarginMs = 10_000;
    private static readonly TimeSpan DigestRoundTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan HealDelay = TimeSpan.FromSeconds(2);
    private int _digestTurn;
    private DateTime _digestStarted = DateTime.MinValue;

    private sealed record DigestWith(ICanTell? Peer);

    // A scan done off the actor's thread: what to send, and to whom.
    private sealed record DigestReady(ICanTell Peer, DigestRequest Request);

    private sealed record DiffReady(IActorRef Peer, DigestDiff Diff, long Bytes);

    private sealed record ItemsReady(IActorRef Peer, DigestScope Scope, IReadOnlyList<int> Cells, List<List<byte[]>> Parts, bool WantsYours, long Bytes, int Items);

    private sealed record DigestFailed(string Step, Exception Error);

    private long DigestFloor => _start.InitSync ? 0 : HybridClock.FirstVersionAt(_joinedSinceMs);

    private void ReceiveDigests()
    {
        Receive<ClusterEvent.ReachableMember>(OnReachable);
        Receive<ResendGone>(OnResendGone);
        Receive<DigestWith>(d => StartDigest(d.Peer));
        Receive<DigestReady>(OnDigestReady);
        Receive<DigestRequest>(OnDigestRequest);
        Receive<DiffReady>(OnDiffReady);
        Receive<DigestDiff>(OnDigestDiff);
        Receive<DigestItems>(OnDigestItems);
        Receive<ItemsReady>(OnItemsReady);
        Receive<DigestFailed>(OnDigestFailed);
    }

    private void StartAntiEntropy()
    {
        if (_options.AntiEntropySeconds > 0)
            Timers.StartPeriodicTimer(DigestTimer, new DigestWith(null), _options.AntiEntropyInterval);
    }

    // While items of a round may still be on their way (and for batches found gone until their
    // repair), what this node announces as seen stays where the floor was: a marker must not go while
    // an older copy of its key travels.
    private void HoldSeen(long forMs) => _watermark.Hold(_table.Clock.NowMs, forMs);

    private void OnReachable(ClusterEvent.ReachableMember r)
    {
        if (!_members.IsSelf(r.Member))
            Timers.StartSingleTimer(DigestHealTimer + r.Member.Address, new DigestWith(_members.Replicator(r.Member.Address)), HealDelay);
    }

    private void OnResendGone(ResendGone g)
    {
        if (_peers.Find(g.Origin) is not { Ref: { } origin } peer)
            return;
        _status.Gone();
        _log.Warning("Table {Table}: {Origin} no longer holds batch {Batch}; repairing by comparing digests with it", _table.Name, g.Origin.NodeId, g.FromSeq);
        // Whatever those batches held is found by the digests: now for what has settled, and once
        // more when the rest has. Until both rounds are done what this node has seen stays where
        // it stands: the missing batches may hold deletes whose markers must not go meanwhile.
        HoldSeen(SettleMs + 1000 + (2 * (long)DigestRoundTimeout.TotalMilliseconds));
        peer.Tracker.CoveredUpTo(peer.Tracker.Highest);
        StartDigest(origin);
        Timers.StartSingleTimer(DigestHealTimer + g.Origin.NodeId, new DigestWith(origin), TimeSpan.FromMilliseconds(SettleMs + 1000));
    }

    // A round with the given peer (null: the next Up peer in turn). A periodic round waits for the
    // one in flight; a requested one (heal, batches gone) starts anyway.
    private void StartDigest(ICanTell? peer)
    {
        var now = DateTime.UtcNow;
        if (!_synced || _sync is not null || !_writers.Attached || (peer is null && now - _digestStarted < DigestRoundTimeout))
            return;
        if ((peer ?? NextDigestPeer()) is not { } target)
            return;
        _digestStarted = now;
        HoldSeen((long)DigestRoundTimeout.TotalMilliseconds);
        var scope = CurrentDigestScope();
        var (table, name, fingerprint) = (_table, _table.Name, _fingerprint);
        Task.Run(() => new DigestReady(target, new DigestRequest(name, fingerprint, scope, TableDigest.Buckets(table, scope))))
            .PipeTo(Self, failure: ex => new DigestFailed("bucket scan", ex));
    }

    private ICanTell? NextDigestPeer()
    {
        var up = _members.Up();
        return up.Count == 0 ? null : _members.Replicator(up[_digestTurn++ % up.Count].Address);
    }

    private DigestScope CurrentDigestScope()
    {
        var nowMs = _table.Clock.NowMs;
        return new DigestScope(
            TableDigest.Log2BucketsFor(_table.RawCount),
            HybridClock.FirstVersionAt(nowMs - SettleMs),
            nowMs + ExpiryMarginMs,
            HybridClock.FirstVersionAt(nowMs - ((long)_options.TombstoneGrace.TotalMilliseconds / 2)),
            DigestFloor);
    }

    private void OnDigestReady(DigestReady r)
    {
        r.Peer.Tell(r.Request, Self);
        _status.DigestRound(r.Request.Buckets.Count * sizeof(ulong));
    }

    private void OnDigestRequest(DigestRequest q)
    {
        if (q.Fingerprint != _fingerprint || !_synced || q.Buckets.Count != 1 << q.Scope.Log2Buckets)
            return;
        if (q.Scope.SinceVersion < DigestFloor)
        {
            Sender.Tell(new DigestDiff(_table.Name, q.Scope, [], []));
            return;
        }
        HoldSeen((long)DigestRoundTimeout.TotalMilliseconds);
        var (table, sender) = (_table, Sender);
        Task.Run(() =>
        {
            var differing = TableDigest.Differing(TableDigest.Buckets(table, q.Scope), [.. q.Buckets]);
            var cells = TableDigest.Cells(table, q.Scope, differing);
            return new DiffReady(sender, new DigestDiff(table.Name, q.Scope, differing, cells), (differing.Count * sizeof(int)) + (cells.Length * sizeof(ulong)));
        }).PipeTo(Self, failure: ex => new DigestFailed("bucket comparison", ex));
    }

    private void OnDiffReady(DiffReady r)
    {
        _status.DigestBytes(r.Bytes);
        r.Peer.Tell(r.Diff, Self);
    }

    private void OnDigestDiff(DigestDiff d)
    {
        if (d.Buckets.Count == 0)
        {
            _digestStarted = DateTime.MinValue;
            return;
        }
        if (d.Cells.Count != d.Buckets.Count * TableDigest.SubBuckets || d.Buckets.Any(b => b < 0 || b >= 1 << d.Scope.Log2Buckets))
            return;
        _status.DigestBucketsDiffer(d.Buckets.Count);
        var (table, sender) = (_table, Sender);
        Task.Run(() =>
        {
            var cells = TableDigest.DifferingCells(d.Buckets, TableDigest.Cells(table, d.Scope, d.Buckets), [.. d.Cells]);
            return CollectItems(sender, d.Scope, cells, wantsYours: true);
        }).PipeTo(Self, failure: ex => new DigestFailed("cell comparison", ex));
    }

    private void OnDigestItems(DigestItems m)
    {
        Apply(m.Items, 0);
        _status.DigestReceived(m.Items.Count);
        if (!m.Last)
            return;
        if (!m.WantsYours)
        {
            _digestStarted = DateTime.MinValue;
            return;
        }
        var limit = TableDigest.CellCount(m.Scope.Log2Buckets);
        if (m.Cells.Any(c => c < 0 || c >= limit))
            return;
        var sender = Sender;
        Task.Run(() => CollectItems(sender, m.Scope, m.Cells, wantsYours: false))
            .PipeTo(Self, failure: ex => new DigestFailed("item collection", ex));
    }

    // Off the actor's thread: this node's items of the cells, in parts under the batch limit.
    private ItemsReady CollectItems(IActorRef to, DigestScope scope, IReadOnlyList<int> cells, bool wantsYours)
    {
        var items = TableDigest.ItemsIn(_table, scope, [.. cells]);
        var parts = TableItems.Split(items, _options.MaxBatchBytes).ToList();
        if (parts.Count == 0)
            parts.Add([]);
        return new ItemsReady(to, scope, cells, parts, wantsYours, (cells.Count * sizeof(int)) + items.Sum(item => (long)item.Length), items.Count);
    }

    private void OnItemsReady(ItemsReady r)
    {
        for (var i = 0; i < r.Parts.Count; i++)
        {
            var last = i == r.Parts.Count - 1;
            r.Peer.Tell(new DigestItems(_table.Name, r.Scope, last ? r.Cells : [], r.Parts[i], last, last && r.WantsYours), Self);
        }
        _status.DigestBytes(r.Bytes);
        _status.DigestSent(r.Items);
    }

    // The round ends here; the next one (periodic, or a heal) compares again.
    private void OnDigestFailed(DigestFailed f)
    {
        _log.Error(f.Error, "Table {Table}: anti-entropy {Step} failed; the next round compares again", _table.Name, f.Step);
        _digestStarted = DateTime.MinValue;
    }
}
