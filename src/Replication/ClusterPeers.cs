using Akka.Actor;
using Akka.Cluster;

namespace HTableCluster.Replication;

/// <summary>
/// The other members of the cluster as a table replicator sees them (the cluster's current state):
/// who is Up, oldest first (the oldest has been ready longest and serves snapshots first), and the
/// replication actor of a member, which routes to that member's replicator of the same table.
/// </summary>
internal sealed class ClusterPeers(Cluster cluster, ActorSystem system, string replicationName, bool publishWhenAlone)
{
    /// <summary>Any other member, whatever its status (a joining one is about to need the batches).</summary>
    public bool Any => publishWhenAlone || cluster.State.Members.Count > 1;

    /// <summary>True for this node's own member.</summary>
    public bool IsSelf(Member member) => member.UniqueAddress == cluster.SelfUniqueAddress;

    /// <summary>Up members other than this node, oldest first.</summary>
    public List<Member> Up()
    {
        var up = cluster.State.Members.Where(m => m.Status == MemberStatus.Up && !IsSelf(m)).ToList();
        up.Sort((a, b) => a.IsOlderThan(b) ? -1 : b.IsOlderThan(a) ? 1 : 0);
        return up;
    }

    /// <summary>The addresses of <see cref="Up"/>.</summary>
    public List<Address> UpAddresses() => [.. Up().Select(m => m.Address)];

    /// <summary>The incarnations (uids) of every other member, whatever its status.</summary>
    public List<long> OtherUids() => [.. cluster.State.Members.Where(m => !IsSelf(m)).Select(m => (long)m.UniqueAddress.Uid)];

    /// <summary>True when this node is older than every member at <paramref name="others"/>.</summary>
    public bool OldestAmong(HashSet<Address> others)
    {
        var self = cluster.SelfMember;
        return cluster.State.Members.Where(m => others.Contains(m.Address)).All(m => self.IsOlderThan(m));
    }

    /// <summary>The replication actor of the member at <paramref name="address"/>.</summary>
    public ICanTell Replicator(Address address) =>
        system.ActorSelection(new RootActorPath(address) / "user" / replicationName);

    /// <summary>The replication actors of the Up peers, oldest first: who may serve a snapshot.</summary>
    public Queue<ICanTell> DonorCandidates() => new(Up().Select(m => Replicator(m.Address)));
}
