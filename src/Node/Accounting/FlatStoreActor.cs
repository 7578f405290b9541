using Akka.Actor;
using HTableCluster.FlatStore;

namespace HTableCluster.Node.Accounting;

/// <summary>
/// The flatstore actor of one accounting table on this node: hands each block of records to the
/// table's file writer (owned by the process, <see cref="FlatStoreFiles"/>) in arrival order and
/// completes the caller's task when the writer has written it. It never waits for the disk itself,
/// so nothing it does can hold up a table writer or another table's records.
/// </summary>
internal sealed class FlatStoreActor : ReceiveActor
{
    public FlatStoreActor(FlatLogWriter writer)
    {
        Receive<Insert>(m => Complete(writer.AppendAsync(m.Rows), m.Done));
        Receive<Drain>(_ => Sender.Tell(Drained.Instance));
    }

    public static Props Props(FlatLogWriter writer) => Akka.Actor.Props.Create(() => new FlatStoreActor(writer));

    private static void Complete(Task written, TaskCompletionSource done)
    {
        if (written.IsCompletedSuccessfully)
            done.TrySetResult();
        else
            _ = written.ContinueWith(static (t, state) => Relay(t, (TaskCompletionSource)state!), done, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private static void Relay(Task written, TaskCompletionSource done)
    {
        if (written.IsCompletedSuccessfully)
            done.TrySetResult();
        else
            done.TrySetException(written.Exception?.InnerExceptions ?? [new TaskCanceledException()]);
    }

    /// <summary>Records to append (formatted by the writer); <see cref="Done"/> completes when they are written.</summary>
    internal sealed record Insert(IReadOnlyCollection<IReadOnlyList<string?>> Rows, TaskCompletionSource Done);

    /// <summary>Answered with <see cref="Drained"/> once every earlier insert was handed to the writer.</summary>
    internal sealed record Drain
    {
        public static readonly Drain Instance = new();
    }

    internal sealed record Drained
    {
        public static readonly Drained Instance = new();
    }
}
