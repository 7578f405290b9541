using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Cluster;

namespace HTableCluster.Node;

/// <summary>
/// When each cluster member became Up, as this node saw it (Akka's membership carries no times):
/// an extension of the actor system that subscribes to the membership as soon as it is created
/// (<see cref="Get"/> from the table writers' registration, before the node joins). Members already
/// Up when this node joined are dated from the moment it learned of them. Read by
/// <c>cluster.members</c>.
/// </summary>
internal sealed class MemberTimes : IExtension
{
    private readonly ConcurrentDictionary<UniqueAddress, DateTimeOffset> _upSince = new();

    private MemberTimes(ExtendedActorSystem system) =>
        system.SystemActorOf(Props.Create(() => new Watcher(this)), "member-times");

    /// <summary>The extension of <paramref name="system"/>, created (and subscribed) on first use.</summary>
    public static MemberTimes Get(ActorSystem system) => system.WithExtension<MemberTimes, Provider>();

    /// <summary>When <paramref name="member"/> became Up as seen here; null when not (yet) seen Up.</summary>
    public DateTimeOffset? UpSince(UniqueAddress member) => _upSince.TryGetValue(member, out var t) ? t : null;

    private sealed class Provider : ExtensionIdProvider<MemberTimes>
    {
        public override MemberTimes CreateExtension(ExtendedActorSystem system) => new(system);
    }

    private sealed class Watcher : ReceiveActor
    {
        private readonly Cluster _cluster = Cluster.Get(Context.System);

        public Watcher(MemberTimes times)
        {
            Receive<ClusterEvent.MemberUp>(e => times._upSince.TryAdd(e.Member.UniqueAddress, DateTimeOffset.UtcNow));
            Receive<ClusterEvent.MemberWeaklyUp>(_ => { });
            Receive<ClusterEvent.MemberRemoved>(e => times._upSince.TryRemove(e.Member.UniqueAddress, out _));
            Receive<ClusterEvent.IMemberEvent>(_ => { });
        }

        protected override void PreStart() =>
            _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent));

        protected override void PostStop() => _cluster.Unsubscribe(Self);
    }
}
