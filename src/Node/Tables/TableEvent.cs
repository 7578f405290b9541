namespace HTableCluster.Node.Tables;

/// <summary>
/// One table event as this node delivers it (GET /events, <see cref="TableEvents.Raised"/>,
/// <see cref="TableEvents.ReadAllAsync"/>). (<see cref="Table"/>, <see cref="Key"/>,
/// <see cref="Version"/>) identifies an expired event across the cluster; <see cref="Sequence"/>
/// numbers the events this node delivered (the SSE <c>id:</c>; each start numbers from its start time, see <see cref="TableEvents.FirstSequence"/>).
/// <see cref="OriginNode"/> is the node that fired it.
/// </summary>
public sealed record TableEvent(
    TableEventKind Kind,
    string Table,
    string Key,
    bool IsInteger,
    long IntValue,
    string? StringValue,
    long Version,
    string OriginNode,
    DateTimeOffset Time)
{
    /// <summary>This node's sequence number of the event (0 until delivered).</summary>
    public long Sequence { get; init; }

    /// <summary>Kamailio's event route name, e.g. <c>htable:expired:users</c>.</summary>
    public string Route => Kind switch
    {
        TableEventKind.Expired => "htable:expired:" + Table,
        TableEventKind.Reloaded => "htable:reloaded:" + Table,
        _ => "htable:mod-init",
    };
}
