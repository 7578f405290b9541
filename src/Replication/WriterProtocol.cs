namespace HTableCluster.Replication;

/// <summary>
/// The contract between a partition's single writer (the node's table actor) and the layers that
/// feed it: the replication layer merges peers' items, clears a copy for a resync and waits on a
/// barrier; the writer hands its local changes over and gets write-concern confirmations back.
/// Replies are correlated by id; no message carries a callback.
/// </summary>
public static class WriterProtocol
{
    /// <summary>
    /// Sent by a writer of a replicated table to the replication actor when it starts (again after
    /// a restart); answered by the table's replicator with <see cref="WriterAttached"/>.
    /// </summary>
    public sealed record WriterReady(string Table, int Partition) : ReplicationProtocol.ITableMessage;

    /// <summary>The sender is the table's replicator: the writer sends its <see cref="Changed"/> there from now on.</summary>
    public sealed class WriterAttached
    {
        /// <summary>The instance.</summary>
        public static readonly WriterAttached Instance = new();

        private WriterAttached()
        {
        }
    }

    /// <summary>
    /// Local changes of one partition (from its writer, after applying them). A <see cref="ConfirmId"/>
    /// other than 0 asks for <see cref="Confirmed"/> once enough peers applied them (write concern).
    /// </summary>
    public sealed record Changed(string Table, IReadOnlyList<byte[]> Items, long ResetVersion, long ConfirmId = 0) : ReplicationProtocol.ITableMessage;

    /// <summary>Reply to a <see cref="Changed"/> with a confirm id: <see cref="Error"/> is null when enough peers applied it in time.</summary>
    public sealed record Confirmed(long ConfirmId, string? Error);

    /// <summary>Items from peers for one partition writer to merge (last writer wins), and a reset version (0: none).</summary>
    public sealed record Merge(string Table, IReadOnlyList<byte[]> Items, long ResetVersion);

    /// <summary>Drop everything the partition holds, recording nothing for replication (a resync refills it).</summary>
    public sealed record Clear(string Table);

    /// <summary>Drop the deletion markers stamped before <paramref name="Version"/>: every member has seen what preceded them.</summary>
    public sealed record DropMarkers(string Table, long Version);

    /// <summary>Answered with <see cref="BarrierPassed"/> once everything sent to the writer before it is applied.</summary>
    public sealed record Barrier(long Id);

    /// <summary>Reply to <see cref="Barrier"/>.</summary>
    public sealed record BarrierPassed(long Id);
}
