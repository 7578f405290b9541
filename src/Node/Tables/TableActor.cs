using Akka.Actor;
using Akka.Event;
using HTableCluster.Replication;
using HTableCluster.Storage;
using static HTableCluster.Node.Tables.TableProtocol;

namespace HTableCluster.Node.Tables;

/// <summary>
/// The single writer of one table partition. Applies every mutation in arrival order (local writes,
/// items merged from peers), sweeps expired items every timer interval, and hands the local changes
/// of a replicated table to the replication actor; reads never pass through here.
/// </summary>
public sealed class TableActor : ReceiveActor, IWithTimers
{
    private readonly TablePartition _partition;
    private readonly TableEvents _events;
    private readonly IActorRef? _replication;
    private readonly bool _writeConcern;
    private readonly Dictionary<long, (IActorRef ReplyTo, long WriteId, object Reply)> _awaitingPeers = [];
    private IActorRef? _replicator;
    private long _confirmIds;

    /// <summary>
    /// Creates the actor; <paramref name="replication"/> (the replication actor) is null for a table
    /// that stays local. With <paramref name="writeConcern"/> a write to a replicated table is
    /// answered once the replication layer says enough peers applied it.
    /// </summary>
    public TableActor(TablePartition partition, TimeSpan sweepInterval, TableEvents events, IActorRef? replication, bool writeConcern = false)
    {
        _writeConcern = writeConcern && replication is not null && partition.Table.Replicated;
        _partition = partition;
        _events = events;
        _replication = partition.Table.Replicated ? replication : null;
        _replicator = _replication;
        if (partition.Table.Replicated && replication is null)
            Context.GetLogger().Warning("Table {Table} is marked replicated but no replication actor runs; its changes stay here", partition.Table.Name);
        Receive<Apply>(cmd => Write(cmd.Id, cmd, static (p, c) => new Applied(c.Id, PartitionWriter.Apply(p, c.Ops))));
        Receive<ApplyOne>(cmd => Write(cmd.Id, cmd, static (p, c) => new AppliedOne(c.Id, PartitionWriter.ApplyOne(p, c.Op))));
        Receive<Atomic>(cmd => Write(cmd.Id, cmd, static (p, c) => new AtomicDone(c.Id, c.Update(p))));
        Receive<WriterProtocol.Merge>(m =>
        {
            foreach (var item in m.Items)
                _partition.Merge(item);
            if (m.ResetVersion != 0)
                _partition.MergeReset(m.ResetVersion);
        });
        Receive<WriterProtocol.Clear>(_ => _partition.Clear());
        Receive<WriterProtocol.DropMarkers>(d => _partition.DropMarkersBefore(d.Version));
        // A row of another partition or contents staged for another table are the loader's error:
        // it gets the reason (rows before a bad one stay stored; a refused swap changes nothing).
        Receive<Load>(l =>
        {
            try
            {
                Sender.Tell(new Loaded(l.Id, _partition.Load(l.Rows)));
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                Sender.Tell(new Loaded(l.Id, 0, ex.Message));
            }
        });
        Receive<Swap>(w =>
        {
            try
            {
                Sender.Tell(new Swapped(w.Id, _partition.Swap(w.Contents)));
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                Sender.Tell(new Swapped(w.Id, 0, ex.Message));
            }
        });
        Receive<WriterProtocol.Barrier>(b => Sender.Tell(new WriterProtocol.BarrierPassed(b.Id)));
        Receive<WriterProtocol.WriterAttached>(_ => _replicator = Sender);
        Receive<WriterProtocol.Confirmed>(c =>
        {
            if (!_awaitingPeers.Remove(c.ConfirmId, out var w))
                return;
            w.ReplyTo.Tell(c.Error is null ? w.Reply : new WriteFailed(w.WriteId, new WriteConcernException(c.Error)));
        });
        Receive<Sweep>(_ => _events.OnExpired(_partition.Table, _partition.CollectExpired(_partition.Table.Clock.NowMs)));
        SweepInterval = sweepInterval;
    }

    private TimeSpan SweepInterval { get; }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("sweep", Sweep.Instance, SweepInterval);
        // The table's replicator answers with WriterAttached; until then changes go through the
        // replication actor, which routes them to it.
        _replication?.Tell(new WriterProtocol.WriterReady(_partition.Table.Name, _partition.Index));
    }

    /// <inheritdoc />
    protected override void PreRestart(Exception reason, object message)
    {
        Context.GetLogger().Error(reason, "Table {Table} partition {Partition} restarted after {Message}", _partition.Table.Name, _partition.Index, message.GetType().Name);
        // What was applied before the failure is still replicated (the failed write itself was
        // answered by its handler).
        Publish();
        // The new instance cannot match the peers' confirmations to these writes any more.
        foreach (var w in _awaitingPeers.Values)
            w.ReplyTo.Tell(new WriteFailed(w.WriteId, new WriteConcernException("applied on this node; its writer restarted before the peers confirmed it (write concern)")));
        _awaitingPeers.Clear();
        base.PreRestart(reason, message);
    }

    // Changes go to replication before the writer is answered, so an acknowledged write is already
    // on its way to the peers; with a write concern the answer waits for the peers.
    private void Publish()
    {
        // Drained even without a replication actor, so recorded changes never pile up.
        if (_partition.TakeChanges() is { } c)
            _replicator?.Tell(new WriterProtocol.Changed(_partition.Table.Name, c.Items, c.ResetVersion));
    }

    // A write that throws is answered with WriteFailed, then the writer restarts (PreRestart).
    // The lambdas are static: no allocation per write for the call itself.
    private void Write<TCommand>(long writeId, TCommand command, Func<TablePartition, TCommand, object> apply)
    {
        object reply;
        try
        {
            reply = apply(_partition, command);
        }
        catch (Exception ex)
        {
            Sender.Tell(new WriteFailed(writeId, ex));
            throw;
        }
        Reply(writeId, reply);
    }

    private void Reply(long writeId, object reply)
    {
        if (!_writeConcern || _partition.TakeChanges() is not { } c)
        {
            Publish();
            Sender.Tell(reply);
            return;
        }
        var id = ++_confirmIds;
        _awaitingPeers[id] = (Sender, writeId, reply);
        _replicator!.Tell(new WriterProtocol.Changed(_partition.Table.Name, c.Items, c.ResetVersion, id));
    }

    /// <summary>Props for a partition.</summary>
    public static Props Props(TablePartition partition, TimeSpan sweepInterval, TableEvents events, IActorRef? replication = null, bool writeConcern = false) =>
        Akka.Actor.Props.Create(() => new TableActor(partition, sweepInterval, events, replication, writeConcern));
}
