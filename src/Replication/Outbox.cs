namespace HTableCluster.Replication;

/// <summary>
/// A table's local changes waiting to be published, and the writes waiting on them for a write
/// concern. <see cref="TakeBatches"/> cuts them into batches under the byte limit (an item alone
/// may fill a batch; a reset version travels in the first one).
/// </summary>
/// <typeparam name="TWaiter">Who waits for a write concern (a writer and its confirm id).</typeparam>
public sealed class Outbox<TWaiter>(int maxBatchBytes, int maxItemBytes)
{
    private List<byte[]> _items = [];
    private long _bytes;
    private long _resetVersion;
    private List<TWaiter> _waiters = [];

    /// <summary>True when neither items nor a reset wait.</summary>
    public bool IsEmpty => _items.Count == 0 && _resetVersion == 0;

    /// <summary>True once the waiting items fill a batch.</summary>
    public bool IsFull => _bytes >= maxBatchBytes;

    /// <summary>True when some write waits for a write concern.</summary>
    public bool HasWaiters => _waiters.Count > 0;

    /// <summary>
    /// Adds changes (and a reset version, 0 for none). Items larger than a remote frame can carry
    /// are not taken; their sizes are returned, for the caller to count and log.
    /// </summary>
    public IReadOnlyList<int> Add(IReadOnlyList<byte[]> items, long resetVersion)
    {
        ArgumentNullException.ThrowIfNull(items);
        List<int>? oversized = null;
        foreach (var item in items)
        {
            if (item.Length > maxItemBytes)
            {
                (oversized ??= []).Add(item.Length);
                continue;
            }
            _items.Add(item);
            _bytes += item.Length + TableItems.ItemFraming;
        }
        _resetVersion = Math.Max(_resetVersion, resetVersion);
        return (IReadOnlyList<int>?)oversized ?? [];
    }

    /// <summary>A write that waits until the changes added so far are confirmed by peers.</summary>
    public void AddWaiter(TWaiter waiter) => _waiters.Add(waiter);

    /// <summary>The waiting changes as batches (items, reset version), emptying the outbox of them.</summary>
    public List<(List<byte[]> Items, long ResetVersion)> TakeBatches()
    {
        var batches = new List<(List<byte[]>, long)>();
        foreach (var items in TableItems.Split(_items, maxBatchBytes))
        {
            batches.Add((items, _resetVersion));
            _resetVersion = 0;
        }
        if (_resetVersion != 0)
            batches.Add(([], _resetVersion));
        _resetVersion = 0;
        _items = [];
        _bytes = 0;
        return batches;
    }

    /// <summary>The writes waiting for a write concern, emptying the outbox of them.</summary>
    public List<TWaiter> TakeWaiters()
    {
        var w = _waiters;
        _waiters = [];
        return w;
    }
}
