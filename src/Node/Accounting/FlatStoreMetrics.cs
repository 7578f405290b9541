using Prometheus;

namespace HTableCluster.Node.Accounting;

/// <summary>
/// The flatstore's counters in <c>/metrics</c>, brought up to date when scraped. The registry is the
/// process's, so the figures are totals over the nodes of the process whose flatstore is enabled
/// (one node per process outside tests); what a stopped node counted stays in them.
/// </summary>
internal static class FlatStoreMetrics
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<FlatStoreClient, Seen> Clients = [];
    private static readonly Counter Written = Metrics.CreateCounter("htcluster_flatstore_records_written_total", "Accounting records written (acknowledged) per table.", "table");
    private static readonly Counter Failed = Metrics.CreateCounter("htcluster_flatstore_records_failed_total", "Accounting records whose write failed (answered with an error) per table.", "table");
    private static readonly Counter Fsyncs = Metrics.CreateCounter("htcluster_flatstore_fsyncs_total", "Times a table's file was forced to disk.", "table");
    private static readonly Counter Refused = Metrics.CreateCounter("htcluster_flatstore_records_refused_total", "Accounting records refused before reaching a file (bad table name, too many tables, stopping).");
    private static readonly Counter Direct = Metrics.CreateCounter("htcluster_flatstore_records_direct_total", "Accounting records written straight to the files while the actor system was stopping or being rebuilt.");
    private static bool Registered;

    /// <summary>Reports <paramref name="client"/>'s figures from now on (nothing when its flatstore is disabled).</summary>
    public static void Register(FlatStoreClient client)
    {
        if (client.Files is null)
            return;
        lock (Gate)
        {
            Clients[client] = new Seen();
            if (Registered)
                return;
            Registered = true;
        }
        Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            lock (Gate)
            {
                foreach (var (c, seen) in Clients)
                    Update(c, seen);
            }
        });
    }

    /// <summary>Stops reporting <paramref name="client"/> (its node stopped), keeping what it counted.</summary>
    public static void Unregister(FlatStoreClient client)
    {
        lock (Gate)
        {
            if (Clients.Remove(client, out var seen))
                Update(client, seen);
        }
    }

    // Adds what a client counted since the last update. A count lower than before (a writer
    // replaced) counts from zero again.
    private static void Update(FlatStoreClient client, Seen seen)
    {
        var files = client.Files!;
        foreach (var (table, writer) in files.Writers)
        {
            var last = seen.Tables.GetValueOrDefault(table);
            var now = (writer.Written, writer.Failed, writer.Fsyncs);
            Written.WithLabels(table).Inc(Delta(last.Written, now.Written));
            Failed.WithLabels(table).Inc(Delta(last.Failed, now.Failed));
            Fsyncs.WithLabels(table).Inc(Delta(last.Fsyncs, now.Fsyncs));
            seen.Tables[table] = now;
        }
        var refused = files.Refused;
        Refused.Inc(Delta(seen.Refused, refused));
        seen.Refused = refused;
        var direct = client.WrittenDirectly;
        Direct.Inc(Delta(seen.Direct, direct));
        seen.Direct = direct;
    }

    private static long Delta(long last, long now) => now >= last ? now - last : now;

    private sealed class Seen
    {
        public Dictionary<string, (long Written, long Failed, long Fsyncs)> Tables { get; } = new(StringComparer.Ordinal);

        public long Refused { get; set; }

        public long Direct { get; set; }
    }
}
