using static HTableCluster.Replication.ReplicationProtocol;

namespace HTableCluster.Replication;

/// <summary>
/// The last batches an origin published for one table, bounded in item bytes, so a peer that
/// missed some can ask for them again. The items are the stored buffers themselves (immutable), so
/// the buffer costs only what the table has since replaced.
/// </summary>
public sealed class RetransmitBuffer(long capacityBytes)
{
    private readonly Queue<Batch> _batches = new();
    private long _bytes;

    /// <summary>Oldest batch number still held (0 when empty).</summary>
    public long OldestSeq => _batches.Count > 0 ? _batches.Peek().Seq : 0;

    /// <summary>Item bytes held.</summary>
    public long Bytes => _bytes;

    /// <summary>Adds the newest batch, dropping the oldest ones beyond the capacity (the newest always stays).</summary>
    public void Add(Batch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        _batches.Enqueue(batch);
        _bytes += SizeOf(batch);
        while (_bytes > capacityBytes && _batches.Count > 1)
            _bytes -= SizeOf(_batches.Dequeue());
    }

    /// <summary>
    /// The held batches numbered <paramref name="from"/>..<paramref name="to"/>; null when
    /// <paramref name="from"/> is no longer held.
    /// </summary>
    public List<Batch>? Range(long from, long to)
    {
        if (_batches.Count == 0 || from < OldestSeq)
            return null;
        var found = new List<Batch>();
        foreach (var b in _batches)
        {
            if (b.Seq > to)
                break;
            if (b.Seq >= from)
                found.Add(b);
        }
        return found;
    }

    /// <summary>Item bytes of a batch.</summary>
    public static long SizeOf(Batch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        long n = 0;
        foreach (var item in batch.Items)
            n += item.Length;
        return n;
    }
}
