using Prometheus;

namespace HTableCluster.Node.Accounting;

/// <summary>
/// The flatstore's figures in <c>/metrics</c>, read when scraped. The registry is the process's, so
/// the figures are the sums over the nodes of the process whose flatstore is enabled and not yet
/// stopped (one node per process outside tests).
/// </summary>
internal static class FlatStoreMetrics
{
    private static readonly Lock Gate = new();
    private static readonly List<FlatStoreClient> Clients = [];
    private static bool Registered;

    /// <summary>Reports <paramref name="client"/>'s figures from now on (nothing when its flatstore is disabled).</summary>
    public static void Register(FlatStoreClient client)
    {
        if (client.Files is null)
            return;
        lock (Gate)
        {
            Clients.Add(client);
            if (Registered)
                return;
            Registered = true;
        }
        var written = Metrics.CreateGauge("htcluster_flatstore_records_written", "Accounting records written (acknowledged) per table.", "table");
        var failed = Metrics.CreateGauge("htcluster_flatstore_records_failed", "Accounting records whose write failed (answered with an error) per table.", "table");
        var fsyncs = Metrics.CreateGauge("htcluster_flatstore_fsyncs", "Times a table's file was forced to disk.", "table");
        var refused = Metrics.CreateGauge("htcluster_flatstore_records_refused", "Accounting records refused before reaching a file (bad table name, too many tables, stopping).");
        var direct = Metrics.CreateGauge("htcluster_flatstore_records_direct", "Accounting records written straight to the files while the actor system was stopping or being rebuilt.");
        Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            FlatStoreClient[] clients;
            lock (Gate)
                clients = [.. Clients];
            var perTable = new Dictionary<string, (long Written, long Failed, long Fsyncs)>(StringComparer.Ordinal);
            long refusedSum = 0, directSum = 0;
            foreach (var client in clients)
            {
                var files = client.Files!;
                foreach (var (table, writer) in files.Writers)
                {
                    var sum = perTable.GetValueOrDefault(table);
                    perTable[table] = (sum.Written + writer.Written, sum.Failed + writer.Failed, sum.Fsyncs + writer.Fsyncs);
                }
                refusedSum += files.Refused;
                directSum += client.WrittenDirectly;
            }
            foreach (var (table, sum) in perTable)
            {
                written.WithLabels(table).Set(sum.Written);
                failed.WithLabels(table).Set(sum.Failed);
                fsyncs.WithLabels(table).Set(sum.Fsyncs);
            }
            refused.Set(refusedSum);
            direct.Set(directSum);
        });
    }

    /// <summary>Stops reporting <paramref name="client"/> (its node stopped).</summary>
    public static void Unregister(FlatStoreClient client)
    {
        lock (Gate)
            Clients.Remove(client);
    }
}
