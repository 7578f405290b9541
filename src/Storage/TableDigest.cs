using System.IO.Hashing;

namespace HTableCluster.Storage;

/// <summary>
/// What two nodes compare of a table for anti-entropy: the items that are settled at
/// <see cref="CutoffVersion"/> (stamped at or before it), live at <see cref="LiveAtMs"/>, and, for
/// deletion markers, stamped at or after <see cref="MarkersSinceVersion"/> (older ones may already be
/// dropped on one side) and dead for <see cref="TableDigest.MarkerSettleMs"/> before
/// <see cref="LiveAtMs"/> (an item that expired becomes a marker at each node's next sweep); with a <see cref="SinceVersion"/>, only what was stamped from then on (a node
/// without init sync holds nothing older). Keys fall into 2^<see cref="Log2Buckets"/> buckets of
/// <see cref="TableDigest.SubBuckets"/> cells each by a hash that is the same on every node.
/// </summary>
public readonly record struct DigestScope(int Log2Buckets, long CutoffVersion, long LiveAtMs, long MarkersSinceVersion, long SinceVersion = 0);

/// <summary>
/// Order-free digests of a table's items per bucket and per cell, and the items of given cells: two
/// nodes whose digests of a bucket agree hold the same items there, so only the cells that differ are
/// exchanged. An item's digest covers its whole buffer except the local creation sequence (counters
/// encode their totals in a canonical order). Reads the storage like any reader, on any thread.
/// </summary>
public static class TableDigest
{
    /// <summary>
    /// How long a deletion marker is left out of the digests after its item died: the expiry sweeps
    /// of every node (at most <c>timer_interval</c> apart) have made the same marker by then.
    /// </summary>
    public const long MarkerSettleMs = 60_000;

    /// <summary>Cells per bucket (the second level of the comparison).</summary>
    public const int SubBuckets = 64;

    private const int SubBits = 6;

    /// <summary>Fewest buckets (2^6) and most (2^16): about 256 items per bucket in between.</summary>
    public const int MinLog2Buckets = 6;

    /// <summary>Most buckets, 2^16 (a digest of 512 KiB).</summary>
    public const int MaxLog2Buckets = 16;

    /// <summary>The bucket count (as a power of two) for a table of <paramref name="items"/> items.</summary>
    public static int Log2BucketsFor(long items)
    {
        var log2 = MinLog2Buckets;
        while (log2 < MaxLog2Buckets && (1L << log2) * 256 < items)
            log2++;
        return log2;
    }

    /// <summary>How many cells a scope of 2^<paramref name="log2Buckets"/> buckets has.</summary>
    public static int CellCount(int log2Buckets) => 1 << (log2Buckets + SubBits);

    /// <summary>The cell (bucket × <see cref="SubBuckets"/> + sub-bucket) of a key.</summary>
    public static int CellOf(ReadOnlySpan<byte> key, int log2Buckets) =>
        (int)(XxHash3.HashToUInt64(key) >> (64 - log2Buckets - SubBits));

    /// <summary>One digest per bucket over the items in <paramref name="scope"/>.</summary>
    public static ulong[] Buckets(HTable table, DigestScope scope)
    {
        ArgumentNullException.ThrowIfNull(table);
        var digests = new ulong[1 << scope.Log2Buckets];
        foreach (var (cell, hash) in Compared(table, scope))
            digests[cell >> SubBits] += hash;
        return digests;
    }

    /// <summary>
    /// The <see cref="SubBuckets"/> cell digests of each of <paramref name="buckets"/>, bucket after
    /// bucket in the order given.
    /// </summary>
    public static ulong[] Cells(HTable table, DigestScope scope, IReadOnlyList<int> buckets)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(buckets);
        var index = new Dictionary<int, int>(buckets.Count);
        for (var i = 0; i < buckets.Count; i++)
            index[buckets[i]] = i;
        var digests = new ulong[buckets.Count * SubBuckets];
        foreach (var (cell, hash) in Compared(table, scope))
        {
            if (index.TryGetValue(cell >> SubBits, out var at))
                digests[(at * SubBuckets) + (cell & (SubBuckets - 1))] += hash;
        }
        return digests;
    }

    /// <summary>The cells of <paramref name="buckets"/> whose digests differ between two <see cref="Cells"/> results.</summary>
    public static List<int> DifferingCells(IReadOnlyList<int> buckets, ReadOnlySpan<ulong> mine, ReadOnlySpan<ulong> theirs)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        if (mine.Length != theirs.Length || mine.Length != buckets.Count * SubBuckets)
            throw new ArgumentException("cell digests of different shapes");
        var cells = new List<int>();
        for (var i = 0; i < mine.Length; i++)
        {
            if (mine[i] != theirs[i])
                cells.Add((buckets[i / SubBuckets] << SubBits) | (i % SubBuckets));
        }
        return cells;
    }

    /// <summary>The indexes at which two digest arrays differ.</summary>
    public static List<int> Differing(ReadOnlySpan<ulong> mine, ReadOnlySpan<ulong> theirs)
    {
        if (mine.Length != theirs.Length)
            throw new ArgumentException("digests of different sizes");
        var differing = new List<int>();
        for (var i = 0; i < mine.Length; i++)
        {
            if (mine[i] != theirs[i])
                differing.Add(i);
        }
        return differing;
    }

    /// <summary>
    /// The items of <paramref name="cells"/> to send to a peer whose digests differ there: every item
    /// and recent deletion marker, however recent, expired ones included (the newest version is what
    /// repairs, and an expired item still overrides an older copy).
    /// </summary>
    public static List<byte[]> ItemsIn(HTable table, DigestScope scope, IReadOnlyCollection<int> cells)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(cells);
        var wanted = cells as HashSet<int> ?? [.. cells];
        var items = new List<byte[]>();
        if (wanted.Count == 0)
            return items;
        foreach (var memory in All(table))
        {
            var item = memory.Span;
            if (OldMarker(item, scope) || ItemBuffer.VersionOf(item) < scope.SinceVersion || !wanted.Contains(CellOf(ItemBuffer.KeyOf(item), scope.Log2Buckets)))
                continue;
            items.Add(memory.ToArray());
        }
        return items;
    }

    private static IEnumerable<(int Cell, ulong Hash)> Compared(HTable table, DigestScope scope)
    {
        foreach (var memory in All(table))
        {
            if (Digest(memory.Span, scope) is { } entry)
                yield return entry;
        }
    }

    private static IEnumerable<ReadOnlyMemory<byte>> All(HTable table)
    {
        for (var p = 0; p < table.PartitionCount; p++)
        {
            foreach (var memory in table.ExportItems(p))
                yield return memory;
        }
    }

    private static (int Cell, ulong Hash)? Digest(ReadOnlySpan<byte> item, DigestScope scope)
    {
        var version = ItemBuffer.VersionOf(item);
        if (version > scope.CutoffVersion || version < scope.SinceVersion || Stale(item, scope))
            return null;
        var head = XxHash3.HashToUInt64(item[..ItemBuffer.SequenceAt]);
        var hash = XxHash3.HashToUInt64(item[ItemBuffer.KeyLengthAt..], unchecked((long)head));
        return (CellOf(ItemBuffer.KeyOf(item), scope.Log2Buckets), hash);
    }

    // Expired by the scope's time (each node drops those by itself), or a deletion marker old enough
    // to be dropped on one side and not the other.
    private static bool Stale(ReadOnlySpan<byte> item, DigestScope scope) =>
        ItemBuffer.IsTombstone(item)
            ? OldMarker(item, scope) || ItemBuffer.ExpiresAtMsOf(item) > scope.LiveAtMs - MarkerSettleMs
            : ItemBuffer.ExpiresAtMsOf(item) is var at && at != 0 && at <= scope.LiveAtMs;

    private static bool OldMarker(ReadOnlySpan<byte> item, DigestScope scope) =>
        ItemBuffer.IsTombstone(item) && ItemBuffer.VersionOf(item) < scope.MarkersSinceVersion;
}
