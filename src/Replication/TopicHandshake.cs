namespace HTableCluster.Replication;

/// <summary>
/// Whether the pub-sub registries of this node and of each Up peer know each other's subscription
/// to a table's topic yet. A member is Up before the registries have gossiped: until then a peer's
/// live batches miss this node (and this node's miss the peer), and only the next announcement,
/// about a second later, reveals them. A joining node counts as in sync only once, for every Up
/// peer, a message the peer published on the topic has arrived here (<see cref="Direction.Inbound"/>) and a
/// message this node published has arrived there (<see cref="Direction.Outbound"/>), or the peer said it does
/// not replicate the table; peers that stay silent past the time limit are given up on (their
/// announcements repair what they miss, as before).
/// </summary>
/// <typeparam name="TPeer">How a peer is identified (its cluster address).</typeparam>
public sealed class TopicHandshake<TPeer>(DateTime startedAt, TimeSpan limit)
    where TPeer : notnull
{
    private readonly Dictionary<TPeer, Direction> _confirmed = [];

    /// <summary>What has been confirmed with a peer.</summary>
    [Flags]
    public enum Direction
    {
        /// <summary>Nothing yet.</summary>
        None = 0,

        /// <summary>The peer's publications reach this node.</summary>
        Inbound = 1,

        /// <summary>This node's publications reach the peer.</summary>
        Outbound = 2,

        /// <summary>Both ways (also: the peer does not replicate the table, so nothing flows).</summary>
        Both = Inbound | Outbound,
    }

    /// <summary>True once the handshake has ended (every peer confirmed, or the time limit passed).</summary>
    public bool IsDone { get; private set; }

    /// <summary>Records what a peer's answer proved.</summary>
    public void Confirm(TPeer peer, Direction direction) =>
        _confirmed[peer] = _confirmed.GetValueOrDefault(peer) | direction;

    /// <summary>What is still missing with each of <paramref name="upPeers"/> (only the peers still missing something).</summary>
    public List<(TPeer Peer, Direction Missing)> Missing(IEnumerable<TPeer> upPeers)
    {
        ArgumentNullException.ThrowIfNull(upPeers);
        var missing = new List<(TPeer, Direction)>();
        foreach (var peer in upPeers)
        {
            var lacking = Direction.Both & ~_confirmed.GetValueOrDefault(peer);
            if (lacking != Direction.None)
                missing.Add((peer, lacking));
        }
        return missing;
    }

    /// <summary>
    /// Ends the handshake when nothing is missing with the current Up peers, or when the time limit
    /// has passed (then <paramref name="givenUp"/> lists who was still missing). A peer that left
    /// meanwhile is no longer among <paramref name="upPeers"/> and no longer waited for.
    /// </summary>
    public bool TryFinish(IEnumerable<TPeer> upPeers, DateTime now, out List<(TPeer Peer, Direction Missing)> givenUp)
    {
        givenUp = [];
        if (IsDone)
            return true;
        var missing = Missing(upPeers);
        if (missing.Count > 0 && now - startedAt < limit)
            return false;
        givenUp = missing;
        IsDone = true;
        return true;
    }
}
