using Akka.Actor;
using static HTableCluster.Replication.ReplicationProtocol;

namespace HTableCluster.Replication;

/// <summary>
/// What code outside the actor system asks of the replication layer (the RPC methods
/// <c>htable.dmqsync</c> and <c>htable.dmqresync</c>). One client per actor system; the node
/// hands out a new one when the actor system is rebuilt.
/// </summary>
public sealed class ReplicationClient(IActorRef replication)
{
    /// <summary>
    /// Takes a snapshot of <paramref name="table"/> (every replicated table when null) from a ready
    /// peer and merges it; with <paramref name="replace"/> drops this node's copy first. Null on
    /// success (also when no peer is up for a plain sync, or the table does not replicate),
    /// otherwise the reason it failed; a <see cref="TimeoutException"/> after <paramref name="timeout"/>.
    /// </summary>
    public async Task<string?> SyncAsync(string? table, bool replace, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        try
        {
            var result = await replication.Ask<SyncResult>(new SyncCommand(table, replace), timeout, cancellationToken).ConfigureAwait(false);
            return result.Error;
        }
        catch (AskTimeoutException ex)
        {
            throw new TimeoutException($"no answer from the replication layer within {timeout}", ex);
        }
    }
}
