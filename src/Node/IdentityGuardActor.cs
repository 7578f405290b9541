using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace HTableCluster.Node;

/// <summary>
/// Refuses a second node with the same node id: every node carries its id as a cluster role, and
/// when a member at another address has this node's id and became Up first, this node leaves the
/// cluster and stops (the same address with a new incarnation is a restart, not a conflict).
/// </summary>
internal sealed class IdentityGuardActor : ReceiveActor
{
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly string _role;
    private bool _refused;

    public IdentityGuardActor(string nodeId, Action<string> refuse)
    {
        _role = RoleOf(nodeId);
        Receive<ClusterEvent.IMemberEvent>(e =>
        {
            var m = e.Member;
            if (_refused || m.Address == _cluster.SelfAddress || !m.HasRole(_role) || m.Status != MemberStatus.Up)
                return;
            var self = _cluster.SelfMember;
            if (self.Status == MemberStatus.Up && self.IsOlderThan(m))
                return; // the other one leaves
            _refused = true;
            var message = $"node id '{nodeId}' is already used by the cluster member at {m.Address}; this node leaves";
            Context.GetLogger().Error("{Refusal}", message);
            _cluster.Leave(_cluster.SelfAddress);
            refuse(message);
        });
    }

    /// <summary>The cluster role carrying a node id (hex, because roles are written unquoted into HOCON).</summary>
    public static string RoleOf(string nodeId) => "node-id-" + Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(nodeId));

    protected override void PreStart() =>
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent));

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    public static Props Props(string nodeId, Action<string> refuse) =>
        Akka.Actor.Props.Create(() => new IdentityGuardActor(nodeId, refuse));
}
