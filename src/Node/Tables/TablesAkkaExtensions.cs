using Akka.Actor;
using Akka.Hosting;
using HTableCluster.Storage;

namespace HTableCluster.Node.Tables;

/// <summary>Akka.Hosting registration of the table writers.</summary>
public static class TablesAkkaExtensions
{
    /// <summary>
    /// Starts one <see cref="TableActor"/> per partition of every table (paths
    /// <c>/user/table-&lt;name&gt;-&lt;partition&gt;</c>) and hands them to <paramref name="node"/>.
    /// </summary>
    public static AkkaConfigurationBuilder WithTables(this AkkaConfigurationBuilder builder,
        IReadOnlyList<HTable> tables, HTableNode node, TableEvents events, TimeSpan sweepInterval)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(events);
        return builder.WithActors((system, _) =>
        {
            var clients = new List<TableClient>(tables.Count);
            foreach (var table in tables)
            {
                var writers = new IActorRef[table.PartitionCount];
                for (var i = 0; i < writers.Length; i++)
                    writers[i] = system.ActorOf(TableActor.Props(table.Partition(i), sweepInterval, events), $"table-{ActorName(table.Name)}-{i}");
                clients.Add(new TableClient(table, writers));
            }
            node.Start(clients);
            events.OnModInit();
        });
    }

    // Actor names allow a limited character set; anything else is escaped.
    private static string ActorName(string table) =>
        Uri.EscapeDataString(table).Replace("%", "_", StringComparison.Ordinal);
}
