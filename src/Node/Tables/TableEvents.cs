using HTableCluster.Storage;
using Microsoft.Extensions.Logging;

namespace HTableCluster.Node.Tables;

/// <summary>
/// Table events raised on this node (<c>htable:expired:&lt;table&gt;</c>, <c>htable:mod-init</c>).
/// Embedded applications subscribe with <see cref="Expired"/>.
/// </summary>
public sealed partial class TableEvents(ILogger<TableEvents> logger)
{
    /// <summary>Raised on the partition's writer for each collected item; handlers must be quick.</summary>
    public event Action<HTable, Entry>? Expired;

    /// <summary>Number of items collected by expiry since start.</summary>
    public long ExpiredCount => Interlocked.Read(ref _expiredCount);

    private long _expiredCount;

    internal void OnExpired(HTable table, List<Entry> items)
    {
        if (items.Count == 0)
            return;
        Interlocked.Add(ref _expiredCount, items.Count);
        LogExpired(logger, items.Count, table.Name);
        var handler = Expired;
        if (handler is null)
            return;
        foreach (var e in items)
            handler(table, e);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Collected {Count} expired items from {Table}")]
    private static partial void LogExpired(ILogger logger, int count, string table);
}
