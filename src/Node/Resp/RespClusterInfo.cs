namespace HTableCluster.Node.Resp;

/// <summary>
/// The cluster figures INFO replication answers with: this node's id, the other members that are
/// up (each a replica of the same tables, as every node takes writes) and whether the node is ready.
/// </summary>
public sealed record RespClusterInfo(string NodeId, IReadOnlyList<string> Peers, bool Ready);
