namespace HTableCluster.Storage;

/// <summary>
/// Open-addressing hash map of item buffers (see <see cref="Entry"/>) with one writer and any number
/// of concurrent readers. Buffers are immutable once published, so a reader sees either the old or
/// the new reference in a slot. Deletes leave a tombstone; growth and tombstone clean-up build a new
/// array and publish it with one volatile write, so readers holding the old array still see a
/// consistent table.
/// </summary>
internal sealed class PartitionMap
{
    private static readonly byte[] Tombstone = new byte[ItemBuffer.HeaderSize];
    private const int MinCapacity = 16;

    private byte[]?[] _slots = new byte[]?[MinCapacity];
    private int _count;
    private int _tombstones;

    public int Count => Volatile.Read(ref _count);

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
                return e;
            }
            i = (i + 1) & mask;
        }

        if (ReferenceEquals(slots[firstFree], Tombstone))
            _tombstones--;
        Volatile.Write(ref slots[firstFree], item);
        Volatile.Write(ref _count, _count + 1);
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
