using HTableCluster.Node.Tables;
using HTableCluster.Replication;
using Prometheus;

namespace HTableCluster.Node;

/// <summary>
/// The node's own gauges in <c>/metrics</c> (prometheus-net): items per table, expired items
/// collected and the replication counters of the current incarnation, read when scraped. RPC calls
/// and heap compactions are counted where they happen.
/// </summary>
internal static class NodeMetrics
{
    /// <summary>Reads the node's state before every scrape.</summary>
    public static void Register(HTableNode node, TableEvents events, ClusterMember member)
    {
        var items = Metrics.CreateGauge("htcluster_table_items", "Items stored per table (including expired ones not yet collected).", "table");
        var expired = Metrics.CreateGauge("htcluster_expired_items_collected", "Items removed by expiry since start.");
        var replication = ReplicationMetrics(() => member.Replication);
        Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            foreach (var t in node.Tables)
                items.WithLabels(t.Name).Set(t.Table.RawCount);
            expired.Set(events.ExpiredCount);
            foreach (var (gauge, read) in replication)
                gauge.Set(read());
        });
    }

    private static List<(Gauge Gauge, Func<long> Read)> ReplicationMetrics(Func<ReplicationStatus> current) =>
    [
        (Metrics.CreateGauge("htcluster_replication_batches_sent", "Live batches published."), () => current().BatchesSent),
        (Metrics.CreateGauge("htcluster_replication_items_sent", "Items published."), () => current().ItemsSent),
        (Metrics.CreateGauge("htcluster_replication_batches_received", "Batches received from peers (live and resent)."), () => current().BatchesReceived),
        (Metrics.CreateGauge("htcluster_replication_items_applied", "Received items handed to the writers (duplicates excluded)."), () => current().ItemsApplied),
        (Metrics.CreateGauge("htcluster_replication_gaps_detected", "Missing batch ranges re-requested."), () => current().GapsDetected),
        (Metrics.CreateGauge("htcluster_replication_batches_resent", "Batches sent again on a peer's request."), () => current().BatchesResent),
        (Metrics.CreateGauge("htcluster_replication_resends_gone", "Re-requests beyond the retransmit buffer (repaired by snapshot)."), () => current().ResendsGone),
        (Metrics.CreateGauge("htcluster_replication_syncs_completed", "Snapshots merged from peers."), () => current().SyncsCompleted),
        (Metrics.CreateGauge("htcluster_replication_sync_items", "Items received in snapshots."), () => current().SyncItems),
        (Metrics.CreateGauge("htcluster_replication_marker_floor_ms", "Unix ms before which every member has seen the changes (older deletion markers are dropped)."), () => current().MarkerFloorMs),
        (Metrics.CreateGauge("htcluster_replication_digest_rounds", "Anti-entropy rounds started (digests compared with a peer)."), () => current().DigestRounds),
        (Metrics.CreateGauge("htcluster_replication_digest_bytes_sent", "Bytes of digests, cell lists and items sent for anti-entropy."), () => current().DigestBytesSent),
        (Metrics.CreateGauge("htcluster_replication_digest_buckets_differing", "Buckets found to differ in anti-entropy rounds."), () => current().DigestBucketsDiffering),
        (Metrics.CreateGauge("htcluster_replication_digest_items_received", "Items received in anti-entropy exchanges."), () => current().DigestItemsReceived),
        (Metrics.CreateGauge("htcluster_replication_digest_items_sent", "Items sent in anti-entropy exchanges."), () => current().DigestItemsSent),
        (Metrics.CreateGauge("htcluster_replication_catchup_items", "Items fetched from origins first met without init sync (their writes since this node joined)."), () => current().CatchUpItems),
        (Metrics.CreateGauge("htcluster_replication_mismatched", "Batches ignored: the sender defines the table differently."), () => current().Mismatched),
        (Metrics.CreateGauge("htcluster_replication_malformed_items", "Received items dropped as malformed."), () => current().Malformed),
        (Metrics.CreateGauge("htcluster_replication_oversized_items", "Local items too large to replicate (kept on this node only)."), () => current().OversizedItems),
    ];
}
