using HTableCluster.Node.Tables;
using HTableCluster.Storage;

namespace HTableCluster.Node.Database;

/// <summary>
/// <c>htable.reload</c>: reads a table's <c>dbtable</c> into staged contents off to the side, then
/// each partition writer swaps its part in at once, so readers see the old or the new partition,
/// never a half-loaded one; <c>htable:reloaded:&lt;table&gt;</c> follows. What was written, deleted or
/// received after the reload began stays over the database rows; what was there before is replaced
/// (Kamailio's reload discards in-memory changes). A reload is local to this node, as in Kamailio:
/// every node reads the same database, the loaded rows (version 0) do not replicate, and peers keep
/// their copies until they are reloaded too. A reload holds the table's gate (<see cref="TableGates"/>),
/// shared with the preload and the store, so none of them overlaps it; a failed read leaves the
/// table as it was. Also the path of the <c>reloadat</c> attribute (<see cref="TableReloadTimer"/>).
/// </summary>
public sealed partial class TableReloader(TableDatabase database, HTableNode node, TableGates gates, TableEvents events, ILogger<TableReloader> log)
{
    /// <summary>Reloads <paramref name="table"/>; null on success, otherwise what went wrong (also logged).</summary>
    public async Task<string?> ReloadAsync(string table, CancellationToken cancellationToken = default)
    {
        if (node.Find(table) is not { } client || !database.Serves(client.Table.Options))
            return $"table {table} has no database source";
        using var turn = await gates.EnterAsync(table, cancellationToken).ConfigureAwait(false);
        try
        {
            var staged = client.Table.StageContents();
            long bad = 0;
            await foreach (var batch in database.Source!.ReadAsync(client.Table.Options, cancellationToken).ConfigureAwait(false))
            {
                foreach (var p in batch.Problems)
                {
                    bad++;
                    LogBadRow(log, p);
                }
                staged.AddRange(batch.Items);
            }
            // Found again: the writers may be new after a rebuild of the actor system.
            var items = await node.Table(table).SwapAsync(staged, cancellationToken).ConfigureAwait(false);
            gates.MarkLoaded(table);
            LogReloaded(log, table, staged.Count, items, bad);
            events.OnReloaded(client.Table);
            return null;
        }
        catch (Exception ex) when (TableDatabase.IsTrouble(ex) || ex is NodeUnavailableException)
        {
            var reason = TableDatabase.Describe(ex);
            LogReloadFailed(log, table, reason);
            return reason;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Problem}")]
    private static partial void LogBadRow(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Table {Table}: reloaded {Rows} rows; it holds {Items} items ({Skipped} bad rows skipped)")]
    private static partial void LogReloaded(ILogger logger, string table, int rows, int items, long skipped);

    [LoggerMessage(Level = LogLevel.Error, Message = "Table {Table}: reload failed, the table is unchanged: {Reason}")]
    private static partial void LogReloadFailed(ILogger logger, string table, string reason);
}
