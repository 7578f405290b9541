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
    private readonly Dictionary<long, Action<string?>> _awaitingPeers = [];
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
        Receive<Apply>(cmd =>
        {
            var results = PartitionWriter.Apply(_partition, cmd.Ops);
            Publish(cmd.Reply, results);
        });
        Receive<ApplyOne>(cmd =>
        {
            var result = PartitionWriter.ApplyOne(_partition, cmd.Op);
            Publish(cmd.Reply, result);
        });
        Receive<Atomic>(cmd =>
        {
            var result = cmd.Update(_partition);
            Publish(cmd.Reply, result);
        });
        Receive<WriterProtocol.Merge>(m =>
        {
            foreach (var item in m.Items)
                _partition.Merge(item);
            if (m.ResetVersion != 0)
                _partition.MergeReset(m.ResetVersion);
        });
        Receive<WriterProtocol.Clear>(_ => _partition.Clear());
        // A row of another partition or contents staged for another table are the loader's error:
        // it gets the reason (rows before a bad one stay stored; a refused swap changes nothing).
        Receive<WriterProtocol.Load>(l =>
        {
            try
            {
                Sender.Tell(new WriterProtocol.Loaded(l.Id, _partition.Load(l.Rows)));
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                Sender.Tell(new WriterProtocol.Loaded(l.Id, 0, ex.Message));
            }
        });
        Receive<WriterProtocol.Swap>(w =>
        {
            try
            {
                Sender.Tell(new WriterProtocol.Swapped(w.Id, _partition.Swap(w.Contents)));
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                Sender.Tell(new WriterProtocol.Swapped(w.Id, 0, ex.Message));
            }
        });
        Receive<WriterProtocol.Barrier>(b => Sender.Tell(new WriterProtocol.BarrierPassed(b.Id)));
        Receive<WriterProtocol.WriterAttached>(_ => _replicator = Sender);
        Receive<WriterProtocol.Confirmed>(c =>
        {
            if (_awaitingPeers.Remove(c.ConfirmId, out var answer))
                answer(c.Error);
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
        // What was applied before the failure is still replicated.
        Publish();
        if (message is Apply a)
            a.Reply.TrySetException(reason);
        else if (message is ApplyOne one)
            one.Reply.TrySetException(reason);
        else if (message is Atomic at)
            at.Reply.TrySetException(reason);
        // The new instance cannot match the peers' confirmations to these writes any more.
        foreach (var answer in _awaitingPeers.Values)
            answer("applied on this node; its writer restarted before the peers confirmed it (write concern)");
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

    private void Publish<T>(TaskCompletionSource<T> reply, T result)
    {
        if (!_writeConcern || _partition.TakeChanges() is not { } c)
        {
            Publish();
            reply.TrySetResult(result);
            return;
        }
        var id = ++_confirmIds;
        _awaitingPeers[id] = error =>
        {
            if (error is null)
                reply.TrySetResult(result);
            else
                reply.TrySetException(new WriteConcernException(error));
        };
        _replicator!.Tell(new WriterProtocol.Changed(_partition.Table.Name, c.Items, c.ResetVersion, id));
    }

    /// <summary>Props for a partition.</summary>
    public static Props Props(TablePartition partition, TimeSpan sweepInterval, TableEvents events, IActorRef? replication = null, bool writeConcern = false) =>
        Akka.Actor.Props.Create(() => new TableActor(partition, sweepInterval, events, replication, writeConcern));
}
