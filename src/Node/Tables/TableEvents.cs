using HTableCluster.Storage;
using Microsoft.Extensions.Logging;

namespace HTableCluster.Node.Tables;

/// <summary>
/// Table events raised on this node, the counterparts of Kamailio's event routes:
/// <c>htable:mod-init</c> once the tables are started (<see cref="ModInit"/>), and
/// <c>htable:expired:&lt;table&gt;</c> for each item the expiry sweep collects (<see cref="Expired"/>,
/// with the item's key and value as <c>$shtrecord(key)</c>/<c>$shtrecord(value)</c>), and
/// <c>htable:reloaded:&lt;table&gt;</c> after <c>htable.reload</c> swapped new contents in
/// (<see cref="Reloaded"/>). Embedded
/// applications subscribe to the events; remote clients read them from GET /events.
/// </summary>
public sealed partial class TableEvents(ILogger<TableEvents> logger)
{
    /// <summary>Raised on the partition's writer for each collected item; handlers must be quick.</summary>
    public event Action<HTable, Entry>? Expired;

    /// <summary>Raised once when every table is started.</summary>
    public event Action? ModInit;

    /// <summary>Raised after a table's contents were reloaded from its database.</summary>
    public event Action<HTable>? Reloaded;

    /// <summary>True once <see cref="ModInit"/> has been raised.</summary>
    public bool Initialized { get; private set; }

    internal void OnModInit()
    {
        LogModInit(logger);
        Initialized = true;
        ModInit?.Invoke();
    }

    internal void OnReloaded(HTable table)
    {
        LogReloaded(logger, table.Name, table.RawCount);
        foreach (var h in Reloaded?.GetInvocationList() ?? [])
        {
            try
            {
                ((Action<HTable>)h)(table);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogSubscriberFailed(logger, ex, table.Name);
            }
        }
    }

    /// <summary>Number of items collected by expiry since start.</summary>
    public long ExpiredCount => Interlocked.Read(ref _expiredCount);

    private long _expiredCount;

    internal void OnExpired(HTable table, List<Entry> items)
    {
        if (items.Count == 0)
            return;
        Interlocked.Add(ref _expiredCount, items.Count);
        LogExpired(logger, items.Count, table.Name);
        var handlers = Expired?.GetInvocationList();
        if (handlers is null)
            return;
        foreach (var e in items)
        {
            foreach (var h in handlers)
            {
                // A failing subscriber must not stop the others or restart the table writer:
                // the items are already removed, so an unreported one would be lost.
                try
                {
                    ((Action<HTable, Entry>)h)(table, e);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    LogSubscriberFailed(logger, ex, table.Name);
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "htable:reloaded:{Table} ({Items} items)")]
    private static partial void LogReloaded(ILogger logger, string table, int items);

    [LoggerMessage(Level = LogLevel.Error, Message = "An htable event subscriber failed for {Table}")]
    private static partial void LogSubscriberFailed(ILogger logger, Exception exception, string table);

    [LoggerMessage(Level = LogLevel.Information, Message = "htable:mod-init")]
    private static partial void LogModInit(ILogger logger);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Collected {Count} expired items from {Table}")]
    private static partial void LogExpired(ILogger logger, int count, string table);
}
