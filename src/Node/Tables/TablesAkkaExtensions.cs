using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Hosting;
using HTableCluster.Replication;
using HTableCluster.Storage;

namespace HTableCluster.Node.Tables;

/// <summary>Akka.Hosting registration of the table writers.</summary>
public static class TablesAkkaExtensions
{
    /// <summary>
    /// Starts one <see cref="TableActor"/> per partition of every table (paths
    /// <c>/user/table-&lt;name&gt;-&lt;partition&gt;</c>) and hands them to <paramref name="node"/>.
    /// When the replication actor is registered (<see cref="ReplicationAkkaExtensions.WithReplication"/>
    /// before this), the writers of replicated tables announce themselves to it
    /// (<see cref="WriterProtocol.WriterReady"/>) and hand it their changes.
    /// </summary>
    public static AkkaConfigurationBuilder WithTables(this AkkaConfigurationBuilder builder,
        IReadOnlyList<HTable> tables, HTableNode node, TableEvents events, TimeSpan sweepInterval, bool writeConcern = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(events);
        return builder.WithActors((system, registry) =>
        {
            // Up-since times for cluster.members are recorded from the start of every actor system.
            MemberTimes.Get(system);
            var replication = registry.TryGet<ReplicationActor>(out var r) ? r : null;
            var clients = new List<TableClient>(tables.Count);
            foreach (var table in tables)
            {
                var writers = new IActorRef[table.PartitionCount];
                for (var i = 0; i < writers.Length; i++)
                    writers[i] = system.ActorOf(TableActor.Props(table.Partition(i), sweepInterval, events, replication, writeConcern), $"table-{ActorNames.ForTable(table.Name)}-{i}");
                clients.Add(new TableClient(table, writers, ((ExtendedActorSystem)system).Provider));
            }
            // Expired events of replicated tables fire once per cluster through the relay (see TableEvents).
            if (replication is not null && events.ClusterWide && tables.Any(t => t.Replicated))
            {
                var mediator = DistributedPubSub.Get(system).Mediator;
                var relay = system.ActorOf(EventRelayActor.Props(events.NodeId, mediator, events.Grace, events.Deliver), EventRelayActor.Name);
                events.UseRelay(relay);
                // While the actor system is rebuilt after a downing, expired items fire locally
                // rather than being lost (at-least-once).
                _ = system.WhenTerminated.ContinueWith(_ => events.ReleaseRelay(relay), TaskScheduler.Default);
            }
            node.Start(clients, replication is null ? null : new ReplicationClient(replication));
        });
    }
}
