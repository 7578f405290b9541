using System.Runtime.InteropServices;
using HTableCluster.Storage;

namespace HTableCluster.Replication;

/// <summary>A table's stored item buffers as the replication layer sends them (snapshots, republishing).</summary>
public static class TableItems
{
    /// <summary>Bytes the wire form adds per item (its length), counted against batch and chunk limits.</summary>
    public const int ItemFraming = 4;

    /// <summary>Every stored item (deletion markers included), partition by partition.</summary>
    public static IEnumerator<ReadOnlyMemory<byte>> All(HTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        for (var p = 0; p < table.PartitionCount; p++)
        {
            foreach (var item in table.ExportItems(p))
                yield return item;
        }
    }

    /// <summary>
    /// Items stamped at or after <paramref name="sinceMs"/> (Unix ms); a counter keeps its base's
    /// version however recently it was incremented, so every counter counts as recent.
    /// </summary>
    public static List<byte[]> Recent(HTable table, long sinceMs)
    {
        var items = new List<byte[]>();
        var since = HybridClock.FirstVersionAt(sinceMs);
        using var all = All(table);
        while (all.MoveNext())
        {
            var item = AsArray(all.Current);
            if (ItemBuffer.VersionOf(item) >= since || ItemBuffer.IsCounter(item))
                items.Add(item);
        }
        return items;
    }

    /// <summary>
    /// <paramref name="items"/> cut in order into runs of at most <paramref name="maxBytes"/> (framing
    /// included); an item alone may exceed it.
    /// </summary>
    public static IEnumerable<List<byte[]>> Split(List<byte[]> items, int maxBytes)
    {
        ArgumentNullException.ThrowIfNull(items);
        var start = 0;
        while (start < items.Count)
        {
            long bytes = 0;
            var end = start;
            while (end < items.Count && (end == start || bytes + items[end].Length + ItemFraming <= maxBytes))
                bytes += items[end++].Length + ItemFraming;
            yield return items.GetRange(start, end - start);
            start = end;
        }
    }

    /// <summary>The stored array itself when the memory covers a whole one, otherwise a copy.</summary>
    public static byte[] AsArray(ReadOnlyMemory<byte> m) =>
        MemoryMarshal.TryGetArray(m, out var seg) && seg.Offset == 0 && seg.Count == seg.Array!.Length ? seg.Array : m.ToArray();
}
