using Akka.Actor;
using HTableCluster.Storage;
using static HTableCluster.Replication.ReplicationProtocol;

namespace HTableCluster.Replication;

/// <summary>
/// The replication layer of one node (path <c>/user/replication</c>): one
/// <see cref="TableReplicator"/> child per replicated table, the way the pub-sub mediator keeps one
/// child per topic. It routes every table message (from the writers, peers and timers) to the
/// table's child, fans <see cref="SyncCommand"/> out and answers it with <see cref="SyncResult"/>,
/// and marks the node ready once every table is in sync.
/// </summary>
public sealed class ReplicationActor : ReceiveActor
{
    private readonly IReadOnlyList<HTable> _tables;
    private readonly ReplicationOptions _options;
    private readonly ReplicaStart _start;
    private readonly ReplicationStatus _status;
    private readonly IActorRef _mediator;
    private readonly Dictionary<string, IActorRef> _replicators = new(StringComparer.Ordinal);
    private readonly HashSet<string> _synced = new(StringComparer.Ordinal);
    private readonly Dictionary<long, PendingCommand> _commands = [];
    private long _commandIds;

    /// <summary>Creates the actor for the given replicated tables.</summary>
    public ReplicationActor(IReadOnlyList<HTable> tables, ReplicationOptions options, ReplicaStart start, ReplicationStatus status, IActorRef mediator)
    {
        ArgumentNullException.ThrowIfNull(tables);
        _tables = tables;
        _options = options;
        _start = start;
        _status = status;
        _mediator = mediator;
        Receive<SyncCommand>(OnSyncCommand);
        Receive<TableSyncDone>(OnTableSyncDone);
        Receive<TableSynced>(m =>
        {
            _synced.Add(m.Table);
            if (_synced.Count == _replicators.Count)
                _status.MarkReady();
        });
        Receive<ITableMessage>(Route);
    }

    /// <summary>Props for the actor.</summary>
    public static Props Props(IReadOnlyList<HTable> tables, ReplicationOptions options, ReplicaStart start, ReplicationStatus status, IActorRef mediator) =>
        Akka.Actor.Props.Create(() => new ReplicationActor(tables, options, start, status, mediator));

    /// <inheritdoc />
    protected override void PreStart()
    {
        foreach (var t in _tables)
            _replicators[t.Name] = Context.ActorOf(TableReplicator.Props(t, _options, _start, _status, _mediator), ActorNames.ForTable(t.Name));
        if (_replicators.Count == 0)
            _status.MarkReady();
    }

    private void Route(ITableMessage m)
    {
        if (_replicators.TryGetValue(m.Table, out var replicator))
            replicator.Forward(m);
        else if (m is SyncRequest q)
            Sender.Tell(new SyncRefused(q.Table, q.RequestId, $"table {q.Table} is not replicated on {_start.NodeId}", NotReady: false));
        else if (m is TopicProbe p && !p.ViaTopic)
            Sender.Tell(new TopicEcho(p.Table, p.From.Incarnation, TopicHandshake<Address>.Direction.Both)); // nothing will flow between the two
    }

    // A sync of every table (or of one) answers once each table's replicator did; the first error wins.
    private void OnSyncCommand(SyncCommand c)
    {
        List<string> targets = c.Table is null
            ? [.. _replicators.Keys]
            : _replicators.ContainsKey(c.Table) ? [c.Table] : [];
        if (c.Replace && c.Table is null)
            targets = [];
        if (targets.Count == 0)
        {
            Sender.Tell(new SyncResult(null));
            return;
        }
        var id = ++_commandIds;
        _commands[id] = new PendingCommand(Sender, targets.Count);
        foreach (var t in targets)
            _replicators[t].Tell(new SyncTable(t, id, c.Replace));
    }

    private void OnTableSyncDone(TableSyncDone d)
    {
        if (!_commands.TryGetValue(d.Id, out var pending))
            return;
        pending.Error ??= d.Error;
        if (--pending.Remaining > 0)
            return;
        _commands.Remove(d.Id);
        pending.ReplyTo.Tell(new SyncResult(pending.Error));
    }

    private sealed class PendingCommand(IActorRef replyTo, int remaining)
    {
        public IActorRef ReplyTo { get; } = replyTo;

        public int Remaining { get; set; } = remaining;

        public string? Error { get; set; }
    }
}
