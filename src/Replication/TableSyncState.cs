namespace HTableCluster.Replication;

/// <summary>Where a replicated table stands with its peers' content, as <c>cluster.members</c> shows it.</summary>
public enum TableSyncState
{
    /// <summary>
    /// The initial snapshot has not started yet (writers starting, not yet an Up member, or waiting
    /// for a ready peer), or the Up peers' publications do not reach this node yet (the pub-sub
    /// handshake of a joining node).
    /// </summary>
    Waiting = 0,

    /// <summary>A snapshot is being taken from a peer (at join, for repair, <c>htable.dmqsync</c>/<c>dmqresync</c>).</summary>
    Syncing = 1,

    /// <summary>In sync: live batches keep it current.</summary>
    Synced = 2,
}
