using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using static HTableCluster.Replication.ReplicationProtocol;
using static HTableCluster.Replication.WriterProtocol;

namespace HTableCluster.Replication;

// Taking snapshots from peers (at join, for repair, htable.dmqsync/dmqresync, after a rebuild) and
// serving them.
public sealed partial class TableReplicator
{
    private const string SyncTimer = "sync";
    private const string RetryTimer = "retry";
    private const int ChunksInFlight = 4;
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);
    private readonly SnapshotDonor<IActorRef> _donor;
    private readonly List<long> _waiting = [];
    private readonly List<long> _queuedResyncs = [];
    private long _requestIds;
    private SnapshotRun? _sync;
    private bool _resyncing;
    private bool _republished;
    private List<byte[]>? _kept;

    private void ReceiveSnapshots()
    {
        Receive<SyncTable>(OnSyncTable);
        Receive<RetrySync>(_ => StartSync(initial: true, waiter: null));
        Receive<SyncRefused>(OnSyncRefused);
        Receive<SyncTimeout>(OnSyncTimeout);
        Receive<SyncChunk>(OnSyncChunk);
        Receive<SyncRequest>(OnSyncRequest);
        Receive<SyncNext>(n => SendChunk(Sender, n.RequestId));
    }

    private void OnSyncTable(SyncTable c)
    {
        if (!c.Replace)
        {
            StartSync(initial: false, waiter: c.Id);
            return;
        }
        // htable.dmqresync: this node's copy is dropped (nothing replicated) and refilled from a
        // peer. Runs after any sync in progress; refused without clearing when no peer is up.
        if (_members.Up().Count == 0)
        {
            Context.Parent.Tell(new TableSyncDone(_table.Name, c.Id, "no peer is up to resync from"));
            return;
        }
        _queuedResyncs.Add(c.Id);
        StartQueuedResync();
    }

    private void StartQueuedResync()
    {
        if (_queuedResyncs.Count == 0 || _resyncing || _sync is not null)
            return;
        var waiters = _queuedResyncs.ToList();
        _queuedResyncs.Clear();
        _resyncing = true;
        _synced = false;
        // Clear every partition; the barrier also brings in every change made before the clear,
        // which is published before the snapshot is asked for.
        _writers.TellAll(new Clear(_table.Name));
        _writers.AfterBarrier(() =>
        {
            Flush(scheduled: false);
            _resyncing = false;
            StartRun(new SnapshotRun(initial: false, _members.DonorCandidates()) { Replace = true }, waiters);
        });
    }

    private void StartSync(bool initial, long? waiter)
    {
        if (_resyncing)
        {
            // A resync is clearing the table: whoever asks now waits for its snapshot.
            if (waiter is { } w)
                _waiting.Add(w);
            return;
        }
        if (_sync is { } running)
        {
            running.Initial |= initial;
            if (waiter is { } w)
                running.Waiters.Add(w);
            return;
        }
        StartRun(new SnapshotRun(initial, _members.DonorCandidates()), waiter is { } id ? [id] : []);
    }

    // Whoever waited for a sync that could not start yet waits for this run too.
    private void StartRun(SnapshotRun run, List<long> waiters)
    {
        run.Waiters.AddRange(_waiting);
        _waiting.Clear();
        run.Waiters.AddRange(waiters);
        _sync = run;
        NextCandidate();
    }

    private void NextCandidate()
    {
        var run = _sync!;
        Timers.Cancel(SyncTimer);
        var step = run.NextStep(run.NotReady.Count > 0 && _members.OldestAmong(run.NotReady));
        if (step != SnapshotStep.AskNext)
            _sync = null;
        switch (step)
        {
            case SnapshotStep.AskNext:
                AskNextDonor(run);
                break;
            case SnapshotStep.ClearedWithoutPeer:
                // Every peer left meanwhile: the cleared table stays not synced and asks again.
                Answer(run, "no peer is up to resync from");
                RetrySyncLater();
                break;
            case SnapshotStep.NoPeer or SnapshotStep.NoDonor or SnapshotStep.Oldest:
                ReadyWithLocalContent(run, step);
                break;
            case SnapshotStep.WaitForPeers:
                // Whoever waits for this table keeps waiting.
                _waiting.AddRange(run.Waiters);
                RetrySyncLater();
                break;
            default:
                SyncFailed(run);
                break;
        }
    }

    private void RetrySyncLater() => Timers.StartSingleTimer(RetryTimer, RetrySync.Instance, RetryInterval);

    private void AskNextDonor(SnapshotRun run)
    {
        run.Asked = true;
        run.RequestId = ++_requestIds;
        run.Donor = null;
        run.AskedAtMs = Environment.TickCount64;
        run.FirstChunkAtMs = 0;
        run.Candidates.Dequeue().Tell(new SyncRequest(_table.Name, _fingerprint, run.RequestId), Self);
        Timers.StartSingleTimer(SyncTimer, new SyncTimeout(run.RequestId), _options.SyncTimeout);
    }

    // No snapshot to take (no peer, none can serve one, or this node is the oldest of those still
    // syncing): the table is ready with what it holds.
    private void ReadyWithLocalContent(SnapshotRun run, SnapshotStep step)
    {
        if (step == SnapshotStep.NoDonor)
            _log.Warning("Table {Table}: no peer can serve a snapshot ({Reason}); ready with local content", _table.Name, run.LastError);
        else if (step == SnapshotStep.Oldest)
            _log.Info("Table {Table}: no ready peer; this node is the oldest member and serves its own content", _table.Name);
        else if (run.Initial)
            _log.Info("Table {Table}: no peer to sync from; ready with local content", _table.Name);
        FinishSync(run, null);
    }

    private void SyncFailed(SnapshotRun run)
    {
        var reason = run.LastError ?? "no peer could serve a snapshot";
        _log.Warning("Table {Table}: sync failed: {Reason}", _table.Name, reason);
        Answer(run, reason);
        // A table still waiting for its first snapshot keeps asking.
        if (!_synced)
            RetrySyncLater();
        StartQueuedResync();
    }

    private void OnSyncRefused(SyncRefused r)
    {
        if (_sync is not { } run || run.RequestId != r.RequestId)
            return;
        _log.Debug("Table {Table}: {Peer} refused a snapshot: {Reason}", _table.Name, Sender.Path.Address, r.Reason);
        run.LastError = r.Reason;
        if (r.NotReady)
            run.NotReady.Add(Sender.Path.Address);
        NextCandidate();
    }

    private void OnSyncTimeout(SyncTimeout t)
    {
        if (_sync is not { } run || run.RequestId != t.RequestId)
            return;
        _log.Warning("Table {Table}: snapshot donor {Donor} did not answer within {Timeout}; trying another", _table.Name, run.Donor?.Path.Address.ToString() ?? "(none yet)", _options.SyncTimeout);
        run.LastError = "the donor did not answer";
        NextCandidate();
    }

    private void OnSyncChunk(SyncChunk c)
    {
        if (_sync is not { } run || run.RequestId != c.RequestId)
            return;
        MergeChunk(run, c);
        if (!c.Last)
        {
            Sender.Tell(new SyncNext(c.Table, c.RequestId));
            Timers.StartSingleTimer(SyncTimer, new SyncTimeout(c.RequestId), _options.SyncTimeout);
            return;
        }
        Timers.Cancel(SyncTimer);
        if (c.ResetVersion != 0)
            Apply([], c.ResetVersion);
        run.RequestId = -1;
        if (run.Replace && _seq > 0)
            ReapplyOwnMissing(c.Watermarks);
        _peers.Covered(c.Watermarks, _self);
        // Done once the writers have applied every chunk.
        var donor = Sender;
        _writers.AfterBarrier(() => SnapshotMerged(run, donor));
    }

    private void MergeChunk(SnapshotRun run, SyncChunk c)
    {
        run.Donor = Sender;
        if (run.FirstChunkAtMs == 0)
            run.FirstChunkAtMs = Environment.TickCount64;
        Apply(c.Items, 0);
        run.Items += c.Items.Count;
        foreach (var item in c.Items)
            run.Bytes += item.Length;
        _status.SyncReceived(c.Items.Count);
    }

    // After a resync this node's own recent batches may be missing from the donor's copy: they are
    // applied again from the retransmit buffer. A donor that has seen nothing from this node yet has
    // no mark for it.
    private void ReapplyOwnMissing(IReadOnlyList<OriginMark> watermarks)
    {
        var own = watermarks.FirstOrDefault(m => m.Origin == _self);
        if (own.Seq < _seq)
            ReapplyOwn(own.Seq + 1);
    }

    private void SnapshotMerged(SnapshotRun run, IActorRef donor)
    {
        _sync = null;
        _status.SyncDone();
        var now = Environment.TickCount64;
        _log.Info("Table {Table}: merged a snapshot of {Items} items ({Megabytes:F1} MB) from {Donor} in {Ms} ms (first chunk after {FirstMs} ms)",
            _table.Name, run.Items, run.Bytes / 1e6, donor.Path.Address, now - run.AskedAtMs, run.FirstChunkAtMs - run.AskedAtMs);
        FinishSync(run, null);
        foreach (var peer in _peers.All)
            AskForGap(peer, force: true);
        StartQueuedResync();
    }

    // After a downing the rebuilt node publishes all it holds: peers keep what is newer on their
    // side (last writer wins), and what this node wrote while cut off reaches them.
    private void Republish()
    {
        _republished = true;
        var items = _kept ?? TableItems.Recent(_table, _start.RepublishSinceMs);
        if (_kept is not null)
        {
            // The table was replaced by the snapshot: this node's own recent writes go back in.
            Apply([.. items.Select(i => (byte[])i.Clone())], 0);
            _kept = null;
        }
        _log.Info("Table {Table}: publishing its {Items} recent items again after rejoining", _table.Name, items.Count);
        OnChanged(new Changed(_table.Name, items, _table.ResetVersion));
    }

    // Away longer than deletion markers are kept: merging could bring back what the others deleted
    // and forgot meanwhile, so the table is replaced by a peer's snapshot and only this node's own
    // recent writes are kept (put back and published once the snapshot is in).
    private void StartReplacingSync()
    {
        _kept = TableItems.Recent(_table, _start.RepublishSinceMs);
        _resyncing = true;
        _log.Warning("Table {Table}: this node was away longer than deletion markers are kept; replacing its copy by a peer's snapshot, keeping its {Items} recent items", _table.Name, _kept.Count);
        _writers.TellAll(new Clear(_table.Name));
        _writers.AfterBarrier(() =>
        {
            _resyncing = false;
            StartSync(initial: true, waiter: null);
        });
    }

    private void ReapplyOwn(long from)
    {
        var batches = _buffer.Range(from, _seq);
        if (batches is null)
        {
            _log.Warning("Table {Table}: this node's batches from {From} are no longer held; changes made here just before the resync may be missing", _table.Name, from);
            return;
        }
        foreach (var b in batches)
            Apply([.. b.Items.Select(i => (byte[])i.Clone())], b.ResetVersion);
    }

    private void FinishSync(SnapshotRun run, string? error)
    {
        if (error is null && !_synced)
        {
            MarkSynced();
            if (_start.RepublishOnStart && !_republished)
                Republish();
        }
        Answer(run, error);
    }

    private void Answer(SnapshotRun run, string? error)
    {
        foreach (var id in run.Waiters)
            Context.Parent.Tell(new TableSyncDone(_table.Name, id, error));
    }

    private void OnSyncRequest(SyncRequest q)
    {
        if (RefuseSync(q))
            return;
        // The watermarks are taken now; the barrier makes sure every batch counted in them has
        // reached storage before the snapshot is read.
        var requester = Sender;
        _donor.Start(requester, q.RequestId, _peers.Watermarks(_self, _seq), DateTime.UtcNow);
        // Pipelined: the first chunks go out at once, then one more for every chunk the requester
        // has taken (SyncNext), so the transfer never waits a round trip.
        _writers.AfterBarrier(() =>
        {
            for (var i = 0; i < ChunksInFlight; i++)
                SendChunk(requester, q.RequestId);
        });
    }

    // A table defined differently here, or not ready yet, serves no snapshot: the requester is told why.
    private bool RefuseSync(SyncRequest q)
    {
        if (q.Fingerprint != _fingerprint)
        {
            var definition = TableFingerprint.Describe(_table.Options);
            _log.Error("Table {Table}: a peer asked for a snapshot but defines the table differently (here: {Definition})", _table.Name, definition);
            Sender.Tell(new SyncRefused(q.Table, q.RequestId, $"table {q.Table} is defined differently on {_start.NodeId}: {definition}", NotReady: false));
            return true;
        }
        if (_synced && _writers.Attached)
            return false;
        Sender.Tell(new SyncRefused(q.Table, q.RequestId, $"{_start.NodeId} is not ready", NotReady: true));
        return true;
    }

    private void SendChunk(IActorRef requester, long requestId)
    {
        if (_donor.Next(requester, requestId, DateTime.UtcNow) is var (items, last, resetVersion, marks))
            requester.Tell(new SyncChunk(_table.Name, requestId, last, resetVersion, marks, items));
    }
}
