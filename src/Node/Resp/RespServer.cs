using HTableCluster.Node.Tables;

namespace HTableCluster.Node.Resp;

/// <summary>
/// What every connection of the Redis protocol endpoint shares: the node's tables and the order in
/// which SELECT numbers them, and the command table.
/// </summary>
public sealed class RespServer(HTableNode node, RespCommandTable commands, IReadOnlyList<string>? databaseOrder = null)
{
    private (IReadOnlyList<TableClient> Source, IReadOnlyList<TableClient> Ordered) _databases = ([], []);

    /// <summary>The node's tables.</summary>
    public HTableNode Node { get; } = node;

    /// <summary>The commands served.</summary>
    public RespCommandTable Commands { get; } = commands;

    /// <summary>When the endpoint started (Unix seconds; LASTSAVE answers with it).</summary>
    public long StartedAtSeconds { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>
    /// The tables SELECT numbers from 0: those named in the configured order first (unknown names
    /// are skipped), then the others in definition order. Follows the node when its actor system is
    /// rebuilt (new table clients, same tables).
    /// </summary>
    public IReadOnlyList<TableClient> Databases
    {
        get
        {
            var current = _databases;
            var tables = Node.Tables;
            if (ReferenceEquals(current.Source, tables))
                return current.Ordered;
            var ordered = new List<TableClient>(tables.Count);
            foreach (var name in databaseOrder ?? [])
            {
                if (Node.Find(name) is { } t && !ordered.Contains(t))
                    ordered.Add(t);
            }
            foreach (var t in tables)
            {
                if (!ordered.Contains(t))
                    ordered.Add(t);
            }
            _databases = (tables, ordered);
            return ordered;
        }
    }
}
