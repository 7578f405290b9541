using System.Diagnostics;
using HTableCluster.Node.Configuration;
using HTableCluster.Node.Tables;
using HTableCluster.Storage;
using HTableCluster.Storage.Postgres;

namespace HTableCluster.Node.Database;

/// <summary>
/// Preloads every table with a <c>dbtable</c> from PostgreSQL when the node starts, then raises
/// <c>htable:mod-init</c>. A service of the outer host: it outlives actor-system rebuilds and reaches
/// the partition writers through <see cref="TableClient.LoadAsync(int, IReadOnlyList{LoadedItem}, CancellationToken)"/>
/// (at most <c>fetch_rows</c> rows per message and partition, at version 0, not replicated; for a
/// replicated table anything a peer sends supersedes them). The node serves every
/// table meanwhile; <see cref="Readiness"/> lists the tables still loading, with the last database
/// error, and the loader retries with backoff until the load succeeds. Each attempt holds the
/// table's gate (<see cref="TableGates"/>), so no store or reload of that table runs meanwhile.
/// </summary>
public sealed partial class TableLoader(NodeSettings settings, TableDatabase database, HTableNode node, TableGates gates, Readiness readiness, TableEvents events, ILogger<TableLoader> log) : BackgroundService
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(30);

    // Messages per writer handed over before the oldest one must be done: the database read and the
    // writers' work overlap, and memory stays bounded.
    private const int InFlight = 4;

    /// <summary>Tables loaded so far (for tests and diagnostics).</summary>
    public int Loaded { get; private set; }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var tables = settings.Tables.Where(t => t.DbTable.Length > 0).ToList();
        if (tables.Count > 0 && database.Source is null)
        {
            LogNoDbUrl(log, string.Join(", ", tables.Select(t => t.Name)));
            tables.Clear();
        }
        foreach (var t in tables)
            readiness.SetLoading(t.Name, true);
        await node.Started.WaitAsync(stoppingToken).ConfigureAwait(false);
        foreach (var t in tables)
            await LoadWithRetriesAsync(database.Source!, t, stoppingToken).ConfigureAwait(false);
        events.OnModInit();
    }

    private async Task LoadWithRetriesAsync(PostgresTableSource source, TableOptions table, CancellationToken ct)
    {
        var delay = FirstRetry;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using (await gates.EnterAsync(table.Name, ct).ConfigureAwait(false))
                {
                    await LoadAsync(source, table, ct).ConfigureAwait(false);
                    gates.MarkLoaded(table.Name);
                }
                readiness.SetLoading(table.Name, false);
                Loaded++;
                return;
            }
            catch (Exception ex) when ((TableDatabase.IsTrouble(ex) || ex is NodeUnavailableException) && !ct.IsCancellationRequested)
            {
                var reason = TableDatabase.Describe(ex);
                readiness.SetLoading(table.Name, true, $"{reason} (attempt {attempt}; retrying in {delay.TotalSeconds:0} s)");
                LogLoadFailed(log, table.Name, table.DbTable, attempt, reason, delay.TotalSeconds);
                await Task.Delay(delay, ct).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LastRetry.Ticks));
            }
        }
    }

    // The rows read fetch_rows at a time are gathered per partition: each writer takes fetch_rows
    // rows at once (the partition's last message holds the rest).
    private async Task LoadAsync(PostgresTableSource source, TableOptions table, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var fetchRows = Math.Max(1, database.Options.FetchRows);
        var partitions = node.Table(table.Name).Table;
        var gathered = new List<LoadedItem>?[partitions.PartitionCount];
        var pending = new Queue<Task<int>>();
        long stored = 0;
        long problems = 0;
        await foreach (var batch in source.ReadAsync(table, ct).ConfigureAwait(false))
        {
            foreach (var p in batch.Problems)
            {
                problems++;
                LogBadRow(log, p);
            }
            foreach (var row in batch.Items)
            {
                var p = partitions.PartitionOf(HTable.MakeKey(row.KeyUtf8));
                var rows = gathered[p] ??= new List<LoadedItem>(Math.Min(fetchRows, 1024));
                rows.Add(row);
                if (rows.Count < fetchRows)
                    continue;
                gathered[p] = null;
                pending.Enqueue(LoadPartitionAsync(table.Name, p, rows, ct));
                if (pending.Count >= InFlight * gathered.Length)
                    stored += await pending.Dequeue().ConfigureAwait(false);
            }
        }
        for (var p = 0; p < gathered.Length; p++)
        {
            if (gathered[p] is { } rows)
                pending.Enqueue(LoadPartitionAsync(table.Name, p, rows, ct));
        }
        while (pending.Count > 0)
            stored += await pending.Dequeue().ConfigureAwait(false);
        LogLoaded(log, table.Name, stored, table.DbTable, watch.Elapsed.TotalSeconds, problems);
    }

    // Found again for every message: after a rebuild of the actor system the writers are new.
    private Task<int> LoadPartitionAsync(string table, int partition, List<LoadedItem> rows, CancellationToken ct) =>
        node.Table(table).LoadAsync(partition, rows, ct);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tables {Tables} have a dbtable but Htable:DbUrl (db_url) is empty: nothing is loaded")]
    private static partial void LogNoDbUrl(ILogger logger, string tables);

    [LoggerMessage(Level = LogLevel.Error, Message = "Table {Table}: loading from {DbTable} failed (attempt {Attempt}): {Reason}; retrying in {Seconds:0} s")]
    private static partial void LogLoadFailed(ILogger logger, string table, string dbTable, int attempt, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Problem}")]
    private static partial void LogBadRow(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Table {Table}: loaded {Items} items from {DbTable} in {Seconds:0.0} s ({Skipped} bad rows skipped)")]
    private static partial void LogLoaded(ILogger logger, string table, long items, string dbTable, double seconds, long skipped);
}
