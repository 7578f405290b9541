using System.Buffers;
using System.Text;

namespace HTableCluster.Storage;

/// <summary>
/// One named table. Keys are spread over <see cref="PartitionCount"/> partitions by a seeded 64-bit
/// hash (one hash per lookup; resistant to crafted collisions); Kamailio's 2^size slots are computed
/// from the key where Kamailio shows them (dump order, stats, slot locks). Each
/// <see cref="TablePartition"/> has exactly one writer (its table actor); every read here is safe from
/// any thread without locks and treats expired-but-uncollected items as missing.
/// </summary>
public sealed class HTable
{
    private const int StackKeyBytes = 256;
    private readonly TablePartition[] _partitions;
    private int _sequence;

    /// <summary>How long deletion markers are kept unless told otherwise (the one default of <c>Replication:TombstoneGraceSeconds</c>).</summary>
    public static readonly TimeSpan DefaultTombstoneGrace = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Creates an empty table. A <paramref name="replicated"/> table records every local change for
    /// replication, keeps deletion markers for <paramref name="tombstoneGrace"/> (default 5 minutes)
    /// and keeps counters per origin; <paramref name="replicaId"/> names this copy in counters
    /// (at most 255 UTF-8 bytes, unique per node and start; default: a random id).
    /// </summary>
    public HTable(TableOptions options, HybridClock clock, int partitionCount, bool replicated = false, TimeSpan? tombstoneGrace = null, string? replicaId = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitionCount, 1);
        Options = options;
        Clock = clock;
        SlotCount = options.SlotCount;
        Replicated = replicated;
        ReplicaId = replicaId ?? Convert.ToHexString(BitConverter.GetBytes(Random.Shared.NextInt64()));
        if (System.Text.Encoding.UTF8.GetByteCount(ReplicaId) > byte.MaxValue)
            throw new ArgumentException("replica id longer than 255 bytes", nameof(replicaId));
        TombstoneGraceMs = (long)(tombstoneGrace ?? DefaultTombstoneGrace).TotalMilliseconds;
        _partitions = new TablePartition[Math.Min(partitionCount, SlotCount)];
        for (var i = 0; i < _partitions.Length; i++)
            _partitions[i] = new TablePartition(this, i);
    }

    /// <summary>The definition.</summary>
    public TableOptions Options { get; }

    /// <summary>Table name.</summary>
    public string Name => Options.Name;

    /// <summary>Clock for versions and expiry.</summary>
    public HybridClock Clock { get; }

    /// <summary>True when local changes are recorded for replication and deletes leave markers.</summary>
    public bool Replicated { get; }

    /// <summary>The name of this copy in counters (see <see cref="Entry.IsCounter"/>).</summary>
    public string ReplicaId { get; }

    /// <summary>How long a deletion marker is kept (milliseconds).</summary>
    public long TombstoneGraceMs { get; }

    /// <summary>Number of Kamailio slots (2^size after the clamp).</summary>
    public int SlotCount { get; }

    /// <summary>Number of single-writer partitions.</summary>
    public int PartitionCount => _partitions.Length;

    /// <summary>Table-wide creation counter (see <see cref="Entry.Sequence"/>).</summary>
    internal int NextSequence() => Interlocked.Increment(ref _sequence);

    /// <summary>
    /// Starts new contents for this table, staged off to the side and swapped in partition by
    /// partition (<see cref="StagedContents"/>, <see cref="TablePartition.Swap"/>).
    /// </summary>
    public StagedContents StageContents() => new(this);

    /// <summary>Partition <paramref name="index"/>; its methods may only be called by its owner.</summary>
    public TablePartition Partition(int index) => _partitions[index];

    /// <summary>Encodes a key once for a write.</summary>
    public static KeyRef MakeKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return MakeKey(Encoding.UTF8.GetBytes(key));
    }

    /// <summary>Wraps UTF-8 key bytes (not copied) for a write.</summary>
    public static KeyRef MakeKey(byte[] utf8)
    {
        ArgumentNullException.ThrowIfNull(utf8);
        return new KeyRef(utf8, KeyHash.Of(utf8));
    }

    /// <summary>The partition owning the key of a well-formed item buffer.</summary>
    public int PartitionOfItem(ReadOnlySpan<byte> item) =>
        KeyHash.PartitionOf(KeyHash.Of(ItemBuffer.KeyOf(item)), _partitions.Length);

    /// <summary>
    /// Every stored item buffer of a partition for a snapshot, deletion markers and expired items
    /// not yet collected included (an expired item still overrides an older copy on the receiver);
    /// weakly consistent; the buffers must not be changed.
    /// </summary>
    public IEnumerable<ReadOnlyMemory<byte>> ExportItems(int partition)
    {
        foreach (var item in _partitions[partition].Map.Snapshot())
            yield return item;
    }

    /// <summary>How far ahead of this node's clock a received version may be (5 minutes); later ones are refused.</summary>
    public const long MaxClockDriftMs = 5 * 60 * 1000;

    private long _implausible;

    /// <summary>Received items and resets refused because their version lies too far in the future (a peer's clock is off).</summary>
    public long ImplausibleVersions => Interlocked.Read(ref _implausible);

    internal bool IsPlausible(long version)
    {
        if (version <= Clock.Ceiling(MaxClockDriftMs))
            return true;
        Interlocked.Increment(ref _implausible);
        return false;
    }

    /// <summary>The highest reset version of any partition.</summary>
    public long ResetVersion
    {
        get
        {
            long v = 0;
            foreach (var p in _partitions)
                v = Math.Max(v, p.ResetVersion);
            return v;
        }
    }

    /// <summary>Kamailio's slot of a key.</summary>
    public int SlotOf(in KeyRef key) => KamailioHash.SlotOf(key.Utf8, SlotCount);

    /// <summary>The partition owning a key.</summary>
    public int PartitionOf(in KeyRef key) => KeyHash.PartitionOf(key.Hash64, _partitions.Length);

    /// <summary>The live item for a key, or null when missing or expired.</summary>
    public Entry? Get(ReadOnlySpan<byte> key)
    {
        var hash = KeyHash.Of(key);
        var item = _partitions[KeyHash.PartitionOf(hash, _partitions.Length)].Map.Find((int)hash, key);
        return item is null || ItemBuffer.IsExpired(item, Clock.NowMs) ? null : new Entry(item);
    }

    /// <summary>The live item for a key given as text, or null.</summary>
    public Entry? Get(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var max = Encoding.UTF8.GetMaxByteCount(key.Length);
        byte[]? rented = null;
        var buf = max <= StackKeyBytes ? stackalloc byte[StackKeyBytes] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var n = Encoding.UTF8.GetBytes(key, buf);
            return Get(buf[..n]);
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Remaining lifetime in whole seconds, as <c>$shtex</c>: null when the key is missing or
    /// expired, 0 when the item never expires.
    /// </summary>
    public long? SecondsToLive(string key)
    {
        var e = Get(key);
        if (e is null)
            return null;
        if (e.ExpiresAtMs == 0)
            return 0;
        var ms = e.ExpiresAtMs - Clock.NowMs;
        return (ms + 999) / 1000;
    }

    /// <summary>Number of items stored, including expired ones not yet collected.</summary>
    public int RawCount
    {
        get
        {
            var n = 0;
            foreach (var p in _partitions)
                n += p.Map.Count;
            return n;
        }
    }

    /// <summary>Every live item (weakly consistent snapshot).</summary>
    public IEnumerable<Entry> Items()
    {
        var now = Clock.NowMs;
        foreach (var p in _partitions)
        {
            foreach (var item in p.Map.Snapshot())
            {
                if (!ItemBuffer.IsExpired(item, now))
                    yield return new Entry(item);
            }
        }
    }

    /// <summary>Number of live items whose name matches (<c>$shtcn</c>).</summary>
    public int CountByName(Matcher matcher)
    {
        ArgumentNullException.ThrowIfNull(matcher);
        var n = 0;
        foreach (var e in Items())
        {
            if (matcher.IsMatch(e.KeyUtf8))
                n++;
        }
        return n;
    }

    /// <summary>Number of live string items whose value matches (<c>$shtcv</c>).</summary>
    public int CountByValue(Matcher matcher)
    {
        ArgumentNullException.ThrowIfNull(matcher);
        var n = 0;
        foreach (var e in Items())
        {
            if (matcher.IsValueMatch(e))
                n++;
        }
        return n;
    }

    /// <summary>True when a live item's name matches (<c>sht_match_name</c>).</summary>
    public bool AnyByName(Matcher matcher)
    {
        ArgumentNullException.ThrowIfNull(matcher);
        foreach (var e in Items())
        {
            if (matcher.IsMatch(e.KeyUtf8))
                return true;
        }
        return false;
    }

    /// <summary>True when a live item's value matches (<c>sht_match_str_value</c>).</summary>
    public bool AnyByValue(Matcher matcher)
    {
        ArgumentNullException.ThrowIfNull(matcher);
        foreach (var e in Items())
        {
            if (matcher.IsValueMatch(e))
                return true;
        }
        return false;
    }

    /// <summary>
    /// Live items grouped by Kamailio slot, in slot order and, within a slot, in Kamailio's list
    /// order (ascending cellid, then creation order), which is what <c>htable.dump</c> prints.
    /// </summary>
    public IReadOnlyList<(int Slot, List<Entry> Items)> DumpSlots()
    {
        var bySlot = new SortedDictionary<int, List<Entry>>();
        foreach (var e in Items())
        {
            var slot = KamailioHash.SlotOf(e.KeyUtf8, SlotCount);
            if (!bySlot.TryGetValue(slot, out var list))
                bySlot[slot] = list = [];
            list.Add(e);
        }
        var result = new List<(int, List<Entry>)>(bySlot.Count);
        foreach (var (slot, list) in bySlot)
        {
            list.Sort(static (a, b) =>
            {
                var byHash = KamailioHash.Compute(a.KeyUtf8).CompareTo(KamailioHash.Compute(b.KeyUtf8));
                // Wrap-aware: the counter may pass int.MaxValue in a long-lived table.
                return byHash != 0 ? byHash : unchecked(a.Sequence - b.Sequence).CompareTo(0);
            });
            result.Add((slot, list));
        }
        return result;
    }

    /// <summary>Slot occupancy of live items as <c>htable.stats</c> reports it: items, fullest and emptiest slot.</summary>
    public (int Items, int MaxPerSlot, int MinPerSlot) SlotStats()
    {
        // The maps' per-slot counters are exact while no item can expire (an expired item not yet
        // collected counts as missing); otherwise the items are walked.
        if (SlotCount <= PartitionMap.MaxCountedSlots && _partitions.All(p => p.Map.Expiring == 0))
            return CountedSlotStats();
        return WalkedSlotStats();
    }

    /// <summary><see cref="SlotStats"/> by walking the live items.</summary>
    internal (int Items, int MaxPerSlot, int MinPerSlot) WalkedSlotStats()
    {
        // Only occupied slots are counted: a table may have up to 2^30 slots.
        var counts = new Dictionary<int, int>();
        var total = 0;
        foreach (var e in Items())
        {
            var slot = KamailioHash.SlotOf(e.KeyUtf8, SlotCount);
            counts[slot] = counts.GetValueOrDefault(slot) + 1;
            total++;
        }
        var max = 0;
        var min = counts.Count < SlotCount ? 0 : int.MaxValue;
        foreach (var c in counts.Values)
        {
            max = Math.Max(max, c);
            min = Math.Min(min, c);
        }
        return (total, max, min == int.MaxValue ? 0 : min);
    }

    /// <summary><see cref="SlotStats"/> from the maps' per-slot counters.</summary>
    internal (int Items, int MaxPerSlot, int MinPerSlot) CountedSlotStats()
    {
        var counts = new int[SlotCount];
        foreach (var p in _partitions)
        {
            var perSlot = p.Map.PerSlot!;
            for (var i = 0; i < counts.Length; i++)
                counts[i] += Volatile.Read(ref perSlot[i]);
        }
        int total = 0, max = 0, min = int.MaxValue;
        foreach (var c in counts)
        {
            total += c;
            max = Math.Max(max, c);
            min = Math.Min(min, c);
        }
        return (total, max, min);
    }

    private static readonly Comparer<uint> DescendingHash = Comparer<uint>.Create(static (a, b) => b.CompareTo(a));

    /// <summary>True when <paramref name="cursor"/> can have come from <see cref="Page"/>.</summary>
    public bool IsCursor(ulong cursor) => cursor >> 32 < (ulong)_partitions.Length;

    /// <summary>
    /// One page of a stable iteration: live items ordered by (partition, map hash), starting at
    /// <paramref name="cursor"/>. Items present for the whole iteration are returned exactly once,
    /// whatever is written in between; no lock is held between pages. The next cursor is null at the end.
    /// </summary>
    public (List<Entry> Items, ulong? Next) Page(ulong cursor, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        if (!IsCursor(cursor))
            throw new ArgumentOutOfRangeException(nameof(cursor), "not a cursor of this table");
        var items = new List<Entry>(Math.Min(limit, 1024));
        var partition = (int)(cursor >> 32);
        var from = (uint)cursor;
        var now = Clock.NowMs;
        while (partition < _partitions.Length)
        {
            // One pass keeps the room + 1 smallest hashes >= from in a max-heap (O(n log room), no sort
            // of the whole partition); the extra one tells whether the page would split a hash group.
            var room = limit - items.Count;
            var heap = new PriorityQueue<byte[], uint>(Math.Min(room, 4096) + 2, DescendingHash);
            // One read of the map per partition: a reload swap in between then cannot mix two contents in a page.
            var map = _partitions[partition].Map;
            foreach (var item in map.Snapshot())
            {
                var h = (uint)ItemBuffer.HashOf(item);
                if (h < from || ItemBuffer.IsExpired(item, now))
                    continue;
                if (heap.Count <= room)
                    heap.Enqueue(item, h);
                else if (heap.TryPeek(out _, out var top) && h < top)
                    heap.EnqueueDequeue(item, h);
            }
            var page = new List<(uint Hash, byte[] Item)>(heap.Count);
            while (heap.TryDequeue(out var item, out var h))
                page.Add((h, item));
            page.Reverse();
            if (page.Count <= room)
            {
                foreach (var (_, item) in page)
                    items.Add(new Entry(item));
                partition++;
                from = 0;
                if (items.Count >= limit)
                    return (items, partition < _partitions.Length ? (ulong)(uint)partition << 32 : null);
                continue;
            }
            // More items follow: the page ends before the first hash group that does not fit whole.
            var next = page[room].Hash;
            var before = items.Count;
            foreach (var (h, item) in page)
            {
                if (h < next)
                    items.Add(new Entry(item));
            }
            if (items.Count > before)
                return (items, ((ulong)(uint)partition << 32) | next);
            // One hash group larger than the page: it is returned whole.
            foreach (var item in map.Snapshot())
            {
                if ((uint)ItemBuffer.HashOf(item) == next && !ItemBuffer.IsExpired(item, now))
                    items.Add(new Entry(item));
            }
            if (next < uint.MaxValue)
                return (items, ((ulong)(uint)partition << 32) | (next + 1));
            return (items, partition + 1 < _partitions.Length ? (ulong)(uint)(partition + 1) << 32 : null);
        }
        return (items, null);
    }
}
