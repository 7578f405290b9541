using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Hosting;
using HTableCluster.Storage;

namespace HTableCluster.Replication;

/// <summary>Akka.Hosting registration of the replication layer.</summary>
public static class ReplicationAkkaExtensions
{
    /// <summary>
    /// Adds DistributedPubSub, the wire serializer and the <see cref="ReplicationActor"/>
    /// (<c>/user/replication</c>, registered as <see cref="IRequiredActor{TActor}"/> of
    /// <see cref="ReplicationActor"/>) for the given replicated tables. Call before the table writers
    /// are created: they report their changes to it.
    /// </summary>
    public static AkkaConfigurationBuilder WithReplication(this AkkaConfigurationBuilder builder,
        IReadOnlyList<HTable> tables, ReplicationOptions options, ReplicaStart start, ReplicationStatus status)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(status);
        return builder
            .WithDistributedPubSub(role: null!)
            .WithCustomSerializer("htable", [typeof(IHTableWireMessage)], system => new ReplicationSerializer(system))
            .WithActors((system, registry) =>
            {
                var mediator = DistributedPubSub.Get(system).Mediator;
                registry.Register<ReplicationActor>(system.ActorOf(ReplicationActor.Props(tables, options, start, status, mediator), "replication"));
            });
    }
}
