using System.Diagnostics;
using HTableCluster.Node.Configuration;
using HTableCluster.Storage;

namespace HTableCluster.Node.Database;

/// <summary>
/// The <c>reloadat=N</c> table attribute (added to Kamailio after 6.0): the table is reloaded from its
/// <c>dbtable</c> every N seconds, each time raising <c>htable:reloaded:&lt;table&gt;</c>. It takes
/// <c>htable.reload</c>'s path (<see cref="TableReloader"/>: the table's gate shared with the preload
/// and the store, the atomic swap, the event), so a scheduled reload never overlaps a store or a load
/// of the same table. N is an interval in seconds, not a time of day, as in Kamailio. Kamailio checks
/// it on its expiry timer (every <c>timer_interval</c> seconds, and only when some table has
/// <c>autoexpire</c>), so its reloads come at the first tick N seconds after the last one, the first
/// at the first tick after start; here the first comes N seconds after the preload and the next N
/// seconds after the previous one began. A failed reload (logged; the table stays as it was) is
/// tried again after <c>timer_interval</c> seconds, or N if shorter, as Kamailio tries it again at
/// its next tick. Local to each node, like <c>htable.reload</c>; without <c>dbtable</c> (or
/// <c>db_url</c>) there is nothing to reload: a warning says so at start.
/// </summary>
public sealed partial class TableReloadTimer(NodeSettings settings, TableDatabase database, TableGates gates, TableReloader reloader, ILogger<TableReloadTimer> log) : BackgroundService
{
    /// <summary>Scheduled reloads done so far, over all tables (for tests and diagnostics).</summary>
    public long Reloads => Interlocked.Read(ref _reloads);

    private long _reloads;

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var runs = new List<Task>();
        foreach (var t in settings.Tables.Where(t => t.ReloadAt > 0))
        {
            if (database.Serves(t))
                runs.Add(RunAsync(t, stoppingToken));
            else
                LogNothingToReload(log, t.Name, t.ReloadAt);
        }
        return Task.WhenAll(runs);
    }

    private async Task RunAsync(TableOptions table, CancellationToken ct)
    {
        var period = TimeSpan.FromSeconds(table.ReloadAt);
        var retry = TimeSpan.FromSeconds(Math.Min(table.ReloadAt, settings.Htable.TimerInterval));
        try
        {
            await gates.LoadedAsync(table.Name, ct).ConfigureAwait(false);
            var wait = period;
            while (true)
            {
                await Task.Delay(wait, ct).ConfigureAwait(false);
                var started = Stopwatch.GetTimestamp();
                var failure = await reloader.ReloadAsync(table.Name, ct).ConfigureAwait(false);
                if (failure is null)
                    Interlocked.Increment(ref _reloads);
                var next = failure is null ? period : retry;
                // Counted from the start of this reload, as Kamailio counts from the tick that ran it.
                wait = next - Stopwatch.GetElapsedTime(started);
                if (wait < TimeSpan.Zero)
                    wait = TimeSpan.Zero;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The node stops.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Table {Table} has reloadat={Seconds} but nothing to reload from (no dbtable, or Htable:DbUrl is empty): ignored")]
    private static partial void LogNothingToReload(ILogger logger, string table, int seconds);
}
