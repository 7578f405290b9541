using Akka.Actor;
using Akka.Cluster;
using HTableCluster.Storage;
using static HTableCluster.Replication.ReplicationProtocol;

namespace HTableCluster.Replication;

// Anti-entropy over digests (TableDigest): every Replication:AntiEntropySeconds, after a peer is
// reachable again, and when an origin no longer holds the batches asked of it, this node compares
// bucket digests of the table with one peer, then cell digests of the buckets that differ, and both
// send each other only the items of the cells that differ. The scans run off the actor's thread.
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

    private sealed record DigestReady(ICanTell Peer, DigestRequest Request);

    private long DigestFloor => _start.InitSync ? 0 : HybridClock.FirstVersionAt(_joinedSinceMs);

    private void StartAntiEntropy()
    {
        if (_options.AntiEntropySeconds > 0)
            Timers.StartPeriodicTimer(DigestTimer, new DigestWith(null), _options.AntiEntropyInterval);
    }

    // While items of a round may still be on their way (and for batches found gone until their
    // repair), what this node announces as seen stays where the floor was: a marker must not go while
    // an older copy of its key travels.
    private void HoldSeen(long forMs)
    {
        var nowMs = _table.Clock.NowMs;
        if (nowMs >= _holdUntilMs)
            _holdAtMs = _markerFloorMs;
        _holdUntilMs = Math.Max(_holdUntilMs, nowMs + forMs);
    }

    private void OnReachable(ClusterEvent.ReachableMember r)
    {
        if (r.Member.UniqueAddress != _cluster.SelfUniqueAddress)
            Timers.StartSingleTimer(DigestHealTimer + r.Member.Address, new DigestWith(PeerReplicator(r.Member.Address)), HealDelay);
    }

    private ICanTell PeerReplicator(Address address) =>
        Context.ActorSelection(new RootActorPath(address) / "user" / Context.Parent.Path.Name);

    // A round with the given peer (null: the next Up peer in turn). A periodic round waits for the
    // one in flight; a requested one (heal, batches gone) starts anyway.
    private void StartDigest(ICanTell? peer)
    {
        var now = DateTime.UtcNow;
        if (!_synced || _sync is not null || !Attached || (peer is null && now - _digestStarted < DigestRoundTimeout))
            return;
        if (peer is null)
        {
            var up = UpPeers();
            if (up.Count == 0)
                return;
            peer = PeerReplicator(up[_digestTurn++ % up.Count].Address);
        }
        _digestStarted = now;
        HoldSeen((long)DigestRoundTimeout.TotalMilliseconds);
        var nowMs = _table.Clock.NowMs;
        var scope = new DigestScope(
            TableDigest.Log2BucketsFor(_table.RawCount),
            HybridClock.FirstVersionAt(nowMs - SettleMs),
            nowMs + ExpiryMarginMs,
            HybridClock.FirstVersionAt(nowMs - ((long)_options.TombstoneGrace.TotalMilliseconds / 2)),
            DigestFloor);
        var (table, name, fingerprint, target) = (_table, _table.Name, _fingerprint, peer);
        Task.Run(() => new DigestReady(target, new DigestRequest(name, fingerprint, scope, TableDigest.Buckets(table, scope)))).PipeTo(Self);
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
        var (table, status, sender, self) = (_table, _status, Sender, Self);
        Task.Run(() =>
        {
            var differing = TableDigest.Differing(TableDigest.Buckets(table, q.Scope), [.. q.Buckets]);
            var cells = TableDigest.Cells(table, q.Scope, differing);
            status.DigestBytes((differing.Count * sizeof(int)) + (cells.Length * sizeof(ulong)));
            sender.Tell(new DigestDiff(table.Name, q.Scope, differing, cells), self);
        });
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
        var (table, sender, self) = (_table, Sender, Self);
        Task.Run(() =>
        {
            var cells = TableDigest.DifferingCells(d.Buckets, TableDigest.Cells(table, d.Scope, d.Buckets), [.. d.Cells]);
            SendDigestItems(sender, self, d.Scope, cells, wantsYours: true);
        });
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
        var (sender, self) = (Sender, Self);
        Task.Run(() => SendDigestItems(sender, self, m.Scope, m.Cells, wantsYours: false));
    }

    // Off the actor's thread: this node's items of the cells, in parts under the batch limit.
    private void SendDigestItems(IActorRef to, IActorRef self, DigestScope scope, IReadOnlyList<int> cells, bool wantsYours)
    {
        var items = TableDigest.ItemsIn(_table, scope, [.. cells]);
        var parts = TableItems.Split(items, _options.MaxBatchBytes).ToList();
        if (parts.Count == 0)
            parts.Add([]);
        for (var i = 0; i < parts.Count; i++)
        {
            var last = i == parts.Count - 1;
            to.Tell(new DigestItems(_table.Name, scope, last ? cells : [], parts[i], last, last && wantsYours), self);
        }
        _status.DigestBytes((cells.Count * sizeof(int)) + items.Sum(item => (long)item.Length));
        _status.DigestSent(items.Count);
    }
}
