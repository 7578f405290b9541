using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using static HTableCluster.Replication.BroadcastProtocol;

namespace HTableCluster.Replication;

/// <summary>
/// Cluster-wide Redis PUBLISH (path <c>/user/broadcast</c>): what this node sends (<see cref="Outgoing"/>)
/// goes to the <see cref="Topic"/>; what arrives there from another member is handed to this
/// node's subscribers (this node's own publication coming back is not). Best effort, as Redis Cluster's PUBLISH: a member that is unreachable, or
/// not yet subscribed to the topic, misses the message.
/// </summary>
public sealed class BroadcastRelayActor : ReceiveActor
{
    /// <summary>The pub-sub topic of published messages.</summary>
    public const string Topic = "htable-publish";

    private readonly IActorRef _mediator;

    /// <summary>Creates the relay; <paramref name="deliver"/> runs on the actor and must be quick.</summary>
    public BroadcastRelayActor(string nodeId, IActorRef mediator, Action<Published> deliver)
    {
        _mediator = mediator;
        Receive<Outgoing>(s => _mediator.Tell(new Publish(Topic, s.Message)));
        Receive<Published>(p =>
        {
            if (p.OriginNode != nodeId)
                deliver(p);
        });
        Receive<SubscribeAck>(_ => { });
    }

    /// <summary>Props for the relay.</summary>
    public static Props Props(string nodeId, IActorRef mediator, Action<Published> deliver) =>
        Akka.Actor.Props.Create(() => new BroadcastRelayActor(nodeId, mediator, deliver));

    /// <inheritdoc />
    protected override void PreStart() => _mediator.Tell(new Subscribe(Topic, Self));
}
