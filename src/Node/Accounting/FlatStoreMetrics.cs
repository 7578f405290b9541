using Prometheus;

namespace HTableCluster.Node.Accounting;

/// <summary>
/// The flatstore's figures in <c>/metrics</c>, read when scraped. The registry is the process's, so
/// the node built last is the one reported (one node per process outside tests).
/// </summary>
internal static class FlatStoreMetrics
{
    private static readonly Lock Gate = new();
    private static FlatStoreClient? Current;
    private static bool Registered;

    public static void Register(FlatStoreClient client)
    {
        lock (Gate)
        {
            Current = client;
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
            var current = Current;
            if (current?.Files is not { } files)
                return;
            foreach (var (table, writer) in files.Writers)
            {
                written.WithLabels(table).Set(writer.Written);
                failed.WithLabels(table).Set(writer.Failed);
                fsyncs.WithLabels(table).Set(writer.Fsyncs);
            }
            refused.Set(files.Refused);
            direct.Set(current.WrittenDirectly);
        });
    }
}
