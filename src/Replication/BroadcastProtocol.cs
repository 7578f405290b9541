namespace HTableCluster.Replication;

/// <summary>
/// Messages a node sends to the clients of every member: a Redis PUBLISH made on one node reaches
/// the subscribers connected to the others (as Redis Cluster broadcasts PUBLISH).
/// </summary>
public static class BroadcastProtocol
{
    /// <summary>
    /// A message published on <see cref="OriginNode"/> (already delivered to that node's own
    /// subscribers), for the subscribers of every other member.
    /// </summary>
    public sealed record Published(string OriginNode, byte[] Channel, byte[] Message) : IHTableWireMessage;

    /// <summary>A message of this node for the relay to publish (local, never on the wire).</summary>
    public sealed record Outgoing(Published Message);
}
