namespace HTableCluster.Replication;

/// <summary>
/// Messages of cluster-wide table events (DESIGN.md "Events"): the expired items a node's sweep
/// collected, handed to the <see cref="EventRelayActor"/>, and the event the chosen node publishes
/// to every member.
/// </summary>
public static class EventProtocol
{
    /// <summary>Kinds of events; a wire enum (explicit values, append-only).</summary>
    public enum EventKind : byte
    {
        /// <summary><c>htable:expired:&lt;table&gt;</c>.</summary>
        Expired = 1,

        /// <summary><c>htable:reloaded:&lt;table&gt;</c> (a node reloaded its copy).</summary>
        Reloaded = 2,

        /// <summary><c>htable:mod-init</c> (a node started its tables).</summary>
        ModInit = 3,
    }

    /// <summary>
    /// One table event. (<see cref="Table"/>, <see cref="Key"/>, <see cref="Version"/>) identifies
    /// it: every replica holds the item with the same version, so the copies collected on different
    /// nodes are the same event. <see cref="OriginNode"/> is the node that fired it and
    /// <see cref="AtMs"/> its clock then (Unix milliseconds).
    /// </summary>
    public sealed record Fired(EventKind Kind, string Table, string Key, bool IsInteger, long IntValue, string StringValue, long Version, string OriginNode, long AtMs) : IHTableWireMessage;

    /// <summary>
    /// An event this node raised and already delivered to its own subscribers (a reload, its
    /// mod-init), for the relay to publish to the other members (local, never on the wire).
    /// </summary>
    public sealed record Announced(Fired Event);

    /// <summary>Expired items of a replicated table this node's sweep collected (local, never on the wire).</summary>
    public sealed record Collected(IReadOnlyList<Fired> Items);
}
