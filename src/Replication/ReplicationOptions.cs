namespace HTableCluster.Replication;

/// <summary>
/// Replication settings of one node (configuration section <c>Replication</c>; <c>enable_dmq</c> and
/// <c>dmq_init_sync</c> come from the <c>Htable</c> section under their Kamailio names).
/// </summary>
public sealed record ReplicationOptions
{
    /// <summary>This node's id (stamped on everything it publishes).</summary>
    public string NodeId { get; set; } = "";

    /// <summary>Take a snapshot of every replicated table from a ready peer at join (default true).</summary>
    public bool InitSync { get; set; } = true;

    /// <summary>Largest live batch in item bytes; a batch is published when full or when the writers go idle (default 256 KiB).</summary>
    public int MaxBatchBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// Write concern: a write to a replicated table is answered once this many peers (at most the
    /// peers there are) have applied it; 0 (default) answers once applied here.
    /// </summary>
    public int WriteConcern { get; set; }

    /// <summary>How long a write waits for its write concern before it is answered with an error (it stays applied here).</summary>
    public TimeSpan WriteConcernTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest item replicated (an item beyond it would not fit a remote frame; it stays local, counted and logged).</summary>
    public int MaxItemBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>Published batches kept per table for peers that missed some, in item bytes (default 16 MiB).</summary>
    public long RetransmitBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>How often each node announces the last batch number of each table, so a peer that missed the tail notices (default 1 s).</summary>
    public TimeSpan HeadsInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a sync waits for the next chunk from a donor before trying another one (default 10 s).</summary>
    public TimeSpan SyncTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Publish the items of each replicated table once the initial sync is done (set when the node
    /// rejoins after being downed: what it wrote while cut off reaches the others). The node then
    /// takes a snapshot even with <see cref="InitSync"/> off.
    /// </summary>
    public bool RepublishOnStart { get; set; }

    /// <summary>With <see cref="RepublishOnStart"/>: only items stamped at or after this Unix time (ms) are published again (0: all).</summary>
    public long RepublishSinceMs { get; set; }

    /// <summary>Publish even with no other member (tests observe publications through a probe).</summary>
    internal bool PublishWhenAlone { get; init; }

    /// <summary>How long deletion markers are kept; a node away longer resyncs (default 5 minutes).</summary>
    public TimeSpan TombstoneGrace { get; set; } = Storage.HTable.DefaultTombstoneGrace;
}
