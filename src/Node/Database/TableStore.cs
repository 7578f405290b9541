using Akka.Actor;
using HTableCluster.Node.Configuration;
using HTableCluster.Node.Tables;
using HTableCluster.Storage;
using HTableCluster.Storage.Postgres;
using static HTableCluster.Replication.ReplicationProtocol;

namespace HTableCluster.Node.Database;

/// <summary>
/// Writes tables back to their <c>dbtable</c>: <c>htable.store</c> on demand, and every
/// <c>dbmode=1</c> table when the process shuts down (not when the actor system is rebuilt after a
/// downing: this is a service of the outer host, stopped after the cluster member, so every write
/// the writers accepted is in). Each store is one transaction (<see cref="PostgresTableSink"/>); a
/// failure (the connection lost mid-store) rolls back, is logged, and is tried again a few times.
/// A replicated table is written by exactly one node: <c>htable.store</c> goes to the cluster
/// singleton (<see cref="TableStoreActor"/>), and at shutdown it is stored by the oldest member (the
/// singleton's host, also when every member stops at once) or by the last one to leave. A store
/// holds the table's gate (<see cref="TableGates"/>), shared with the preload and the reload, and
/// writes only a table that has been loaded (as Kamailio writes back only the tables it loaded):
/// before that, its memory lacks the rows still in the database, and the store would delete them.
/// Rows the load skipped as bad stay in the database (<see cref="PostgresTableSink"/>).
/// </summary>
public sealed partial class TableStore(NodeSettings settings, TableDatabase database, HTableNode node, TableGates gates, ILogger<TableStore> log) : IHostedService
{
    private const int Attempts = 3;
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan SingletonWait = TimeSpan.FromSeconds(60);
    private volatile IActorRef? _singleton;
    private volatile bool _storesOnLeave = true;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // As in Kamailio, a table that does not replicate is written by every node that has it (the
        // first node of a cluster has no seeds, so whether others will have it is not known here).
        foreach (var t in settings.Tables.Where(t => t.DbMode == 1 && t.DbTable.Length > 0 && !(t.DmqReplicate && settings.Htable.EnableDmq == 1)))
            LogSharedDbMode(log, t.Name, t.DbTable);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var t in settings.Tables.Where(t => t.DbMode == 1 && database.Serves(t)))
        {
            if (t.Cols.Count > 0)
                continue;
            if (node.Find(t.Name) is { Table.Replicated: true } && !_storesOnLeave)
            {
                LogLeftToOthers(log, t.Name);
                continue;
            }
            await StoreHereAsync(t.Name, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The proxy of the store singleton of the current actor system (null while there is none).</summary>
    internal void UseSingleton(IActorRef? proxy) => _singleton = proxy;

    /// <summary>
    /// The cluster member is leaving with <paramref name="othersUp"/> members still up; it stores the
    /// replicated tables when it is the <paramref name="oldest"/> of them or the last one.
    /// </summary>
    internal void Leaving(int othersUp, bool oldest) => _storesOnLeave = othersUp == 0 || oldest;

    /// <summary>
    /// Stores <paramref name="table"/> (a replicated one through the cluster singleton); null on
    /// success, otherwise what went wrong (also logged where it happened).
    /// </summary>
    public async Task<string?> StoreAsync(string table, CancellationToken cancellationToken = default)
    {
        if (node.Find(table) is not { Table.Replicated: true })
            return await StoreHereAsync(table, cancellationToken).ConfigureAwait(false);
        if (_singleton is not { } singleton)
            return "the node is not in a cluster right now";
        try
        {
            var reply = await singleton.Ask<StoreReply>(new StoreRequest(table), SingletonWait, cancellationToken).ConfigureAwait(false);
            return reply.Error;
        }
        catch (AskTimeoutException)
        {
            return $"the storing node did not answer within {SingletonWait.TotalSeconds:0} s";
        }
    }

    /// <summary>Stores this node's copy of <paramref name="table"/>; null on success, otherwise what went wrong (also logged).</summary>
    public async Task<string?> StoreHereAsync(string table, CancellationToken cancellationToken = default)
    {
        if (database.Sink is not { } sink || node.Find(table) is not { } client || !database.Serves(client.Table.Options))
            return $"table {table} has no database";
        using var turn = await gates.EnterAsync(table, cancellationToken).ConfigureAwait(false);
        if (!gates.IsLoaded(table))
        {
            var reason = $"table {table} is not loaded from {client.Table.Options.DbTable} yet: storing it would delete the rows still to load";
            LogNotLoaded(log, table, client.Table.Options.DbTable);
            return reason;
        }
        var delay = FirstRetry;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var stored = await sink.StoreAsync(client.Table.Options, client.Table.Items(), client.Table.Clock.NowMs, cancellationToken).ConfigureAwait(false);
                LogStored(log, table, stored.Rows, client.Table.Options.DbTable, stored.Kept);
                return null;
            }
            catch (NotSupportedException ex)
            {
                LogStoreFailed(log, table, attempt, ex.Message);
                return ex.Message;
            }
            catch (Exception ex) when (TableDatabase.IsTrouble(ex) && !cancellationToken.IsCancellationRequested)
            {
                var reason = TableDatabase.Describe(ex);
                LogStoreFailed(log, table, attempt, reason);
                if (attempt == Attempts)
                    return reason;
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay *= 2;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Table {Table} has dbmode=1 but does not replicate: if other nodes have it too, each writes {DbTable} at shutdown and the last one wins (as in Kamailio); make it dmqreplicate=1 to have one node store it")]
    private static partial void LogSharedDbMode(ILogger logger, string table, string dbTable);

    [LoggerMessage(Level = LogLevel.Information, Message = "Table {Table} replicates: an older member stores it, not this one")]
    private static partial void LogLeftToOthers(ILogger logger, string table);

    [LoggerMessage(Level = LogLevel.Information, Message = "Table {Table}: stored {Rows} rows to {DbTable} (kept {Kept} rows a load skips as bad)")]
    private static partial void LogStored(ILogger logger, string table, int rows, string dbTable, int kept);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Table {Table}: not stored, it has not been loaded from {DbTable} yet (storing it would delete the rows still to load)")]
    private static partial void LogNotLoaded(ILogger logger, string table, string dbTable);

    [LoggerMessage(Level = LogLevel.Error, Message = "Table {Table}: store failed (attempt {Attempt}), the database table keeps its rows: {Reason}")]
    private static partial void LogStoreFailed(ILogger logger, string table, int attempt, string reason);
}
