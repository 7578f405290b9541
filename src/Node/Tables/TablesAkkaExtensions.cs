using Akka.Actor;
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
    /// before this), the writers of replicated tables report to it and it gets their addresses.
    /// </summary>
    public static AkkaConfigurationBuilder WithTables(this AkkaConfigurationBuilder builder,
        IReadOnlyList<HTable> tables, HTableNode node, TableEvents events, TimeSpan sweepInterval, bool raiseModInit = true, bool writeConcern = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(events);
        return builder.WithActors((system, registry) =>
        {
            var replication = registry.TryGet<ReplicationActor>(out var r) ? r : null;
            var clients = new List<TableClient>(tables.Count);
            var replicated = new Dictionary<string, IReadOnlyList<IActorRef>>(StringComparer.Ordinal);
            foreach (var table in tables)
            {
                var writers = new IActorRef[table.PartitionCount];
                for (var i = 0; i < writers.Length; i++)
                    writers[i] = system.ActorOf(TableActor.Props(table.Partition(i), sweepInterval, events, replication, writeConcern), $"table-{ActorName(table.Name)}-{i}");
                clients.Add(new TableClient(table, writers));
                if (table.Replicated)
                    replicated[table.Name] = writers;
            }
            replication?.Tell(new ReplicationProtocol.Attach(replicated));
            node.Start(clients);
            if (raiseModInit)
                events.OnModInit();
        });
    }

    // Actor names allow a limited character set; anything else is escaped.
    private static string ActorName(string table) =>
        Uri.EscapeDataString(table).Replace("%", "_", StringComparison.Ordinal);
}
