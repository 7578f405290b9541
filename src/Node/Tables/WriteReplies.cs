using System.Collections.Concurrent;
using Akka.Actor;
using static HTableCluster.Node.Tables.TableProtocol;

namespace HTableCluster.Node.Tables;

/// <summary>
/// Where a table's partition writers send their replies (the sender of every write a
/// <see cref="TableClient"/> sends): a reply is matched to the waiting caller by its id. Replies are
/// told on the writer's thread, so a caller that asked for inline completion continues there.
/// </summary>
internal sealed class WriteReplies(IActorRefProvider provider) : MinimalActorRef
{
    private readonly ConcurrentDictionary<long, IPendingWrite> _pending = new();
    private readonly ActorPath _path = provider.TempPath();
    private long _ids;

    /// <inheritdoc />
    public override ActorPath Path => _path;

    /// <inheritdoc />
    public override IActorRefProvider Provider => provider;

    /// <summary>Writes waiting for their reply.</summary>
    public int Pending => _pending.Count;

    /// <summary>Registers a caller; returns the id to send with the write and the task its reply completes.</summary>
    public (long Id, Task<T> Reply) Expect<T>(bool completeInline)
    {
        var id = Interlocked.Increment(ref _ids);
        var pending = new PendingWrite<T>(completeInline ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = pending;
        return (id, pending.Task);
    }

    /// <summary>Fails every caller still waiting (the writers are gone with their actor system).</summary>
    public void FailAll(Exception error)
    {
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var p))
                p.Fail(error);
        }
    }

    /// <inheritdoc />
    protected override void TellInternal(object message, IActorRef sender)
    {
        switch (message)
        {
            case AppliedOne one:
                Complete(one.Id, one.Result);
                break;
            case Applied many:
                Complete(many.Id, many.Results);
                break;
            case AtomicDone done:
                Complete(done.Id, done.Result);
                break;
            case Loaded loaded:
                Complete(loaded.Id, loaded);
                break;
            case Swapped swapped:
                Complete(swapped.Id, swapped);
                break;
            case WriteFailed failed when _pending.TryRemove(failed.Id, out var p):
                p.Fail(failed.Error);
                break;
        }
    }

    private void Complete<T>(long id, T result)
    {
        if (_pending.TryRemove(id, out var p))
            ((PendingWrite<T>)p).TrySetResult(result);
    }

    private interface IPendingWrite
    {
        void Fail(Exception error);
    }

    private sealed class PendingWrite<T>(TaskCreationOptions options) : TaskCompletionSource<T>(options), IPendingWrite
    {
        public void Fail(Exception error) => TrySetException(error);
    }
}
