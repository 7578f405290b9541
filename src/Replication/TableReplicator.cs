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
/// (<see cref="WriteConcernTracker{TWaiter,TPeer}"/>), merges peers' batches through the writers and
/// re-requests what is missing (<see cref="InboundPeers{TRef}"/>), takes snapshots from peers
/// (<see cref="SnapshotRun"/>: at join, for repair, <c>htable.dmqsync</c>/<c>dmqresync</c>, after a
/// rebuild) and serves them (<see cref="SnapshotDonor{TRequester}"/>).
/// </summary>
public sealed partial class TableReplicator : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);
    private const string SyncTimer = "sync";
    private const string RetryTimer = "retry";
    private const long CatchUpMarginMs = 1000;
    private const int ChunksInFlight = 4;
    private const long MarkerFloorMarginMs = 1000;

    private readonly HTable _table;
    private readonly ReplicationOptions _options;
    private readonly ReplicaStart _start;
    private readonly ReplicationStatus _status;
    private readonly TableReplicationStatus _tableStatus;
    private readonly IActorRef _mediator;
    private readonly Cluster _cluster;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly uint _fingerprint;
    private readonly string _topic;
    private readonly IActorRef?[] _writers;
    private readonly Outbox<(IActorRef Writer, long Id)> _outbox;
    private readonly RetransmitBuffer _buffer;
    private readonly InboundPeers<IActorRef> _peers;
    private readonly WriteConcernTracker<(IActorRef Writer, long Id), Address> _confirms;
    private readonly SnapshotDonor<IActorRef> _donor;
    private readonly BarrierWaits _barriers = new();
    private readonly List<long> _waiting = [];
    private readonly List<long> _queuedResyncs = [];
    private Origin _self;
    private int _writersReady;
    private bool _subscribeSent;
    private bool _subscribed;
    private bool _memberUp;
    private bool _initialSyncStarted;
    private bool _flushScheduled;
    private long _seq;
    private long _requestIds;
    private bool _synced;
    private SnapshotRun? _sync;
    private bool _resyncing;
    private bool _republished;
    private List<byte[]>? _kept;
    private long _joinedSinceMs;
    private readonly MarkerWatermark _watermark = new();
    private long _markerFloorMs;
    private long _holdAtMs;
    private long _holdUntilMs;
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
        _fingerprint = TableFingerprint.Of(table.Options);
        _topic = "htable:" + table.Name;
        _writers = new IActorRef?[table.PartitionCount];
        _outbox = new(options.MaxBatchBytes, start.MaxItemBytes);
        _buffer = new(options.RetransmitBytes);
        _peers = new(trackFromFirstSeen: !start.InitSync);
        _confirms = new(options.WriteConcernTimeout);
        _donor = new(table, options.MaxBatchBytes);

        Receive<WriterReady>(OnWriterReady);
        Receive<SubscribeAck>(_ =>
        {
            _subscribed = true;
            MaybeStartInitialSync();
        });
        Receive<MemberUpNow>(_ =>
        {
            _memberUp = true;
            MaybeStartInitialSync();
        });
        Receive<Changed>(OnChanged);
        Receive<FlushPending>(_ => Flush(scheduled: true));
        Receive<Batch>(OnBatch);
        Receive<BatchApplied>(a =>
        {
            _confirms.Acked(a.Seq, Sender.Path.Address);
            AnswerConfirms(DateTime.UtcNow);
        });
        Receive<Heads>(OnHeads);
        Receive<ResendRequest>(OnResendRequest);
        Receive<ResendGone>(OnResendGone);
        Receive<SyncRequest>(OnSyncRequest);
        Receive<SyncNext>(n => SendChunk(Sender, n.RequestId));
        Receive<SyncChunk>(OnSyncChunk);
        Receive<SyncRefused>(OnSyncRefused);
        Receive<SyncTimeout>(OnSyncTimeout);
        Receive<RetrySync>(_ => StartSync(initial: true, waiter: null, donor: null));
        Receive<SyncTable>(OnSyncTable);
        Receive<RecentRequest>(OnRecentRequest);
        Receive<RecentItems>(OnRecentItems);
        Receive<DigestWith>(d => StartDigest(d.Peer));
        Receive<DigestReady>(OnDigestReady);
        Receive<DigestRequest>(OnDigestRequest);
        Receive<DigestDiff>(OnDigestDiff);
        Receive<DigestItems>(OnDigestItems);
        Receive<ClusterEvent.ReachableMember>(OnReachable);
        Receive<BarrierPassed>(b => _barriers.Passed(b.Id));
        Receive<Tick>(_ => OnTick());
        Receive<TopicProbe>(OnTopicProbe);
        Receive<TopicEcho>(OnTopicEcho);
        Receive<HandshakeRound>(_ => OnHandshakeRound());
        Receive<ClusterEvent.MemberRemoved>(m =>
        {
            _peers.Forget(m.Member.UniqueAddress.Uid);
            _tableStatus.Forget(m.Member.UniqueAddress.Uid);
            _watermark.Removed(m.Member.UniqueAddress.Uid, _table.Clock.NowMs);
        });
        Receive<ClusterEvent.IMemberEvent>(_ => { });
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    private bool Attached => _writersReady == _writers.Length;

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

    // Every partition's writer announces itself (again after a restart). Once all are there the
    // table subscribes to its topic, then takes its snapshot: whatever is published meanwhile
    // reaches this node too.
    private void OnWriterReady(WriterReady w)
    {
        if (w.Partition < 0 || w.Partition >= _writers.Length)
            return;
        if (_writers[w.Partition] is null)
            _writersReady++;
        _writers[w.Partition] = Sender;
        Sender.Tell(WriterAttached.Instance);
        if (Attached && !_subscribeSent)
        {
            _subscribeSent = true;
            _mediator.Tell(new Subscribe(_topic, Self));
        }
    }

    private void MaybeStartInitialSync()
    {
        if (_initialSyncStarted || !Attached || !_memberUp || !_subscribed)
            return;
        _initialSyncStarted = true;
        StartHandshake();
        if (_start.RepublishOnStart && _table.Clock.NowMs - _start.RepublishSinceMs > _options.TombstoneGrace.TotalMilliseconds)
        {
            StartReplacingSync();
        }
        else if (_start.InitSync || _start.RepublishOnStart)
        {
            StartSync(initial: true, waiter: null, donor: null);
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
        {
            // Larger than a remote frame can carry: it stays on this node, loudly.
            _status.Oversized();
            _log.Error("Table {Table}: an item of {Bytes} bytes exceeds the replication limit of {Limit} bytes and is not replicated", _table.Name, bytes, _start.MaxItemBytes);
        }
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

    private void Flush(bool scheduled)
    {
        if (scheduled)
            _flushScheduled = false;
        var waiters = _outbox.TakeWaiters();
        // Writes waiting for a write concern are confirmed once enough peers applied every batch
        // of this flush.
        var needed = waiters.Count == 0 || _outbox.IsEmpty ? 0 : Math.Min(_options.WriteConcern, UpPeers().Count);
        if (needed == 0)
        {
            foreach (var (writer, id) in waiters)
                writer.Tell(new Confirmed(id, null));
        }
        if (_outbox.IsEmpty)
            return;
        var firstSeq = _seq + 1;
        foreach (var (items, resetVersion) in _outbox.TakeBatches())
        {
            var batch = new Batch(_table.Name, _fingerprint, _self, ++_seq, resetVersion, items, WantsAck: needed > 0, SinceUs: _pendingSinceUs);
            // Alone in the cluster, nobody listens: the batch is only kept (a node that joins later
            // takes a snapshot, and the announcements reveal anything after it).
            if (HasPeers())
                _mediator.Tell(new Publish(_topic, batch));
            _buffer.Add(batch);
            _status.Sent(items.Count);
        }
        if (needed > 0)
            _confirms.Add(firstSeq, _seq, needed, DateTime.UtcNow, waiters);
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
        var nowUs = NowUs();
        peer.Status ??= _tableStatus.Peer(b.Origin, _start.LagObserver);
        peer.Status.Applied(b.Seq, nowUs / 1000, b.SinceUs == 0 ? -1 : Math.Max(0, nowUs - b.SinceUs));
        CatchUp(peer);
        AskForGap(peer, force: false);
        if (b.WantsAck)
        {
            var origin = Sender;
            AfterBarrier(() => origin.Tell(new BatchApplied(b.Table, b.Seq)));
        }
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

    // What this node has seen is announced with its last batch number. It never goes past the last
    // report of a member removed within the grace period (so every member holds the floor for it),
    // nor past the floor while a digest round is on (HoldSeen).
    private void AnnounceHeads(long atMs)
    {
        var nowMs = _table.Clock.NowMs;
        var graceMs = (long)_options.TombstoneGrace.TotalMilliseconds;
        var others = _cluster.State.Members.Where(m => m.UniqueAddress != _cluster.SelfUniqueAddress).Select(m => (long)m.UniqueAddress.Uid).ToList();
        var seen = _synced ? _watermark.SeenUpTo(others, o => _peers.Find(o)?.Tracker.Contiguous ?? 0, nowMs) : 0;
        seen = Math.Min(seen, _watermark.RemovedFloor(nowMs, graceMs));
        if (nowMs < _holdUntilMs)
            seen = Math.Min(seen, _holdAtMs);
        _mediator.Tell(new Publish(_topic, new Heads(_table.Name, _fingerprint, _self, _seq, atMs, seen)));
        DropSeenMarkers(others, seen, nowMs, graceMs);
    }

    // Deletion markers every member has seen past go before their grace period ends (one second of
    // margin for clocks); the grace period stays the upper bound (the expiry sweep).
    private void DropSeenMarkers(List<long> others, long seen, long nowMs, long graceMs)
    {
        var floor = _watermark.Floor(others, seen, nowMs, graceMs) - MarkerFloorMarginMs;
        if (floor <= _markerFloorMs || !Attached)
            return;
        _markerFloorMs = floor;
        _status.MarkerFloor(floor);
        TellWriters(new DropMarkers(_table.Name, HybridClock.FirstVersionAt(floor)));
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

    private void Apply(IReadOnlyList<byte[]> items, long resetVersion)
    {
        if (!Attached)
            return;
        var groups = new List<byte[]>?[_writers.Length];
        foreach (var item in items)
        {
            if (!ItemBuffer.IsWellFormed(item))
            {
                _status.MalformedItem();
                continue;
            }
            (groups[_table.PartitionOfItem(item)] ??= []).Add(item);
        }
        for (var p = 0; p < _writers.Length; p++)
        {
            if (groups[p] is not null || resetVersion != 0)
                _writers[p]!.Tell(new Merge(_table.Name, (IReadOnlyList<byte[]>?)groups[p] ?? [], resetVersion));
        }
    }

    private void TellWriters(object message)
    {
        foreach (var w in _writers)
            w?.Tell(message);
    }

    private void AfterBarrier(Action then)
    {
        if (!Attached)
        {
            then();
            return;
        }
        var barrier = new WriterProtocol.Barrier(_barriers.Open(_writers.Length, then));
        TellWriters(barrier);
    }

    private void OnTick()
    {
        var now = DateTime.UtcNow;
        if (HasPeers())
        {
            // Every change the writers stamped before this time is in a batch numbered up to _seq
            // once they passed the barrier and the outbox is flushed.
            var atMs = _table.Clock.NowMs;
            AfterBarrier(() =>
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
