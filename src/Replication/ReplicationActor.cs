using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using HTableCluster.Storage;
using static HTableCluster.Replication.ReplicationProtocol;

namespace HTableCluster.Replication;

/// <summary>
/// The replication layer of one node (path <c>/user/replication</c>). Publishes the local changes of
/// every replicated table in batches on the table's DistributedPubSub topic, merges peers' batches
/// through the owning partition writers, re-requests missing batches (numbered per origin and table),
/// serves them from a bounded buffer, and moves whole snapshots between nodes (initial sync, repair
/// when a peer's buffer no longer holds what was missed, <c>htable.dmqsync</c>).
/// </summary>
public sealed class ReplicationActor : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan ResendAskInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan DonorSessionIdle = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);

    // Bytes the wire form adds per item (its length).
    private const int ItemFraming = 4;

    private readonly ReplicationOptions _options;
    private readonly ReplicationStatus _status;
    private readonly IActorRef _mediator;
    private readonly Cluster _cluster;
    private readonly Dictionary<string, TableState> _tables = new(StringComparer.Ordinal);
    private readonly Dictionary<long, FenceWait> _fences = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private Origin _self;
    private long _ids;
    private int _subscriptionsPending;
    private bool _attached;
    private bool _memberUp;
    private bool _initialSyncStarted;

    /// <summary>Creates the actor for the given replicated tables.</summary>
    public ReplicationActor(IReadOnlyList<HTable> tables, ReplicationOptions options, ReplicationStatus status, IActorRef mediator)
    {
        ArgumentNullException.ThrowIfNull(tables);
        _options = options;
        _status = status;
        _mediator = mediator;
        _cluster = Cluster.Get(Context.System);
        foreach (var t in tables)
            _tables[t.Name] = new TableState(t, Fingerprint(t.Options), options.RetransmitBytes);

        Receive<Attach>(OnAttach);
        Receive<SubscribeAck>(_ => OnSubscribed());
        Receive<MemberUpNow>(_ =>
        {
            _memberUp = true;
            MaybeStartInitialSync();
        });
        Receive<Changed>(OnChanged);
        Receive<FlushPending>(m => Flush(m.Table, scheduled: true));
        Receive<Batch>(OnBatch);
        Receive<BatchApplied>(OnBatchApplied);
        Receive<Heads>(OnHeads);
        Receive<ResendRequest>(OnResendRequest);
        Receive<ResendGone>(OnResendGone);
        Receive<SyncRequest>(OnSyncRequest);
        Receive<SyncNext>(OnSyncNext);
        Receive<SyncChunk>(OnSyncChunk);
        Receive<SyncRefused>(OnSyncRefused);
        Receive<SyncTimeout>(OnSyncTimeout);
        Receive<RetrySync>(m => StartSync(m.Table, initial: true, done: null, donor: null));
        Receive<SyncCommand>(OnSyncCommand);
        Receive<FencePassed>(OnFencePassed);
        Receive<Tick>(_ => OnTick());
        Receive<ClusterEvent.MemberRemoved>(m => ForgetPeers(m.Member.UniqueAddress));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the actor.</summary>
    public static Props Props(IReadOnlyList<HTable> tables, ReplicationOptions options, ReplicationStatus status, IActorRef mediator) =>
        Akka.Actor.Props.Create(() => new ReplicationActor(tables, options, status, mediator));

    /// <summary>
    /// The part of a table definition that must agree between nodes for replication: slot count,
    /// autoexpire, updateexpire and initval (database attributes may differ per node).
    /// </summary>
    public static uint Fingerprint(TableOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(Describe(options)));
    }

    private static string Describe(TableOptions o) => string.Create(CultureInfo.InvariantCulture,
        $"size={o.Size};autoexpire={o.AutoExpire};updateexpire={(o.UpdateExpire ? 1 : 0)};initval={o.InitVal?.ToString(CultureInfo.InvariantCulture) ?? "none"}");

    /// <inheritdoc />
    protected override void PreStart()
    {
        _self = new Origin(_options.NodeId, _cluster.SelfUniqueAddress.Uid);
        var self = Self;
        _cluster.RegisterOnMemberUp(() => self.Tell(MemberUpNow.Instance));
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent));
        Timers.StartPeriodicTimer("tick", Tick.Instance, _options.HeadsInterval);
        if (_tables.Count == 0)
            _status.MarkReady();
    }

    /// <inheritdoc />
    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private void OnAttach(Attach m)
    {
        foreach (var (name, writers) in m.Writers)
        {
            if (_tables.TryGetValue(name, out var state))
                state.Writers = [.. writers];
        }
        _attached = true;
        _subscriptionsPending = _tables.Count;
        foreach (var state in _tables.Values)
            _mediator.Tell(new Subscribe(state.Topic, Self));
    }

    private void OnSubscribed()
    {
        _subscriptionsPending--;
        MaybeStartInitialSync();
    }

    // Subscribed first, then the snapshot: whatever is published meanwhile reaches this node too.
    private void MaybeStartInitialSync()
    {
        if (_initialSyncStarted || !_attached || !_memberUp || _subscriptionsPending > 0)
            return;
        _initialSyncStarted = true;
        foreach (var state in _tables.Values)
        {
            if (_options.RepublishOnStart && state.Table.Clock.NowMs - _options.RepublishSinceMs > _options.TombstoneGrace.TotalMilliseconds)
            {
                StartReplacingSync(state);
            }
            else if (_options.InitSync || _options.RepublishOnStart)
            {
                StartSync(state.Table.Name, initial: true, done: null, donor: null);
            }
            else
            {
                state.Synced = true;
                _log.Info("Table {Table}: initial sync disabled (dmq_init_sync=0)", state.Table.Name);
            }
        }
        CheckReady();
    }

    private void OnChanged(Changed m)
    {
        if (!_tables.TryGetValue(m.Table, out var state))
            return;
        foreach (var item in m.Items)
        {
            if (item.Length > _options.MaxItemBytes)
            {
                // Larger than a remote frame can carry: it stays on this node, loudly.
                _status.Oversized();
                _log.Error("Table {Table}: an item of {Bytes} bytes exceeds the replication limit of {Limit} bytes and is not replicated", m.Table, item.Length, _options.MaxItemBytes);
                continue;
            }
            state.Pending.Add(item);
            state.PendingBytes += item.Length + ItemFraming;
        }
        state.PendingReset = Math.Max(state.PendingReset, m.ResetVersion);
        if (m.Confirmed is not null)
            state.PendingConfirms.Add(m.Confirmed);
        if (state.PendingBytes >= _options.MaxBatchBytes)
        {
            Flush(m.Table, scheduled: false);
        }
        else if (!state.FlushScheduled)
        {
            // Queued behind the changes already in the mailbox: a lone change goes out at once,
            // a burst is coalesced into few batches.
            state.FlushScheduled = true;
            Self.Tell(new FlushPending(m.Table));
        }
    }

    private void Flush(string table, bool scheduled)
    {
        var state = _tables[table];
        if (scheduled)
            state.FlushScheduled = false;
        if (state.Pending.Count == 0 && state.PendingReset == 0)
        {
            ConfirmNow(state);
            return;
        }
        // Writes waiting for a write concern are confirmed once enough peers applied every batch
        // of this flush.
        var needed = state.PendingConfirms.Count == 0 ? 0 : Math.Min(_options.WriteConcern, UpPeerCount());
        if (needed == 0)
            ConfirmNow(state);
        var firstSeq = state.Seq + 1;
        var start = 0;
        while (start < state.Pending.Count || state.PendingReset != 0)
        {
            long bytes = 0;
            var end = start;
            while (end < state.Pending.Count && (end == start || bytes + state.Pending[end].Length + ItemFraming <= _options.MaxBatchBytes))
                bytes += state.Pending[end++].Length + ItemFraming;
            var items = state.Pending.GetRange(start, end - start);
            var batch = new Batch(table, state.Fingerprint, _self, ++state.Seq, state.PendingReset, items, WantsAck: needed > 0);
            state.PendingReset = 0;
            // Alone in the cluster, nobody listens: the batch is only kept (a node that joins later
            // takes a snapshot, and the announcements reveal anything after it).
            if (HasPeers())
                _mediator.Tell(new Publish(state.Topic, batch));
            state.Buffer.Add(batch);
            _status.Sent(items.Count);
            start = end;
        }
        state.Pending = [];
        state.PendingBytes = 0;
        if (needed > 0)
        {
            state.Confirms.Add(new ConfirmWait(firstSeq, state.Seq, needed, DateTime.UtcNow + _options.WriteConcernTimeout, [.. state.PendingConfirms]));
            state.PendingConfirms.Clear();
        }
    }

    private static void ConfirmNow(TableState state)
    {
        foreach (var c in state.PendingConfirms)
            c(null);
        state.PendingConfirms.Clear();
    }

    private int UpPeerCount() => _cluster.State.Members.Count(m => m.Status == MemberStatus.Up && m.UniqueAddress != _cluster.SelfUniqueAddress);

    // A peer applied one of this node's batches: writes whose batches enough peers applied are answered.
    private void OnBatchApplied(BatchApplied a)
    {
        if (!_tables.TryGetValue(a.Table, out var state))
            return;
        if (!state.Acks.TryGetValue(a.Seq, out var peers))
            state.Acks[a.Seq] = peers = [];
        peers.Add(Sender.Path.Address);
        CheckConfirms(state, DateTime.UtcNow);
    }

    private void CheckConfirms(TableState state, DateTime now)
    {
        for (var i = state.Confirms.Count - 1; i >= 0; i--)
        {
            var w = state.Confirms[i];
            var confirmed = int.MaxValue;
            for (var seq = w.FromSeq; seq <= w.ToSeq; seq++)
                confirmed = Math.Min(confirmed, state.Acks.TryGetValue(seq, out var p) ? p.Count : 0);
            string? error;
            if (confirmed >= w.Needed)
                error = null;
            else if (now >= w.Deadline)
                error = $"applied on this node, but confirmed by {confirmed} of {w.Needed} peers within {_options.WriteConcernTimeout.TotalMilliseconds:0} ms (write concern)";
            else
                continue;
            state.Confirms.RemoveAt(i);
            foreach (var c in w.Callbacks)
                c(error);
        }
        // Acknowledgements nobody waits for any more are dropped.
        var oldest = state.Confirms.Count == 0 ? long.MaxValue : state.Confirms.Min(c => c.FromSeq);
        foreach (var seq in state.Acks.Keys.Where(s => s < oldest).ToList())
            state.Acks.Remove(seq);
    }

    private void OnBatch(Batch b)
    {
        if (b.Origin == _self || !Accept(b.Table, b.Fingerprint, b.Origin, out var state))
            return;
        var peer = PeerOf(state, b.Origin, Sender, b.Seq - 1);
        if (!peer.Tracker.Receive(b.Seq))
        {
            _status.Received(b.Items.Count, applied: false);
            if (b.WantsAck)
                Sender.Tell(new BatchApplied(b.Table, b.Seq)); // applied when it came the first time
            return;
        }
        Apply(state, b.Items, b.ResetVersion);
        _status.Received(b.Items.Count, applied: true);
        CheckGap(state, peer, force: false);
        if (b.WantsAck)
        {
            var origin = Sender;
            Fence(state, () => origin.Tell(new BatchApplied(b.Table, b.Seq)));
        }
    }

    private void OnHeads(Heads h)
    {
        if (h.Origin == _self || !Accept(h.Table, h.Fingerprint, h.Origin, out var state))
            return;
        var peer = PeerOf(state, h.Origin, Sender, h.LastSeq);
        peer.Tracker.Announced(h.LastSeq);
        CheckGap(state, peer, force: false);
    }

    private bool Accept(string table, uint fingerprint, Origin origin, out TableState state)
    {
        if (!_tables.TryGetValue(table, out state!))
            return false;
        if (fingerprint == state.Fingerprint)
            return true;
        _status.Mismatch();
        if (state.MismatchReported.Add(origin))
            _log.Error("Table {Table} is defined differently on {Node}; it does not replicate with that node (here: {Definition})", table, origin.NodeId, Describe(state.Table.Options));
        return false;
    }

    // from: the origin's replication actor when the message came from it (the mediator forwards
    // publications with their sender), so re-requests go straight to it. knownUpTo: where to start
    // tracking an origin seen for the first time when this node takes no snapshots (dmq_init_sync=0:
    // only what changes after joining is repaired).
    private Peer PeerOf(TableState state, Origin origin, IActorRef? from, long knownUpTo = 0)
    {
        if (!state.Peers.TryGetValue(origin, out var peer))
        {
            peer = new Peer();
            state.Peers[origin] = peer;
            if (!_options.InitSync && from is not null)
                peer.Tracker.CoveredUpTo(knownUpTo);
        }
        if (from is not null && !from.IsNobody())
            peer.Ref = from;
        return peer;
    }

    // Missing batches are asked for only once the table is synced: before that the snapshot will
    // cover them (its watermarks say how far).
    private void CheckGap(TableState state, Peer peer, bool force)
    {
        if (!state.Synced || !peer.Tracker.HasGap || peer.Ref is null || state.Sync is not null)
            return;
        var now = DateTime.UtcNow;
        if (!force && now - peer.LastAsk < ResendAskInterval)
            return;
        peer.LastAsk = now;
        var (from, to) = peer.Tracker.FirstGap;
        _status.Gap();
        peer.Ref.Tell(new ResendRequest(state.Table.Name, from, to));
    }

    private void OnResendRequest(ResendRequest r)
    {
        if (!_tables.TryGetValue(r.Table, out var state))
            return;
        var batches = state.Buffer.Range(r.FromSeq, Math.Min(r.ToSeq, state.Seq));
        if (batches is null)
        {
            Sender.Tell(new ResendGone(r.Table, _self, r.FromSeq));
            return;
        }
        foreach (var b in batches)
            Sender.Tell(b);
        _status.Resent(batches.Count);
    }

    private void OnResendGone(ResendGone g)
    {
        if (!_tables.TryGetValue(g.Table, out var state) || !state.Peers.TryGetValue(g.Origin, out var peer) || peer.Ref is null)
            return;
        _status.Gone();
        _log.Warning("Table {Table}: {Origin} no longer holds batch {Batch}; repairing with a snapshot from it", g.Table, g.Origin.NodeId, g.FromSeq);
        StartSync(g.Table, initial: false, done: null, donor: peer.Ref);
    }

    private void OnSyncCommand(SyncCommand c)
    {
        if (c.Replace)
        {
            OnResync(c);
            return;
        }
        var targets = c.Table is null
            ? [.. _tables.Keys]
            : _tables.ContainsKey(c.Table) ? [c.Table] : new List<string>();
        if (targets.Count == 0)
        {
            c.Reply.TrySetResult(null);
            return;
        }
        var remaining = targets.Count;
        string? firstError = null;
        foreach (var t in targets)
        {
            StartSync(t, initial: false, donor: null, done: error =>
            {
                firstError ??= error;
                if (--remaining == 0)
                    c.Reply.TrySetResult(firstError);
            });
        }
    }

    // htable.dmqresync: this node's copy is dropped (nothing replicated) and refilled from a peer.
    // Runs after any sync in progress; refused without clearing when no peer is up.
    private void OnResync(SyncCommand c)
    {
        if (c.Table is null || !_tables.TryGetValue(c.Table, out var state))
        {
            c.Reply.TrySetResult(null);
            return;
        }
        if (Peers().Count == 0)
        {
            c.Reply.TrySetResult("no peer is up to resync from");
            return;
        }
        state.QueuedResyncs.Add(c.Reply);
        if (state.Sync is null && !state.Resyncing)
            StartQueuedResync(state);
    }

    private void StartQueuedResync(TableState state)
    {
        if (state.QueuedResyncs.Count == 0 || state.Resyncing || state.Sync is not null)
            return;
        var replies = state.QueuedResyncs.ToList();
        state.QueuedResyncs.Clear();
        state.Resyncing = true;
        state.Synced = false;
        // Clear every partition; the fence also brings in every change made before the clear,
        // which is published before the snapshot is asked for.
        foreach (var w in state.Writers)
            w.Tell(new ClearReplica(state.Table.Name));
        Fence(state, () =>
        {
            Flush(state.Table.Name, scheduled: false);
            state.Resyncing = false;
            var candidates = DonorCandidates();
            var run = new SyncRun(initial: false, candidates) { Replace = true };
            run.Done.AddRange(state.Waiting);
            state.Waiting.Clear();
            foreach (var reply in replies)
                run.Done.Add(error => reply.TrySetResult(error));
            state.Sync = run;
            NextCandidate(state);
        });
    }

    private void StartSync(string table, bool initial, Action<string?>? done, IActorRef? donor)
    {
        var state = _tables[table];
        if (state.Resyncing)
        {
            // A resync is clearing the table: whoever asks now waits for its snapshot.
            if (done is not null)
                state.Waiting.Add(done);
            return;
        }
        if (state.Sync is { } running)
        {
            running.Initial |= initial;
            if (done is not null)
                running.Done.Add(done);
            return;
        }
        var candidates = donor is not null
            ? new Queue<ICanTell>([donor])
            : DonorCandidates();
        var run = new SyncRun(initial, candidates);
        run.Done.AddRange(state.Waiting);
        state.Waiting.Clear();
        if (done is not null)
            run.Done.Add(done);
        state.Sync = run;
        NextCandidate(state);
    }

    // The replication actors of the Up peers, oldest first: who may serve a snapshot.
    private Queue<ICanTell> DonorCandidates() =>
        new(Peers().Select(m => (ICanTell)Context.ActorSelection(new RootActorPath(m.Address) / "user" / Self.Path.Name)));

    // Any other member, whatever its status (a joining one is about to need the batches).
    private bool HasPeers() => _options.PublishWhenAlone || _cluster.State.Members.Count > 1;

    // Up members other than this node, oldest first (the oldest has been ready longest).
    private List<Member> Peers()
    {
        var up = _cluster.State.Members.Where(m => m.Status == MemberStatus.Up && m.UniqueAddress != _cluster.SelfUniqueAddress).ToList();
        up.Sort((a, b) => a.IsOlderThan(b) ? -1 : b.IsOlderThan(a) ? 1 : 0);
        return up;
    }

    private void NextCandidate(TableState state)
    {
        var run = state.Sync!;
        var table = state.Table.Name;
        Timers.Cancel("sync-" + table);
        if (run.Candidates.Count == 0)
        {
            state.Sync = null;
            if (!run.Asked && run.Replace)
            {
                // The table was cleared for a resync and every peer left meanwhile: it stays not
                // synced and asks again.
                foreach (var d in run.Done)
                    d("no peer is up to resync from");
                Timers.StartSingleTimer("retry-" + table, new RetrySync(table), RetryInterval);
            }
            else if (!run.Asked)
            {
                // No peer at all: nothing to sync with.
                if (run.Initial)
                    _log.Info("Table {Table}: no peer to sync from; ready with local content", table);
                FinishSync(state, run, null);
            }
            else if (run.Initial && run.NotReady.Count == 0)
            {
                _log.Warning("Table {Table}: no peer can serve a snapshot ({Reason}); ready with local content", table, run.LastError);
                FinishSync(state, run, null);
            }
            else if (run.Initial && IsOlderThan(run.NotReady))
            {
                _log.Info("Table {Table}: no ready peer; this node is the oldest member and serves its own content", table);
                FinishSync(state, run, null);
            }
            else if (run.Initial)
            {
                // Peers exist but none is ready yet (they are syncing too): ask again shortly;
                // whoever waits for this table keeps waiting.
                state.Waiting.AddRange(run.Done);
                Timers.StartSingleTimer("retry-" + table, new RetrySync(table), RetryInterval);
            }
            else
            {
                _log.Warning("Table {Table}: sync failed: {Reason}", table, run.LastError ?? "no peer could serve a snapshot");
                foreach (var d in run.Done)
                    d(run.LastError ?? "no peer could serve a snapshot");
                // A table still waiting for its first snapshot keeps asking.
                if (!state.Synced)
                    Timers.StartSingleTimer("retry-" + table, new RetrySync(table), RetryInterval);
                StartQueuedResync(state);
            }
            return;
        }
        run.Asked = true;
        run.RequestId = ++_ids;
        run.Donor = null;
        run.Candidates.Dequeue().Tell(new SyncRequest(table, state.Fingerprint, run.RequestId), Self);
        Timers.StartSingleTimer("sync-" + table, new SyncTimeout(table, run.RequestId), _options.SyncTimeout);
    }

    // Among the members that said they are not ready yet (all syncing at once, e.g. a cluster
    // starting cold), the oldest serves its own content and the others take it from it.
    private bool IsOlderThan(HashSet<Address> others)
    {
        var self = _cluster.SelfMember;
        return _cluster.State.Members.Where(m => others.Contains(m.Address)).All(m => self.IsOlderThan(m));
    }

    private void OnSyncRefused(SyncRefused r)
    {
        if (!_tables.TryGetValue(r.Table, out var state) || state.Sync?.RequestId != r.RequestId)
            return;
        _log.Debug("Table {Table}: {Peer} refused a snapshot: {Reason}", r.Table, Sender.Path.Address, r.Reason);
        state.Sync.LastError = r.Reason;
        if (r.NotReady)
            state.Sync.NotReady.Add(Sender.Path.Address);
        NextCandidate(state);
    }

    private void OnSyncTimeout(SyncTimeout t)
    {
        if (!_tables.TryGetValue(t.Table, out var state) || state.Sync?.RequestId != t.RequestId)
            return;
        _log.Warning("Table {Table}: snapshot donor {Donor} did not answer within {Timeout}; trying another", t.Table, state.Sync.Donor?.Path.Address.ToString() ?? "(none yet)", _options.SyncTimeout);
        state.Sync.LastError = "the donor did not answer";
        NextCandidate(state);
    }

    private void OnSyncChunk(SyncChunk c)
    {
        if (!_tables.TryGetValue(c.Table, out var state) || state.Sync is not { } run || run.RequestId != c.RequestId)
            return;
        run.Donor = Sender;
        Apply(state, c.Items, 0);
        run.Items += c.Items.Count;
        _status.SyncReceived(c.Items.Count);
        if (!c.Last)
        {
            Sender.Tell(new SyncNext(c.Table, c.RequestId));
            Timers.StartSingleTimer("sync-" + c.Table, new SyncTimeout(c.Table, c.RequestId), _options.SyncTimeout);
            return;
        }
        Timers.Cancel("sync-" + c.Table);
        if (c.ResetVersion != 0)
            Apply(state, [], c.ResetVersion);
        var donor = Sender;
        run.RequestId = -1;
        // A donor that has seen nothing from this node yet has no mark for it.
        if (run.Replace && state.Seq > 0 && !c.Watermarks.Any(m => m.Origin == _self))
            ReapplyOwn(state, 1);
        for (var i = 0; i < c.Watermarks.Count; i++)
        {
            var mark = c.Watermarks[i];
            if (mark.Origin == _self)
            {
                // After a resync this node's own recent batches may be missing from the donor's
                // copy: they are applied again from the retransmit buffer.
                if (run.Replace && mark.Seq < state.Seq)
                    ReapplyOwn(state, mark.Seq + 1);
                continue;
            }
            var tracker = PeerOf(state, mark.Origin, null).Tracker;
            // The donor's first mark is its own: it knows exactly how far it has published.
            if (i == 0)
                tracker.Authoritative(mark.Seq);
            else
                tracker.CoveredUpTo(mark.Seq);
        }
        // Done once the writers have applied every chunk.
        Fence(state, () =>
        {
            state.Sync = null;
            _status.SyncDone();
            _log.Info("Table {Table}: merged a snapshot of {Items} items from {Donor}", c.Table, run.Items, donor.Path.Address);
            FinishSync(state, run, null);
            foreach (var peer in state.Peers.Values)
                CheckGap(state, peer, force: true);
            StartQueuedResync(state);
        });
    }

    // After a downing the rebuilt node publishes all it holds: peers keep what is newer on their
    // side (last writer wins), and what this node wrote while cut off reaches them.
    private void Republish(TableState state)
    {
        state.Republished = true;
        var items = state.Kept ?? RecentItems(state);
        if (state.Kept is not null)
        {
            // The table was replaced by the snapshot: this node's own recent writes go back in.
            Apply(state, [.. items.Select(i => (byte[])i.Clone())], 0);
            state.Kept = null;
        }
        _log.Info("Table {Table}: publishing its {Items} recent items again after rejoining", state.Table.Name, items.Count);
        OnChanged(new Changed(state.Table.Name, items, state.Table.ResetVersion));
    }

    // Items stamped since shortly before the cut; a counter keeps its base's version however
    // recently it was incremented, so all counters count as recent.
    private List<byte[]> RecentItems(TableState state)
    {
        var items = new List<byte[]>();
        var since = HybridClock.FirstVersionAt(_options.RepublishSinceMs);
        using var all = Enumerate(state.Table);
        while (all.MoveNext())
        {
            var item = AsArray(all.Current);
            if (HTable.VersionOfItem(item) >= since || HTable.IsCounterItem(item))
                items.Add(item);
        }
        return items;
    }

    // Away longer than deletion markers are kept: merging could bring back what the others deleted
    // and forgot meanwhile, so the table is replaced by a peer's snapshot and only this node's own
    // recent writes are kept (put back and published once the snapshot is in).
    private void StartReplacingSync(TableState state)
    {
        state.Kept = RecentItems(state);
        state.Resyncing = true;
        _log.Warning("Table {Table}: this node was away longer than deletion markers are kept; replacing its copy by a peer's snapshot, keeping its {Items} recent items", state.Table.Name, state.Kept.Count);
        foreach (var w in state.Writers)
            w.Tell(new ClearReplica(state.Table.Name));
        Fence(state, () =>
        {
            state.Resyncing = false;
            StartSync(state.Table.Name, initial: true, done: null, donor: null);
        });
    }

    private void ReapplyOwn(TableState state, long from)
    {
        var batches = state.Buffer.Range(from, state.Seq);
        if (batches is null)
        {
            _log.Warning("Table {Table}: this node's batches from {From} are no longer held; changes made here just before the resync may be missing", state.Table.Name, from);
            return;
        }
        foreach (var b in batches)
            Apply(state, [.. b.Items.Select(i => (byte[])i.Clone())], b.ResetVersion);
    }

    private void FinishSync(TableState state, SyncRun run, string? error)
    {
        if (error is null && !state.Synced)
        {
            state.Synced = true;
            if (_options.RepublishOnStart && !state.Republished)
                Republish(state);
        }
        foreach (var d in run.Done)
            d(error);
        CheckReady();
    }

    private void CheckReady()
    {
        if (_tables.Values.All(t => t.Synced))
            _status.MarkReady();
    }

    private void OnSyncRequest(SyncRequest q)
    {
        if (!_tables.TryGetValue(q.Table, out var state))
        {
            Sender.Tell(new SyncRefused(q.Table, q.RequestId, $"table {q.Table} is not replicated on {_options.NodeId}", NotReady: false));
            return;
        }
        if (q.Fingerprint != state.Fingerprint)
        {
            _log.Error("Table {Table}: a peer asked for a snapshot but defines the table differently (here: {Definition})", q.Table, Describe(state.Table.Options));
            Sender.Tell(new SyncRefused(q.Table, q.RequestId, $"table {q.Table} is defined differently on {_options.NodeId}: {Describe(state.Table.Options)}", NotReady: false));
            return;
        }
        if (!state.Synced || state.Writers.Length == 0)
        {
            Sender.Tell(new SyncRefused(q.Table, q.RequestId, $"{_options.NodeId} is not ready", NotReady: true));
            return;
        }
        // The watermarks are taken now; the barrier makes sure every batch counted in them has reached
        // storage before the snapshot is read.
        var marks = new List<OriginMark> { new(_self, state.Seq) };
        foreach (var (origin, peer) in state.Peers)
            marks.Add(new OriginMark(origin, peer.Tracker.Contiguous));
        var session = new DonorSession(q.RequestId, Sender, marks, Enumerate(state.Table));
        state.Donations[(Sender, q.RequestId)] = session;
        Fence(state, () => SendChunk(state, session));
    }

    private void OnSyncNext(SyncNext n)
    {
        if (_tables.TryGetValue(n.Table, out var state) && state.Donations.TryGetValue((Sender, n.RequestId), out var session))
            SendChunk(state, session);
    }

    private void SendChunk(TableState state, DonorSession session)
    {
        session.Touched = DateTime.UtcNow;
        var items = new List<byte[]>();
        long bytes = 0;
        var last = true;
        while (session.Items.MoveNext())
        {
            var item = AsArray(session.Items.Current);
            items.Add(item);
            bytes += item.Length + ItemFraming;
            if (bytes >= _options.MaxBatchBytes)
            {
                last = false;
                break;
            }
        }
        if (last)
        {
            state.Donations.Remove((session.Requester, session.Id));
            session.Items.Dispose();
        }
        session.Requester.Tell(new SyncChunk(state.Table.Name, session.Id, last, last ? state.Table.ResetVersion : 0, last ? session.Marks : [], items));
    }

    private static IEnumerator<ReadOnlyMemory<byte>> Enumerate(HTable table)
    {
        for (var p = 0; p < table.PartitionCount; p++)
        {
            foreach (var item in table.ExportItems(p))
                yield return item;
        }
    }

    private static byte[] AsArray(ReadOnlyMemory<byte> m) =>
        MemoryMarshal.TryGetArray(m, out var seg) && seg.Offset == 0 && seg.Count == seg.Array!.Length ? seg.Array : m.ToArray();

    private void Apply(TableState state, IReadOnlyList<byte[]> items, long resetVersion)
    {
        var writers = state.Writers;
        if (writers.Length == 0)
            return;
        var groups = new List<byte[]>?[writers.Length];
        foreach (var item in items)
        {
            if (!HTable.IsWellFormedItem(item))
            {
                _status.MalformedItem();
                continue;
            }
            (groups[state.Table.PartitionOfItem(item)] ??= []).Add(item);
        }
        for (var p = 0; p < writers.Length; p++)
        {
            if (groups[p] is not null || resetVersion != 0)
                writers[p].Tell(new Merge(state.Table.Name, (IReadOnlyList<byte[]>?)groups[p] ?? [], resetVersion));
        }
    }

    private void Fence(TableState state, Action then)
    {
        if (state.Writers.Length == 0)
        {
            then();
            return;
        }
        var id = ++_ids;
        _fences[id] = new FenceWait(state.Writers.Length, then);
        foreach (var w in state.Writers)
            w.Tell(new Fence(state.Table.Name, id));
    }

    private void OnFencePassed(FencePassed b)
    {
        if (!_fences.TryGetValue(b.Id, out var wait) || --wait.Pending > 0)
            return;
        _fences.Remove(b.Id);
        wait.Then();
    }

    private void OnTick()
    {
        var now = DateTime.UtcNow;
        foreach (var state in _tables.Values)
        {
            if (state.Seq > 0 && HasPeers())
                _mediator.Tell(new Publish(state.Topic, new Heads(state.Table.Name, state.Fingerprint, _self, state.Seq)));
            foreach (var peer in state.Peers.Values)
                CheckGap(state, peer, force: false);
            if (state.Confirms.Count > 0)
                CheckConfirms(state, now);
            foreach (var (key, session) in state.Donations.ToList())
            {
                if (now - session.Touched > DonorSessionIdle)
                {
                    session.Items.Dispose();
                    state.Donations.Remove(key);
                }
            }
        }
    }

    // A removed member's incarnation never publishes again (a restart is a new origin).
    private void ForgetPeers(UniqueAddress member)
    {
        foreach (var state in _tables.Values)
        {
            foreach (var origin in state.Peers.Keys.Where(o => o.Incarnation == member.Uid).ToList())
                state.Peers.Remove(origin);
        }
    }

    private sealed class MemberUpNow
    {
        public static readonly MemberUpNow Instance = new();

        private MemberUpNow()
        {
        }
    }

    private sealed class TableState(HTable table, uint fingerprint, long retransmitBytes)
    {
        public HTable Table { get; } = table;

        public uint Fingerprint { get; } = fingerprint;

        public string Topic { get; } = "htable:" + table.Name;

        public IActorRef[] Writers { get; set; } = [];

        public List<byte[]> Pending { get; set; } = [];

        public long PendingBytes { get; set; }

        public long PendingReset { get; set; }

        public bool FlushScheduled { get; set; }

        public long Seq { get; set; }

        public RetransmitBuffer Buffer { get; } = new(retransmitBytes);

        public Dictionary<Origin, Peer> Peers { get; } = [];

        public HashSet<Origin> MismatchReported { get; } = [];

        public bool Synced { get; set; }

        public SyncRun? Sync { get; set; }

        public List<Action<string?>> Waiting { get; } = [];

        public List<TaskCompletionSource<string?>> QueuedResyncs { get; } = [];

        public bool Resyncing { get; set; }

        public bool Republished { get; set; }

        public List<byte[]>? Kept { get; set; }

        public List<Action<string?>> PendingConfirms { get; } = [];

        public List<ConfirmWait> Confirms { get; } = [];

        public Dictionary<long, HashSet<Address>> Acks { get; } = [];

        public Dictionary<(IActorRef Requester, long Id), DonorSession> Donations { get; } = [];
    }

    private sealed class Peer
    {
        public OriginTracker Tracker { get; } = new();

        public IActorRef? Ref { get; set; }

        public DateTime LastAsk { get; set; }
    }

    private sealed class SyncRun(bool initial, Queue<ICanTell> candidates)
    {
        public bool Initial { get; set; } = initial;

        public Queue<ICanTell> Candidates { get; } = candidates;

        public List<Action<string?>> Done { get; } = [];

        public bool Asked { get; set; }

        public long RequestId { get; set; }

        public IActorRef? Donor { get; set; }

        public int Items { get; set; }

        public string? LastError { get; set; }

        public HashSet<Address> NotReady { get; } = [];

        public bool Replace { get; init; }
    }

    private sealed class DonorSession(long id, IActorRef requester, List<OriginMark> marks, IEnumerator<ReadOnlyMemory<byte>> items)
    {
        public long Id { get; } = id;

        public IActorRef Requester { get; } = requester;

        public List<OriginMark> Marks { get; } = marks;

        public IEnumerator<ReadOnlyMemory<byte>> Items { get; } = items;

        public DateTime Touched { get; set; } = DateTime.UtcNow;
    }

    private sealed record ConfirmWait(long FromSeq, long ToSeq, int Needed, DateTime Deadline, List<Action<string?>> Callbacks);

    private sealed class FenceWait(int pending, Action then)
    {
        public int Pending { get; set; } = pending;

        public Action Then { get; } = then;
    }
}
