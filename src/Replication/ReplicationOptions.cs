namespace HTableCluster.Replication;

/// <summary>
/// Replication tuning, bound as it is from the configuration section <c>Replication</c> (keys
/// <c>Replication:MaxBatchBytes</c> and so on; the node validates the ranges). What the node
/// derives itself for each start is <see cref="ReplicaStart"/>.
/// </summary>
public sealed record ReplicationOptions
{
    /// <summary>Largest live batch in item bytes; a batch is published when full or when the writers go idle (default 262144).</summary>
    public int MaxBatchBytes { get; set; } = 256 * 1024;

    /// <summary>Published batches kept per table for peers that missed some, in MiB (default 16).</summary>
    public int RetransmitMiB { get; set; } = 16;

    /// <summary>Milliseconds between announcements of each table's last batch number, so a peer that missed the tail notices (default 1000).</summary>
    public int HeadsIntervalMs { get; set; } = 1000;

    /// <summary>Seconds a sync waits for a donor's next chunk before trying another donor (default 10).</summary>
    public int SyncTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// Write concern: a write to a replicated table is answered once this many peers (at most the
    /// peers there are) have applied it; 0 (default) answers once applied here.
    /// </summary>
    public int WriteConcern { get; set; }

    /// <summary>Milliseconds a write waits for its write concern before it is answered with an error; it stays applied here (default 5000).</summary>
    public int WriteConcernTimeoutMs { get; set; } = 5000;

    /// <summary>
    /// Seconds between anti-entropy rounds: each node compares digests of every replicated table with
    /// the next peer and exchanges only the cells that differ (0 = only after a heal and beyond the
    /// retransmit buffer).
    /// </summary>
    public int AntiEntropySeconds { get; set; } = 30;

    /// <summary>Seconds deletion markers of replicated tables are kept; a node away longer resyncs (default 300).</summary>
    public int TombstoneGraceSeconds { get; set; } = (int)Storage.HTable.DefaultTombstoneGrace.TotalSeconds;

    /// <summary><see cref="RetransmitMiB"/> in bytes.</summary>
    internal long RetransmitBytes => RetransmitBytesOverride ?? RetransmitMiB * 1024L * 1024;

    /// <summary><see cref="HeadsIntervalMs"/>.</summary>
    internal TimeSpan HeadsInterval => TimeSpan.FromMilliseconds(HeadsIntervalMs);

    /// <summary><see cref="SyncTimeoutSeconds"/>.</summary>
    internal TimeSpan SyncTimeout => TimeSpan.FromSeconds(SyncTimeoutSeconds);

    /// <summary><see cref="WriteConcernTimeoutMs"/>.</summary>
    internal TimeSpan WriteConcernTimeout => TimeSpan.FromMilliseconds(WriteConcernTimeoutMs);

    /// <summary><see cref="TombstoneGraceSeconds"/>.</summary>
    internal TimeSpan AntiEntropyInterval => TimeSpan.FromSeconds(AntiEntropySeconds);

    internal TimeSpan TombstoneGrace => TimeSpan.FromSeconds(TombstoneGraceSeconds);

    /// <summary>A retransmit buffer smaller than a MiB (tests fill it with a few batches).</summary>
    internal long? RetransmitBytesOverride { get; init; }
}
