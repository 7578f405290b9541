namespace HTableCluster.Storage;

/// <summary>
/// Open-addressing hash map of item buffers (see <see cref="Entry"/>) with one writer and any number
/// of concurrent readers. Buffers are immutable once published, so a reader sees either the old or
/// the new reference in a slot. Deletes leave a tombstone; growth and tombstone clean-up build a new
/// array and publish it with one volatile write, so readers holding the old array still see a
/// consistent table. With <c>kamailioSlots</c> the map also keeps, per Kamailio slot, how many
/// items it holds (deletion markers aside) and how many of them carry an expiry, so
/// <c>htable.stats</c> reads counters instead of walking the items (as Kamailio keeps its slots'
/// sizes).
/// </summary>
internal sealed class PartitionMap(int kamailioSlots = 0)
{
    /// <summary>Largest Kamailio slot count for which maps keep per-slot counts (64 KiB per map).</summary>
    public const int MaxCountedSlots = 1 << 14;

    private static readonly byte[] Tombstone = new byte[ItemBuffer.HeaderSize];
    private const int MinCapacity = 16;

    private byte[]?[] _slots = new byte[]?[MinCapacity];
    private int _count;
    private int _tombstones;
    private readonly int[]? _perSlot = kamailioSlots is > 0 and <= MaxCountedSlots ? new int[kamailioSlots] : null;
    private int _expiring;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Items per Kamailio slot, deletion markers aside (null when the map does not count them).</summary>
    public int[]? PerSlot => _perSlot;

    /// <summary>Items counted in <see cref="PerSlot"/> that carry an expiry.</summary>
    public int Expiring => Volatile.Read(ref _expiring);

    private void Counted(byte[] item, int delta)
    {
        if (_perSlot is null || ItemBuffer.IsTombstone(item))
            return;
        var slot = KamailioHash.SlotOf(ItemBuffer.KeyOf(item), _perSlot.Length);
        Volatile.Write(ref _perSlot[slot], _perSlot[slot] + delta);
        if (ItemBuffer.ExpiresAtMsOf(item) != 0)
            Volatile.Write(ref _expiring, _expiring + delta);
    }

    public byte[]? Find(int hash, ReadOnlySpan<byte> key)
    {
        var slots = Volatile.Read(ref _slots);
        var mask = slots.Length - 1;
        var i = hash & mask;
        for (var probes = 0; probes < slots.Length; probes++)
        {
            var e = Volatile.Read(ref slots[i]);
            if (e is null)
                return null;
            if (!ReferenceEquals(e, Tombstone) && ItemBuffer.KeyEquals(e, key))
                return e;
            i = (i + 1) & mask;
        }
        return null;
    }

    /// <summary>Writer only. Inserts or replaces the item with the same key; returns the replaced buffer.</summary>
    public byte[]? Put(int hash, byte[] item)
    {
        var slots = _slots;
        var mask = slots.Length - 1;
        var key = ItemBuffer.KeyOf(item);
        var i = hash & mask;
        var firstFree = -1;
        for (var probes = 0; probes < slots.Length; probes++)
        {
            var e = slots[i];
            if (e is null)
            {
                if (firstFree < 0)
                    firstFree = i;
                break;
            }
            if (ReferenceEquals(e, Tombstone))
            {
                if (firstFree < 0)
                    firstFree = i;
            }
            else if (ItemBuffer.KeyEquals(e, key))
            {
                Volatile.Write(ref slots[i], item);
                Counted(e, -1);
                Counted(item, 1);
                return e;
            }
            i = (i + 1) & mask;
        }

        if (ReferenceEquals(slots[firstFree], Tombstone))
            _tombstones--;
        Volatile.Write(ref slots[firstFree], item);
        Volatile.Write(ref _count, _count + 1);
        Counted(item, 1);
        if ((_count + _tombstones) * 4 > slots.Length * 3)
            Rebuild();
        return null;
    }

    /// <summary>Writer only. Removes the key; returns the removed buffer.</summary>
    public byte[]? Remove(int hash, ReadOnlySpan<byte> key)
    {
        var slots = _slots;
        var mask = slots.Length - 1;
        var i = hash & mask;
        for (var probes = 0; probes < slots.Length; probes++)
        {
            var e = slots[i];
            if (e is null)
                return null;
            if (!ReferenceEquals(e, Tombstone) && ItemBuffer.KeyEquals(e, key))
            {
                Volatile.Write(ref slots[i], Tombstone);
                Volatile.Write(ref _count, _count - 1);
                _tombstones++;
                Counted(e, -1);
                return e;
            }
            i = (i + 1) & mask;
        }
        return null;
    }

    /// <summary>Writer only. Removes every item.</summary>
    public void Clear()
    {
        Volatile.Write(ref _slots, new byte[]?[MinCapacity]);
        Volatile.Write(ref _count, 0);
        _tombstones = 0;
        if (_perSlot is not null)
        {
            for (var i = 0; i < _perSlot.Length; i++)
                Volatile.Write(ref _perSlot[i], 0);
            Volatile.Write(ref _expiring, 0);
        }
    }

    /// <summary>Weakly consistent snapshot enumeration, safe on any thread.</summary>
    public IEnumerable<byte[]> Snapshot()
    {
        var slots = Volatile.Read(ref _slots);
        for (var i = 0; i < slots.Length; i++)
        {
            var e = Volatile.Read(ref slots[i]);
            if (e is not null && !ReferenceEquals(e, Tombstone))
                yield return e;
        }
    }

    private void Rebuild()
    {
        var capacity = _slots.Length;
        // Grow when live items fill more than half; otherwise only tombstones are cleared.
        while (_count * 2 > capacity)
            capacity *= 2;
        var fresh = new byte[]?[capacity];
        var mask = capacity - 1;
        foreach (var e in _slots)
        {
            if (e is null || ReferenceEquals(e, Tombstone))
                continue;
            var i = ItemBuffer.HashOf(e) & mask;
            while (fresh[i] is not null)
                i = (i + 1) & mask;
            fresh[i] = e;
        }
        _tombstones = 0;
        Volatile.Write(ref _slots, fresh);
    }
}
