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

    private void OnSyncTable(SyncTable c)
    {
        if (!c.Replace)
        {
            StartSync(initial: false, waiter: c.Id, donor: null);
            return;
        }
        // htable.dmqresync: this node's copy is dropped (nothing replicated) and refilled from a
        // peer. Runs after any sync in progress; refused without clearing when no peer is up.
        if (UpPeers().Count == 0)
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
        TellWriters(new Clear(_table.Name));
        AfterBarrier(() =>
        {
            Flush(scheduled: false);
            _resyncing = false;
            var run = new SnapshotRun(initial: false, DonorCandidates()) { Replace = true };
            run.Waiters.AddRange(_waiting);
            _waiting.Clear();
            run.Waiters.AddRange(waiters);
            _sync = run;
            NextCandidate();
        });
    }

    private void StartSync(bool initial, long? waiter, IActorRef? donor)
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
        var run = new SnapshotRun(initial, donor is not null ? new Queue<ICanTell>([donor]) : DonorCandidates());
        run.Waiters.AddRange(_waiting);
        _waiting.Clear();
        if (waiter is { } id)
            run.Waiters.Add(id);
        _sync = run;
        NextCandidate();
    }

    // The replication actors of the Up peers, oldest first: who may serve a snapshot.
    private Queue<ICanTell> DonorCandidates() =>
        new(UpPeers().Select(m => (ICanTell)Context.ActorSelection(new RootActorPath(m.Address) / "user" / Context.Parent.Path.Name)));

    // Any other member, whatever its status (a joining one is about to need the batches).
    private bool HasPeers() => _start.PublishWhenAlone || _cluster.State.Members.Count > 1;

    // Up members other than this node, oldest first (the oldest has been ready longest).
    private List<Member> UpPeers()
    {
        var up = _cluster.State.Members.Where(m => m.Status == MemberStatus.Up && m.UniqueAddress != _cluster.SelfUniqueAddress).ToList();
        up.Sort((a, b) => a.IsOlderThan(b) ? -1 : b.IsOlderThan(a) ? 1 : 0);
        return up;
    }

    // Among the members that said they are not ready yet (all syncing at once, e.g. a cluster
    // starting cold), the oldest serves its own content and the others take it from it.
    private bool OldestAmong(HashSet<Address> others)
    {
        var self = _cluster.SelfMember;
        return _cluster.State.Members.Where(m => others.Contains(m.Address)).All(m => self.IsOlderThan(m));
    }

    private void NextCandidate()
    {
        var run = _sync!;
        Timers.Cancel(SyncTimer);
        var step = run.NextStep(run.NotReady.Count > 0 && OldestAmong(run.NotReady));
        if (step != SnapshotStep.AskNext)
            _sync = null;
        switch (step)
        {
            case SnapshotStep.AskNext:
                run.Asked = true;
                run.RequestId = ++_requestIds;
                run.Donor = null;
                run.AskedAtMs = Environment.TickCount64;
                run.FirstChunkAtMs = 0;
                run.Candidates.Dequeue().Tell(new SyncRequest(_table.Name, _fingerprint, run.RequestId), Self);
                Timers.StartSingleTimer(SyncTimer, new SyncTimeout(run.RequestId), _options.SyncTimeout);
                break;
            case SnapshotStep.ClearedWithoutPeer:
                // Every peer left meanwhile: the cleared table stays not synced and asks again.
                Answer(run, "no peer is up to resync from");
                Timers.StartSingleTimer(RetryTimer, RetrySync.Instance, RetryInterval);
                break;
            case SnapshotStep.NoPeer:
                if (run.Initial)
                    _log.Info("Table {Table}: no peer to sync from; ready with local content", _table.Name);
                FinishSync(run, null);
                break;
            case SnapshotStep.NoDonor:
                _log.Warning("Table {Table}: no peer can serve a snapshot ({Reason}); ready with local content", _table.Name, run.LastError);
                FinishSync(run, null);
                break;
            case SnapshotStep.Oldest:
                _log.Info("Table {Table}: no ready peer; this node is the oldest member and serves its own content", _table.Name);
                FinishSync(run, null);
                break;
            case SnapshotStep.WaitForPeers:
                // Whoever waits for this table keeps waiting.
                _waiting.AddRange(run.Waiters);
                Timers.StartSingleTimer(RetryTimer, RetrySync.Instance, RetryInterval);
                break;
            default:
                var reason = run.LastError ?? "no peer could serve a snapshot";
                _log.Warning("Table {Table}: sync failed: {Reason}", _table.Name, reason);
                Answer(run, reason);
                // A table still waiting for its first snapshot keeps asking.
                if (!_synced)
                    Timers.StartSingleTimer(RetryTimer, RetrySync.Instance, RetryInterval);
                StartQueuedResync();
                break;
        }
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
        run.Donor = Sender;
        if (run.FirstChunkAtMs == 0)
            run.FirstChunkAtMs = Environment.TickCount64;
        Apply(c.Items, 0);
        run.Items += c.Items.Count;
        foreach (var item in c.Items)
            run.Bytes += item.Length;
        _status.SyncReceived(c.Items.Count);
        if (!c.Last)
        {
            Sender.Tell(new SyncNext(c.Table, c.RequestId));
            Timers.StartSingleTimer(SyncTimer, new SyncTimeout(c.RequestId), _options.SyncTimeout);
            return;
        }
        Timers.Cancel(SyncTimer);
        if (c.ResetVersion != 0)
            Apply([], c.ResetVersion);
        var donor = Sender;
        run.RequestId = -1;
        if (run.Replace && _seq > 0)
        {
            // After a resync this node's own recent batches may be missing from the donor's copy:
            // they are applied again from the retransmit buffer. A donor that has seen nothing
            // from this node yet has no mark for it.
            var own = c.Watermarks.FirstOrDefault(m => m.Origin == _self);
            if (own.Seq < _seq)
                ReapplyOwn(own.Seq + 1);
        }
        _peers.Covered(c.Watermarks, _self);
        // Done once the writers have applied every chunk.
        AfterBarrier(() =>
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
        });
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
        TellWriters(new Clear(_table.Name));
        AfterBarrier(() =>
        {
            _resyncing = false;
            StartSync(initial: true, waiter: null, donor: null);
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
        if (q.Fingerprint != _fingerprint)
        {
            var definition = TableFingerprint.Describe(_table.Options);
            _log.Error("Table {Table}: a peer asked for a snapshot but defines the table differently (here: {Definition})", _table.Name, definition);
            Sender.Tell(new SyncRefused(q.Table, q.RequestId, $"table {q.Table} is defined differently on {_start.NodeId}: {definition}", NotReady: false));
            return;
        }
        if (!_synced || !Attached)
        {
            Sender.Tell(new SyncRefused(q.Table, q.RequestId, $"{_start.NodeId} is not ready", NotReady: true));
            return;
        }
        // The watermarks are taken now; the barrier makes sure every batch counted in them has
        // reached storage before the snapshot is read.
        var requester = Sender;
        _donor.Start(requester, q.RequestId, _peers.Watermarks(_self, _seq), DateTime.UtcNow);
        // Pipelined: the first chunks go out at once, then one more for every chunk the requester
        // has taken (SyncNext), so the transfer never waits a round trip.
        AfterBarrier(() =>
        {
            for (var i = 0; i < ChunksInFlight; i++)
                SendChunk(requester, q.RequestId);
        });
    }

    private void SendChunk(IActorRef requester, long requestId)
    {
        if (_donor.Next(requester, requestId, DateTime.UtcNow) is var (items, last, resetVersion, marks))
            requester.Tell(new SyncChunk(_table.Name, requestId, last, resetVersion, marks, items));
    }
}
