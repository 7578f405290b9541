using System.Text;

namespace HTableCluster.Storage.Tests;

/// <summary>Builds tables on a manual clock and routes writes to the owning partition.</summary>
internal static class TestTables
{
    public static HTable Create(string definition, ManualTime time, int partitions = 4) =>
        new(TableOptions.Parse(definition), new HybridClock(time), partitions);

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
        var n = 0;
        for (var i = 0; i < table.PartitionCount; i++)
            n += table.Partition(i).Reset();
        return n;
    }

    public static List<string> Keys(this IEnumerable<Entry> entries) => entries.Select(e => e.Key).Order(StringComparer.Ordinal).ToList();
}
