using System.Text;

namespace HTableCluster.Storage.Tests;

/// <summary>Builds tables on a manual clock and routes writes to the owning partition.</summary>
internal static class TestTables
{
    public static HTable Create(string definition, ManualTime time, int partitions = 4) =>
        new(TableOptions.Parse(definition), new HybridClock(time), partitions);

    public static HTable CreateReplicated(string definition, ManualTime time, int partitions = 4, TimeSpan? grace = null) =>
        new(TableOptions.Parse(definition), new HybridClock(time), partitions, replicated: true, grace);

    /// <summary>Every change recorded since the last call, all partitions.</summary>
    public static (List<byte[]> Items, long Reset) TakeChanges(this HTable table)
    {
        var items = new List<byte[]>();
        long reset = 0;
        for (var i = 0; i < table.PartitionCount; i++)
        {
            if (table.Partition(i).TakeChanges() is { } c)
            {
                items.AddRange(c.Items);
                reset = Math.Max(reset, c.ResetVersion);
            }
        }
        return (items, reset);
    }

    /// <summary>Merges copies of the buffers (as a receiver gets them off the wire).</summary>
    public static int MergeAll(this HTable table, IEnumerable<byte[]> items)
    {
        var n = 0;
        foreach (var item in items)
        {
            if (table.Partition(table.PartitionOfItem(item)).Merge((byte[])item.Clone()))
                n++;
        }
        return n;
    }

    public static void MergeReset(this HTable table, long version)
    {
        for (var i = 0; i < table.PartitionCount; i++)
            table.Partition(i).MergeReset(version);
    }

    public static List<byte[]> Export(this HTable table)
    {
        var items = new List<byte[]>();
        for (var i = 0; i < table.PartitionCount; i++)
            items.AddRange(table.ExportItems(i).Select(m => m.ToArray()));
        return items;
    }

    /// <summary>Live content as sorted "key=value" lines, for comparing replicas.</summary>
    public static List<string> Content(this HTable table) =>
        table.Items().Select(e => e.Key + "=" + e.ValueText + (e.IsInteger ? "i" : "s") + "@" + e.ExpiresAtMs).Order(StringComparer.Ordinal).ToList();

    public static TablePartition Owner(this HTable table, in KeyRef key) => table.Partition(table.PartitionOf(key));

    public static Entry Set(this HTable table, string key, string value, long? expireSeconds = null)
    {
        var k = HTable.MakeKey(key);
        return table.Owner(k).SetString(k, Encoding.UTF8.GetBytes(value), expireSeconds);
    }

    public static Entry SetInt(this HTable table, string key, long value, long? expireSeconds = null)
    {
        var k = HTable.MakeKey(key);
        return table.Owner(k).SetInteger(k, value, expireSeconds);
    }

    public static Entry? Delete(this HTable table, string key)
    {
        var k = HTable.MakeKey(key);
        return table.Owner(k).Delete(k);
    }

    public static (AddStatus Status, long Value) Add(this HTable table, string key, long delta)
    {
        var k = HTable.MakeKey(key);
        return table.Owner(k).Add(k, delta);
    }

    public static bool SetExpire(this HTable table, string key, long seconds)
    {
        var k = HTable.MakeKey(key);
        return table.Owner(k).SetExpire(k, seconds);
    }

    public static List<Entry> RemoveWhere(this HTable table, Matcher matcher, bool byValue)
    {
        var removed = new List<Entry>();
        for (var i = 0; i < table.PartitionCount; i++)
            removed.AddRange(table.Partition(i).RemoveWhere(matcher, byValue));
        return removed;
    }

    public static List<Entry> CollectExpired(this HTable table, long nowMs)
    {
        var expired = new List<Entry>();
        for (var i = 0; i < table.PartitionCount; i++)
            expired.AddRange(table.Partition(i).CollectExpired(nowMs));
        return expired;
    }

    public static int Reset(this HTable table)
    {
        var version = table.Clock.Next();
        var n = 0;
        for (var i = 0; i < table.PartitionCount; i++)
            n += table.Partition(i).Reset(version);
        return n;
    }

    public static List<string> Keys(this IEnumerable<Entry> entries) => entries.Select(e => e.Key).Order(StringComparer.Ordinal).ToList();
}
