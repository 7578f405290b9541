using Akka.Cluster;
using HTableCluster.Node.Rpc;
using HTableCluster.Node.Tables;
using HTableCluster.Replication;
using Prometheus;

namespace HTableCluster.Node;

/// <summary>
/// The node's own figures in <c>/metrics</c> (prometheus-net), following Prometheus' conventions
/// (<c>promtool check metrics</c> passes): live items per table (<c>htable.stats</c>' <c>all</c>),
/// expired items collected, cluster members by status, replication counters summed over the
/// node's incarnations, and the replication lag per peer (a histogram fed as batches are applied,
/// <see cref="LagObserver"/>, and the last batch's lag), read when scraped. RPC calls and heap
/// compactions are counted where they happen.
/// </summary>
internal static class NodeMetrics
{
    private static readonly Lock DefaultsGate = new();
    private static bool DefaultsSet;

    // From half a millisecond (a lone update on a quiet link) to a minute (a batch resent after a gap).
    private static readonly Histogram Lag = Metrics.CreateHistogram("htcluster_replication_lag_seconds",
        "Replication lag per peer: from the peer queueing a batch's oldest change to this node applying the batch (wall clocks of both hosts).",
        new HistogramConfiguration
        {
            LabelNames = ["peer"],
            Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
            SuppressInitialValue = true,
            ExemplarBehavior = ExemplarBehavior.NoExemplars(),
        });

    /// <summary>For <see cref="ReplicaStart.LagObserver"/>: the lag histogram of one peer (node id).</summary>
    public static Func<string, Action<double>> LagObserver { get; } = peer =>
    {
        var child = Lag.WithLabels(peer);
        return seconds => child.Observe(seconds);
    };

    /// <summary>Reads the node's state before every scrape.</summary>
    public static void Register(HTableNode node, TableEvents events, ClusterMember member)
    {
        SuppressNonConformingDefaults();
        var items = Metrics.CreateGauge("htcluster_table_items", "Live items per table (htable.stats' all: expired items not yet collected and deletion markers excluded).", "table");
        var expired = Metrics.CreateCounter("htcluster_expired_items_collected_total", "Items removed by expiry since start.");
        var members = Metrics.CreateGauge("htcluster_cluster_members", "Cluster members by status as this node sees them (joining, up, leaving, unreachable, down).", "status");
        var lastLag = Metrics.CreateGauge("htcluster_replication_last_lag_seconds", "Lag of the last batch applied from each peer (any table).", "peer");
        var floor = Metrics.CreateGauge("htcluster_replication_marker_floor_seconds", "Unix time before which every member has seen the changes (older deletion markers are dropped).");
        var replication = new IncarnationCounters(() => member.Replication);
        var lagPeers = new HashSet<string>(StringComparer.Ordinal);
        Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            foreach (var t in node.Tables)
                items.WithLabels(t.Name).Set(t.Table.SlotStats().Items);
            expired.IncTo(events.ExpiredCount);
            replication.Update();
            var status = member.Replication;
            floor.Set(status.MarkerFloorMs / 1000.0);
            CountMembers(member, members);
            lock (lagPeers)
                SetLastLags(status, lastLag, lagPeers);
        });
    }

    // prometheus-net's .NET meter and event counter adapters export names promtool rejects
    // (counts ending in _count, gauges ending in _total); its process and .NET heap figures stay.
    private static void SuppressNonConformingDefaults()
    {
        lock (DefaultsGate)
        {
            if (DefaultsSet)
                return;
            DefaultsSet = true;
            Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions
            {
                SuppressMeters = true,
                SuppressEventCounters = true,
                SuppressDebugMetrics = true,
            });
        }
    }

    private static void CountMembers(ClusterMember member, Gauge members)
    {
        Span<int> counts = stackalloc int[ClusterMethods.Statuses.Count];
        if (member.System is { } system)
        {
            var state = Cluster.Get(system).State;
            foreach (var m in state.Members)
            {
                var i = IndexOf(ClusterMethods.StatusOf(m, state));
                if (i >= 0)
                    counts[i]++;
            }
        }
        for (var i = 0; i < counts.Length; i++)
            members.WithLabels(ClusterMethods.Statuses[i]).Set(counts[i]);
    }

    private static int IndexOf(string status)
    {
        for (var i = 0; i < ClusterMethods.Statuses.Count; i++)
        {
            if (ClusterMethods.Statuses[i] == status)
                return i;
        }
        return -1;
    }

    // The last lag per peer node id is the one of its most recently applied batch; peers no longer
    // in the cluster leave the gauge.
    private static void SetLastLags(ReplicationStatus status, Gauge lastLag, HashSet<string> published)
    {
        var latest = new Dictionary<string, (long AtMs, long LagUs)>(StringComparer.Ordinal);
        foreach (var table in status.Tables)
        {
            foreach (var peer in table.Peers)
            {
                var lag = peer.LastLagUs;
                var at = peer.LastAppliedAtMs;
                if (lag < 0 || (latest.TryGetValue(peer.Origin.NodeId, out var seen) && seen.AtMs >= at))
                    continue;
                latest[peer.Origin.NodeId] = (at, lag);
            }
        }
        foreach (var gone in published.Where(p => !latest.ContainsKey(p)).ToList())
        {
            lastLag.RemoveLabelled(gone);
            published.Remove(gone);
        }
        foreach (var (peer, (_, lagUs)) in latest)
        {
            lastLag.WithLabels(peer).Set(lagUs / 1e6);
            published.Add(peer);
        }
    }

    /// <summary>
    /// Replication counters as Prometheus counters: each incarnation of the actor system counts from
    /// zero, so the totals of the incarnations before the current one are kept and added.
    /// </summary>
    private sealed class IncarnationCounters(Func<ReplicationStatus> current)
    {
        private readonly (Counter Counter, Func<ReplicationStatus, long> Read)[] _counters =
        [
            (Metrics.CreateCounter("htcluster_replication_batches_sent_total", "Live batches published."), s => s.BatchesSent),
            (Metrics.CreateCounter("htcluster_replication_items_sent_total", "Items published."), s => s.ItemsSent),
            (Metrics.CreateCounter("htcluster_replication_batches_received_total", "Batches received from peers (live and resent)."), s => s.BatchesReceived),
            (Metrics.CreateCounter("htcluster_replication_items_received_total", "Items received from peers in batches (duplicates included)."), s => s.ItemsReceived),
            (Metrics.CreateCounter("htcluster_replication_items_applied_total", "Received items handed to the writers (duplicates excluded)."), s => s.ItemsApplied),
            (Metrics.CreateCounter("htcluster_replication_gaps_detected_total", "Missing batch ranges re-requested."), s => s.GapsDetected),
            (Metrics.CreateCounter("htcluster_replication_batches_resent_total", "Batches sent again on a peer's request."), s => s.BatchesResent),
            (Metrics.CreateCounter("htcluster_replication_resends_gone_total", "Re-requests beyond the retransmit buffer (repaired by comparing digests)."), s => s.ResendsGone),
            (Metrics.CreateCounter("htcluster_replication_syncs_completed_total", "Snapshots merged from peers."), s => s.SyncsCompleted),
            (Metrics.CreateCounter("htcluster_replication_sync_items_total", "Items received in snapshots."), s => s.SyncItems),
            (Metrics.CreateCounter("htcluster_replication_digest_rounds_total", "Anti-entropy rounds started (digests compared with a peer)."), s => s.DigestRounds),
            (Metrics.CreateCounter("htcluster_replication_digest_sent_bytes_total", "Bytes of digests, cell lists and items sent for anti-entropy."), s => s.DigestBytesSent),
            (Metrics.CreateCounter("htcluster_replication_digest_buckets_differing_total", "Buckets found to differ in anti-entropy rounds."), s => s.DigestBucketsDiffering),
            (Metrics.CreateCounter("htcluster_replication_digest_items_received_total", "Items received in anti-entropy exchanges."), s => s.DigestItemsReceived),
            (Metrics.CreateCounter("htcluster_replication_digest_items_sent_total", "Items sent in anti-entropy exchanges."), s => s.DigestItemsSent),
            (Metrics.CreateCounter("htcluster_replication_catchup_items_total", "Items fetched from origins first met without init sync (their writes since this node joined)."), s => s.CatchUpItems),
            (Metrics.CreateCounter("htcluster_replication_mismatched_total", "Batches ignored: the sender defines the table differently."), s => s.Mismatched),
            (Metrics.CreateCounter("htcluster_replication_malformed_items_total", "Received items dropped as malformed."), s => s.Malformed),
            (Metrics.CreateCounter("htcluster_replication_oversized_items_total", "Local items too large to replicate (kept on this node only)."), s => s.OversizedItems),
        ];

        private readonly Lock _gate = new();
        private long[]? _finished;
        private ReplicationStatus? _last;

        public void Update()
        {
            lock (_gate)
            {
                var now = current();
                _finished ??= new long[_counters.Length];
                if (_last is not null && !ReferenceEquals(_last, now))
                {
                    // A new incarnation: the previous one's final figures (its status object no
                    // longer changes) join the totals.
                    for (var i = 0; i < _counters.Length; i++)
                        _finished[i] += _counters[i].Read(_last);
                }
                _last = now;
                for (var i = 0; i < _counters.Length; i++)
                    _counters[i].Counter.IncTo(_finished[i] + _counters[i].Read(now));
            }
        }
    }
}
