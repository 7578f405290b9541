using Akka.Actor;
using static HTableCluster.Replication.ReplicationProtocol;

namespace HTableCluster.Node.Database;

/// <summary>
/// The cluster singleton (<c>/user/table-store/table-store</c>, on the oldest member) that writes
/// replicated tables back to the database, so exactly one node stores them; every node reaches it
/// through its proxy. It stores this node's copy, which replication keeps equal to the others.
/// </summary>
public sealed class TableStoreActor : ReceiveActor
{
    /// <summary>Creates the actor over the node's store.</summary>
    public TableStoreActor(TableStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        ReceiveAsync<StoreRequest>(async q => Sender.Tell(new StoreReply(q.Table, await store.StoreHereAsync(q.Table).ConfigureAwait(false))));
    }

    /// <summary>Props for the actor.</summary>
    public static Props Props(TableStore store) => Akka.Actor.Props.Create(() => new TableStoreActor(store));
}
