namespace HTableCluster.Replication;

/// <summary>
/// What the node decides for each start of its replication layer (not configuration keys of their
/// own): its id, whether it takes snapshots at join (<c>Htable:DmqInitSync</c>), the largest item a
/// remote frame carries (from the RPC limits), and, after a downing, what to publish again.
/// </summary>
public sealed record ReplicaStart
{
    /// <summary>This node's id (stamped on everything it publishes).</summary>
    public required string NodeId { get; init; }

    /// <summary>Take a snapshot of every replicated table from a ready peer at join (dmq_init_sync, default true).</summary>
    public bool InitSync { get; init; } = true;

    /// <summary>Largest item replicated (an item beyond it would not fit a remote frame; it stays local, counted and logged).</summary>
    public int MaxItemBytes { get; init; } = 2 * 1024 * 1024;

    /// <summary>
    /// Publish the items of each replicated table once the initial sync is done (set when the node
    /// rejoins after being downed: what it wrote while cut off reaches the others). The node then
    /// takes a snapshot even with <see cref="InitSync"/> off.
    /// </summary>
    public bool RepublishOnStart { get; init; }

    /// <summary>With <see cref="RepublishOnStart"/>: only items stamped at or after this Unix time (ms) are published again (0: all).</summary>
    public long RepublishSinceMs { get; init; }

    /// <summary>
    /// Given a peer's node id, what to call with the lag (seconds) of every batch applied from it:
    /// asked once per peer and table, then called once per batch (metrics; null: none).
    /// </summary>
    public Func<string, Action<double>>? LagObserver { get; init; }

    /// <summary>Publish even with no other member (tests observe publications through a probe).</summary>
    internal bool PublishWhenAlone { get; init; }
}
