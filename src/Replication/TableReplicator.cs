using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using HTableCluster.Storage;
using static HTableCluster.Replication.ReplicationProtocol;
using static HTableCluster.Replication.WriterProtocol;

namespace HTableCluster.Replication;

/// <summary>
/// Replication of one table (a child of <see cref="ReplicationActor"/>): publishes the partition
/// writers' changes in numbered batches on the table's topic (<see cref="Outbox{TWaiter}"/>,
/// <see cref="RetransmitBuffer"/>), answers writes that wait for a write concern
/// (<see cref="WriteConcernTracker{TWaiter,TPeer}"/>), merges peers' batches through the writers
/// (<see cref="PartitionWriters{TWriter}"/>) and re-requests what is missing
/// (<see cref="InboundPeers{TRef}"/>), lets deletion markers go once every member has seen past them
/// (<see cref="MarkerWatermark"/>), takes snapshots from peers (<see cref="SnapshotRun"/>: at join,
/// for repair, <c>htable.dmqsync</c>/<c>dmqresync</c>, after a rebuild) and serves them
/// (<see cref="SnapshotDonor{TRequester}"/>). Work done off the actor's thread comes back as a
/// message (<c>PipeTo</c>), a failure too.
/// </summary>
public sealed partial class TableReplicator : ReceiveActor, IWithTimers
{
    private const long CatchUpMarginMs = 1000;

    private readonly HTable _table;
    private readonly ReplicationOptions _options;
    private readonly ReplicaStart _start;
    private readonly ReplicationStatus _status;
    private readonly TableReplicationStatus _tableStatus;
    private readonly IActorRef _mediator;
    private readonly Cluster _cluster;
    private readonly ClusterPeers _members;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly uint _fingerprint;
    private readonly string _topic;
    private readonly PartitionWriters<IActorRef> _writers;
    private readonly Outbox<(IActorRef Writer, long Id)> _outbox;
    private readonly RetransmitBuffer _buffer;
    private readonly InboundPeers<IActorRef> _peers;
    private readonly WriteConcernTracker<(IActorRef Writer, long Id), Address> _confirms;
    private readonly MarkerWatermark _watermark = new();
    private Origin _self;
    private bool _subscribeSent;
    private bool _subscribed;
    private bool _memberUp;
    private bool _initialSyncStarted;
    private bool _flushScheduled;
    private long _seq;
    private bool _synced;
    private long _joinedSinceMs;
    private long _pendingSinceUs;

    /// <summary>Creates the replicator of <paramref name="table"/>.</summary>
    public TableReplicator(HTable table, ReplicationOptions options, ReplicaStart start, ReplicationStatus status, IActorRef mediator)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(start);
        _table = table;
        _options = options;
        _start = start;
        _status = status;
        _tableStatus = status.Table(table.Name);
        _mediator = mediator;
        _cluster = Cluster.Get(Context.System);
        _members = new ClusterPeers(_cluster, Context.System, Context.Parent.Path.Name, start.PublishWhenAlone);
        _fingerprint = TableFingerprint.Of(table.Options);
        _topic = "htable:" + table.Name;
        var self = Self;
        _writers = new PartitionWriters<IActorRef>(table, (writer, message) => writer.Tell(message, self));
        _outbox = new(options.MaxBatchBytes, start.MaxItemBytes);
        _buffer = new(options.RetransmitBytes);
        _peers = new(trackFromFirstSeen: !start.InitSync);
        _confirms = new(options.WriteConcernTimeout);
        _donor = new(table, options.MaxBatchBytes);
        ReceiveBatches();
        ReceiveSnapshots();
        ReceiveDigests();
        ReceiveHandshake();
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the replicator.</summary>
    public static Props Props(HTable table, ReplicationOptions options, ReplicaStart start, ReplicationStatus status, IActorRef mediator) =>
        Akka.Actor.Props.Create(() => new TableReplicator(table, options, start, status, mediator));

    /// <inheritdoc />
    protected override void PreStart()
    {
        // Without init sync, what peers write from shortly before this node joins is fetched from
        // each origin when first met (clocks may differ by up to a second).
        _joinedSinceMs = _table.Clock.NowMs - CatchUpMarginMs;
        _self = new Origin(_start.NodeId, _cluster.SelfUniqueAddress.Uid);
        var self = Self;
        _cluster.RegisterOnMemberUp(() => self.Tell(MemberUpNow.Instance));
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.ReachableMember));
        Timers.StartPeriodicTimer("tick", Tick.Instance, _options.HeadsInterval);
        StartAntiEntropy();
    }

    /// <inheritdoc />
    protected override bool AroundReceive(Receive receive, object message)
    {
        var handled = base.AroundReceive(receive, message);
        // The sync state follows whatever the message changed (read by cluster.members): synced once
        // the snapshot is merged (or skipped) and the pub-sub handshake with the Up peers is done.
        _tableStatus.SetState(_sync is not null || _resyncing ? TableSyncState.Syncing
            : _synced && _handshake is { IsDone: true } ? TableSyncState.Synced : TableSyncState.Waiting);
        return handled;
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _cluster.Unsubscribe(Self);
        _donor.DropIdle(DateTime.MaxValue);
    }

    // The writers, the cluster, and the batches this node publishes and receives.
    private void ReceiveBatches()
    {
        Receive<WriterReady>(OnWriterReady);
        Receive<BarrierPassed>(b => _writers.Passed(b.Id));
        Receive<SubscribeAck>(_ => OnSubscribed());
        Receive<MemberUpNow>(_ => OnMemberUp());
        Receive<ClusterEvent.MemberRemoved>(OnMemberRemoved);
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<Changed>(OnChanged);
        Receive<FlushPending>(_ => Flush(scheduled: true));
        Receive<Batch>(OnBatch);
        Receive<BatchApplied>(OnBatchApplied);
        Receive<Heads>(OnHeads);
        Receive<ResendRequest>(OnResendRequest);
        Receive<RecentRequest>(OnRecentRequest);
        Receive<RecentItems>(OnRecentItems);
        Receive<Tick>(_ => OnTick());
    }

    // Every partition's writer announces itself (again after a restart). Once all are there the
    // table subscribes to its topic, then takes its snapshot: whatever is published meanwhile
    // reaches this node too.
    private void OnWriterReady(WriterReady w)
    {
        if (!_writers.Attach(w.Partition, Sender))
            return;
        Sender.Tell(WriterAttached.Instance);
        if (_writers.Attached && !_subscribeSent)
        {
            _subscribeSent = true;
            _mediator.Tell(new Subscribe(_topic, Self));
        }
    }

    private void OnSubscribed()
    {
        _subscribed = true;
        MaybeStartInitialSync();
    }

    private void OnMemberUp()
    {
        _memberUp = true;
        MaybeStartInitialSync();
    }

    private void OnMemberRemoved(ClusterEvent.MemberRemoved m)
    {
        var uid = m.Member.UniqueAddress.Uid;
        _peers.Forget(uid);
        _tableStatus.Forget(uid);
        _watermark.Removed(uid, _table.Clock.NowMs);
    }

    private void MaybeStartInitialSync()
    {
        if (_initialSyncStarted || !_writers.Attached || !_memberUp || !_subscribed)
            return;
        _initialSyncStarted = true;
        StartHandshake();
        if (_start.RepublishOnStart && _table.Clock.NowMs - _start.RepublishSinceMs > _options.TombstoneGrace.TotalMilliseconds)
        {
            StartReplacingSync();
        }
        else if (_start.InitSync || _start.RepublishOnStart)
        {
            StartSync(initial: true, waiter: null);
        }
        else
        {
            _log.Info("Table {Table}: initial sync disabled (dmq_init_sync=0)", _table.Name);
            MarkSynced();
        }
    }

    // The node counts the table as in sync once its snapshot is merged (or skipped) and the pub-sub
    // handshake with the Up peers has ended, whichever comes last.
    private void MarkSynced()
    {
        _synced = true;
        if (_handshake is { IsDone: true })
            Context.Parent.Tell(new TableSynced(_table.Name));
    }

    private void OnChanged(Changed m)
    {
        // The lag peers measure starts when the first change of a batch arrives here.
        if (_outbox.IsEmpty)
            _pendingSinceUs = NowUs();
        foreach (var bytes in _outbox.Add(m.Items, m.ResetVersion))
            ReportOversized(bytes);
        if (m.ConfirmId != 0)
            _outbox.AddWaiter((Sender, m.ConfirmId));
        if (_outbox.IsFull)
        {
            Flush(scheduled: false);
        }
        else if (!_flushScheduled)
        {
            // Queued behind the changes already in the mailbox: a lone change goes out at once,
            // a burst is coalesced into few batches.
            _flushScheduled = true;
            Self.Tell(FlushPending.Instance);
        }
    }

    // Larger than a remote frame can carry: it stays on this node, loudly.
    private void ReportOversized(int bytes)
    {
        _status.Oversized();
        _log.Error("Table {Table}: an item of {Bytes} bytes exceeds the replication limit of {Limit} bytes and is not replicated", _table.Name, bytes, _start.MaxItemBytes);
    }

    private void Flush(bool scheduled)
    {
        if (scheduled)
            _flushScheduled = false;
        var waiters = _outbox.TakeWaiters();
        // Writes waiting for a write concern are confirmed once enough peers applied every batch
        // of this flush.
        var needed = waiters.Count == 0 || _outbox.IsEmpty ? 0 : Math.Min(_options.WriteConcern, _members.Up().Count);
        if (needed == 0)
        {
            foreach (var (writer, id) in waiters)
                writer.Tell(new Confirmed(id, null));
        }
        if (_outbox.IsEmpty)
            return;
        var firstSeq = _seq + 1;
        PublishOutbox(wantsAck: needed > 0);
        if (needed > 0)
            _confirms.Add(firstSeq, _seq, needed, DateTime.UtcNow, waiters);
    }

    private void PublishOutbox(bool wantsAck)
    {
        foreach (var (items, resetVersion) in _outbox.TakeBatches())
        {
            var batch = new Batch(_table.Name, _fingerprint, _self, ++_seq, resetVersion, items, wantsAck, _pendingSinceUs);
            // Alone in the cluster, nobody listens: the batch is only kept (a node that joins later
            // takes a snapshot, and the announcements reveal anything after it).
            if (_members.Any)
                _mediator.Tell(new Publish(_topic, batch));
            _buffer.Add(batch);
            _status.Sent(items.Count);
        }
    }

    private void OnBatchApplied(BatchApplied a)
    {
        _confirms.Acked(a.Seq, Sender.Path.Address);
        AnswerConfirms(DateTime.UtcNow);
    }

    private void AnswerConfirms(DateTime now)
    {
        foreach (var ((writer, id), error) in _confirms.Due(now))
            writer.Tell(new Confirmed(id, error));
    }

    private void OnBatch(Batch b)
    {
        if (b.Origin == _self || !Accept(b.Fingerprint, b.Origin))
            return;
        var peer = _peers.Of(b.Origin, SenderOrNull(), b.Seq - 1);
        if (!peer.Tracker.Receive(b.Seq))
        {
            _status.Received(b.Items.Count, applied: false);
            if (b.WantsAck)
                Sender.Tell(new BatchApplied(b.Table, b.Seq)); // applied when it came the first time
            return;
        }
        Apply(b.Items, b.ResetVersion);
        _status.Received(b.Items.Count, applied: true);
        RecordLag(peer, b);
        CatchUp(peer);
        AskForGap(peer, force: false);
        if (b.WantsAck)
        {
            var origin = Sender;
            _writers.AfterBarrier(() => origin.Tell(new BatchApplied(b.Table, b.Seq)));
        }
    }

    private void RecordLag(InboundPeers<IActorRef>.Peer peer, Batch b)
    {
        var nowUs = NowUs();
        peer.Status ??= _tableStatus.Peer(b.Origin, _start.LagObserver);
        peer.Status.Applied(b.Seq, nowUs / 1000, b.SinceUs == 0 ? -1 : Math.Max(0, nowUs - b.SinceUs));
    }

    private void OnHeads(Heads h)
    {
        if (h.Origin == _self || !Accept(h.Fingerprint, h.Origin))
            return;
        _watermark.Announced(h.Origin, h.LastSeq, h.AtMs, h.SeenUpToMs);
        var peer = _peers.Of(h.Origin, SenderOrNull(), h.LastSeq);
        peer.Tracker.Announced(h.LastSeq);
        CatchUp(peer);
        AskForGap(peer, force: false);
    }

    // Without init sync an origin is tracked from its first batch or announcement seen here; what it
    // published since this node joined but before its pub-sub registry knew this node never arrived,
    // so it is asked once for its items stamped since then (merging makes repeats harmless).
    private void CatchUp(InboundPeers<IActorRef>.Peer peer)
    {
        if (_start.InitSync || peer.CaughtUp || peer.Ref is null)
            return;
        peer.CaughtUp = true;
        peer.Ref.Tell(new RecentRequest(_table.Name, _fingerprint, _joinedSinceMs));
    }

    private void OnRecentRequest(RecentRequest q)
    {
        if (q.Fingerprint != _fingerprint)
            return;
        foreach (var part in TableItems.Split(TableItems.Recent(_table, q.SinceMs), _options.MaxBatchBytes))
            Sender.Tell(new RecentItems(_table.Name, part));
    }

    private void OnRecentItems(RecentItems m)
    {
        Apply(m.Items, 0);
        _status.CatchUpReceived(m.Items.Count);
    }

    // What this node has seen is announced with its last batch number (MarkerWatermark.Seen: held
    // while a digest round is on or batches found gone are repaired).
    private void AnnounceHeads(long atMs)
    {
        var nowMs = _table.Clock.NowMs;
        var graceMs = (long)_options.TombstoneGrace.TotalMilliseconds;
        var others = _members.OtherUids();
        var seen = _watermark.Seen(others, o => _peers.Find(o)?.Tracker.Contiguous ?? 0, _synced, nowMs, graceMs);
        _mediator.Tell(new Publish(_topic, new Heads(_table.Name, _fingerprint, _self, _seq, atMs, seen)));
        DropSeenMarkers(others, seen, nowMs, graceMs);
    }

    // Deletion markers every member has seen past go before their grace period ends (with a margin
    // for clocks); the grace period stays the upper bound (the expiry sweep).
    private void DropSeenMarkers(List<long> others, long seen, long nowMs, long graceMs)
    {
        if (!_writers.Attached || !_watermark.TryAdvance(others, seen, nowMs, graceMs, out var floor))
            return;
        _status.MarkerFloor(floor);
        _writers.TellAll(new DropMarkers(_table.Name, HybridClock.FirstVersionAt(floor)));
    }

    // Wall clock in Unix microseconds (the table clock's time source, which tests may move).
    private long NowUs() => (_table.Clock.Time.GetUtcNow().UtcTicks - DateTime.UnixEpoch.Ticks) / 10;

    private IActorRef? SenderOrNull() => Sender.IsNobody() ? null : Sender;

    private bool Accept(uint fingerprint, Origin origin)
    {
        if (fingerprint == _fingerprint)
            return true;
        _status.Mismatch();
        if (_peers.FirstMismatch(origin))
            _log.Error("Table {Table} is defined differently on {Node}; it does not replicate with that node (here: {Definition})", _table.Name, origin.NodeId, TableFingerprint.Describe(_table.Options));
        return false;
    }

    // Missing batches are asked for only once the table is synced: before that the snapshot will
    // cover them (its watermarks say how far).
    private void AskForGap(InboundPeers<IActorRef>.Peer peer, bool force)
    {
        if (!_synced || _sync is not null || InboundPeers<IActorRef>.GapToAsk(peer, DateTime.UtcNow, force) is not var (from, to))
            return;
        _status.Gap();
        peer.Ref!.Tell(new ResendRequest(_table.Name, from, to));
    }

    private void OnResendRequest(ResendRequest r)
    {
        var batches = _buffer.Range(r.FromSeq, Math.Min(r.ToSeq, _seq));
        if (batches is null)
        {
            Sender.Tell(new ResendGone(r.Table, _self, r.FromSeq));
            return;
        }
        foreach (var b in batches)
            Sender.Tell(b);
        _status.Resent(batches.Count);
    }

    // Peers' items go to the writers of their partitions; a malformed one is counted and dropped.
    private void Apply(IReadOnlyList<byte[]> items, long resetVersion) =>
        _writers.Merge(items, resetVersion, _status.MalformedItem);

    private void OnTick()
    {
        var now = DateTime.UtcNow;
        if (_members.Any)
        {
            // Every change the writers stamped before this time is in a batch numbered up to _seq
            // once they passed the barrier and the outbox is flushed.
            var atMs = _table.Clock.NowMs;
            _writers.AfterBarrier(() =>
            {
                Flush(scheduled: false);
                AnnounceHeads(atMs);
            });
        }
        foreach (var peer in _peers.All)
            AskForGap(peer, force: false);
        if (_confirms.IsWaiting)
            AnswerConfirms(now);
        _donor.DropIdle(now);
    }
}
