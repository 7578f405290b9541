using System.Collections.Concurrent;

namespace HTableCluster.Replication;

/// <summary>
/// One replicated table's sync state and, per peer, the last batch applied from it (see
/// <see cref="PeerReplicationStatus"/>). Written by the table's replicator, read from any thread.
/// </summary>
public sealed class TableReplicationStatus
{
    private readonly ConcurrentDictionary<Origin, PeerReplicationStatus> _peers = new();
    private volatile int _state;

    internal TableReplicationStatus(string name) => Name = name;

    /// <summary>The table.</summary>
    public string Name { get; }

    /// <summary>Where the table stands with its peers' content.</summary>
    public TableSyncState State => (TableSyncState)_state;

    /// <summary>Every peer a batch was applied from, for the members still in the cluster.</summary>
    public IReadOnlyList<PeerReplicationStatus> Peers => [.. _peers.Values];

    internal void SetState(TableSyncState state) => _state = (int)state;

    /// <summary>The figures of <paramref name="origin"/>, created with <paramref name="lagObserver"/> when first met.</summary>
    internal PeerReplicationStatus Peer(Origin origin, Func<string, Action<double>>? lagObserver) =>
        _peers.TryGetValue(origin, out var peer)
            ? peer
            : _peers.GetOrAdd(origin, o => new PeerReplicationStatus(o, lagObserver?.Invoke(o.NodeId)));

    /// <summary>Drops the figures of a removed member's incarnation.</summary>
    internal void Forget(long incarnation)
    {
        foreach (var origin in _peers.Keys)
        {
            if (origin.Incarnation == incarnation)
                _peers.TryRemove(origin, out _);
        }
    }
}
