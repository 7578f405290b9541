using Akka.Actor;
using Akka.Event;
using HTableCluster.Storage;
using static HTableCluster.Node.Tables.TableProtocol;

namespace HTableCluster.Node.Tables;

/// <summary>
/// The single writer of one table partition. Applies every mutation in arrival order and sweeps
/// expired items every timer interval; reads never pass through here.
/// </summary>
public sealed class TableActor : ReceiveActor, IWithTimers
{
    private readonly TablePartition _partition;
    private readonly TableEvents _events;

    /// <summary>Creates the actor.</summary>
    public TableActor(TablePartition partition, TimeSpan sweepInterval, TableEvents events)
    {
        _partition = partition;
        _events = events;
        Receive<Apply>(cmd => cmd.Reply.TrySetResult(PartitionWriter.Apply(_partition, cmd.Ops)));
        Receive<Atomic>(cmd => cmd.Reply.TrySetResult(cmd.Update(_partition)));
        Receive<Sweep>(_ => _events.OnExpired(_partition.Table, _partition.CollectExpired(_partition.Table.Clock.NowMs)));
        SweepInterval = sweepInterval;
    }

    private TimeSpan SweepInterval { get; }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart() => Timers.StartPeriodicTimer("sweep", Sweep.Instance, SweepInterval);

    /// <inheritdoc />
    protected override void PreRestart(Exception reason, object message)
    {
        Context.GetLogger().Error(reason, "Table {Table} partition {Partition} restarted after {Message}", _partition.Table.Name, _partition.Index, message.GetType().Name);
        if (message is Apply a)
            a.Reply.TrySetException(reason);
        else if (message is Atomic at)
            at.Reply.TrySetException(reason);
        base.PreRestart(reason, message);
    }

    /// <summary>Props for a partition.</summary>
    public static Props Props(TablePartition partition, TimeSpan sweepInterval, TableEvents events) =>
        Akka.Actor.Props.Create(() => new TableActor(partition, sweepInterval, events));
}
