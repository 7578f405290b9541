using System.Collections.Concurrent;

namespace HTableCluster.Replication;

/// <summary>
/// What the replication layer of a node has done, for readiness, metrics and <c>cluster.members</c>:
/// counters, and per replicated table its sync state and what it applied from each peer
/// (<see cref="Tables"/>). Written by the replication actors, read from any thread.
/// </summary>
public sealed class ReplicationStatus
{
    private readonly ConcurrentDictionary<string, TableReplicationStatus> _tables = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _batchesSent;
    private long _batchesReceived;
    private long _itemsSent;
    private long _itemsReceived;
    private long _itemsApplied;
    private long _gapsDetected;
    private long _batchesResent;
    private long _resendsGone;
    private long _syncsCompleted;
    private long _syncItems;
    private long _catchUpItems;
    private long _markerFloorMs;
    private long _digestRounds;
    private long _digestBytes;
    private long _digestBucketsDiffering;
    private long _digestItemsReceived;
    private long _digestItemsSent;
    private long _mismatched;
    private long _malformed;
    private long _oversized;

    /// <summary>True once the initial sync of every replicated table is done (or not needed).</summary>
    public bool IsReady => _ready.Task.IsCompleted;

    /// <summary>Completes when <see cref="IsReady"/> becomes true.</summary>
    public Task Ready => _ready.Task;

    /// <summary>Every replicated table, by name.</summary>
    public IReadOnlyList<TableReplicationStatus> Tables => [.. _tables.Values.OrderBy(t => t.Name, StringComparer.Ordinal)];

    /// <summary>Live batches published.</summary>
    public long BatchesSent => Interlocked.Read(ref _batchesSent);

    /// <summary>Batches received from peers (live and resent).</summary>
    public long BatchesReceived => Interlocked.Read(ref _batchesReceived);

    /// <summary>Items published.</summary>
    public long ItemsSent => Interlocked.Read(ref _itemsSent);

    /// <summary>Items received from peers.</summary>
    public long ItemsReceived => Interlocked.Read(ref _itemsReceived);

    /// <summary>Received items handed to the table writers (new batches, not duplicates).</summary>
    public long ItemsApplied => Interlocked.Read(ref _itemsApplied);

    /// <summary>Missing batch ranges noticed (each leads to a re-request).</summary>
    public long GapsDetected => Interlocked.Read(ref _gapsDetected);

    /// <summary>Batches sent again on a peer's request.</summary>
    public long BatchesResent => Interlocked.Read(ref _batchesResent);

    /// <summary>Re-requests the origin could no longer serve (repaired by a snapshot from that origin).</summary>
    public long ResendsGone => Interlocked.Read(ref _resendsGone);

    /// <summary>Snapshots taken from peers (initial, repair and requested).</summary>
    public long SyncsCompleted => Interlocked.Read(ref _syncsCompleted);

    /// <summary>Items received in snapshots.</summary>
    public long SyncItems => Interlocked.Read(ref _syncItems);

    /// <summary>Items received from origins first met without init sync (their writes since this node joined).</summary>
    public long CatchUpItems => Interlocked.Read(ref _catchUpItems);

    /// <summary>
    /// Unix ms before which every member has seen every table's changes, as last applied (deletion
    /// markers older than it are dropped before their grace period ends); 0 until known.
    /// </summary>
    public long MarkerFloorMs => Interlocked.Read(ref _markerFloorMs);

    /// <summary>Anti-entropy rounds this node started.</summary>
    public long DigestRounds => Interlocked.Read(ref _digestRounds);

    /// <summary>Bytes of digests, cell lists and items this node sent for anti-entropy.</summary>
    public long DigestBytesSent => Interlocked.Read(ref _digestBytes);

    /// <summary>Buckets found to differ in this node's rounds.</summary>
    public long DigestBucketsDiffering => Interlocked.Read(ref _digestBucketsDiffering);

    /// <summary>Items received in anti-entropy exchanges.</summary>
    public long DigestItemsReceived => Interlocked.Read(ref _digestItemsReceived);

    /// <summary>Items sent in anti-entropy exchanges.</summary>
    public long DigestItemsSent => Interlocked.Read(ref _digestItemsSent);

    /// <summary>Batches ignored because the sender defines the table differently.</summary>
    public long Mismatched => Interlocked.Read(ref _mismatched);

    /// <summary>Received items that were not well-formed item buffers (dropped).</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Local items too large to replicate (kept on this node only).</summary>
    public long OversizedItems => Interlocked.Read(ref _oversized);

    /// <summary>The status of table <paramref name="name"/>, created when first asked for.</summary>
    internal TableReplicationStatus Table(string name) => _tables.GetOrAdd(name, n => new TableReplicationStatus(n));

    internal void Oversized() => Interlocked.Increment(ref _oversized);

    internal void MarkReady() => _ready.TrySetResult();

    internal void Sent(int items)
    {
        Interlocked.Increment(ref _batchesSent);
        Interlocked.Add(ref _itemsSent, items);
    }

    internal void Received(int items, bool applied)
    {
        Interlocked.Increment(ref _batchesReceived);
        Interlocked.Add(ref _itemsReceived, items);
        if (applied)
            Interlocked.Add(ref _itemsApplied, items);
    }

    internal void Gap() => Interlocked.Increment(ref _gapsDetected);

    internal void Resent(int batches) => Interlocked.Add(ref _batchesResent, batches);

    internal void Gone() => Interlocked.Increment(ref _resendsGone);

    internal void SyncDone() => Interlocked.Increment(ref _syncsCompleted);

    internal void SyncReceived(int items) => Interlocked.Add(ref _syncItems, items);

    internal void MarkerFloor(long ms) => Interlocked.Exchange(ref _markerFloorMs, ms);

    internal void CatchUpReceived(int items) => Interlocked.Add(ref _catchUpItems, items);

    internal void DigestRound(long bytes)
    {
        Interlocked.Increment(ref _digestRounds);
        DigestBytes(bytes);
    }

    internal void DigestBytes(long bytes) => Interlocked.Add(ref _digestBytes, bytes);

    internal void DigestBucketsDiffer(int buckets) => Interlocked.Add(ref _digestBucketsDiffering, buckets);

    internal void DigestReceived(int items) => Interlocked.Add(ref _digestItemsReceived, items);

    internal void DigestSent(int items) => Interlocked.Add(ref _digestItemsSent, items);

    internal void Mismatch() => Interlocked.Increment(ref _mismatched);

    internal void MalformedItem() => Interlocked.Increment(ref _malformed);
}
