using Akka.Actor;

namespace HTableCluster.Replication;

/// <summary>What a snapshot client does next (see <see cref="SnapshotRun.NextStep"/>).</summary>
public enum SnapshotStep
{
    /// <summary>Ask the next candidate donor.</summary>
    AskNext,

    /// <summary>The copy was cleared for a resync and no peer is left to refill it: fail the waiters, stay not synced, retry.</summary>
    ClearedWithoutPeer,

    /// <summary>No peer at all: nothing to sync with; done with the local content.</summary>
    NoPeer,

    /// <summary>Every peer refused for good (e.g. a different definition): done with the local content.</summary>
    NoDonor,

    /// <summary>The peers are all still syncing and this node is the oldest of them: it serves its own content.</summary>
    Oldest,

    /// <summary>The peers are still syncing: ask again shortly, the waiters keep waiting.</summary>
    WaitForPeers,

    /// <summary>An explicit sync found no donor: fail the waiters.</summary>
    Failed,
}

/// <summary>
/// One attempt of a table replicator to take a snapshot from a peer: the donors still to ask
/// (oldest member first), the current request, what the refusals said, and who waits for the
/// outcome. <see cref="NextStep"/> is the whole decision, a function of this state.
/// </summary>
public sealed class SnapshotRun(bool initial, Queue<ICanTell> candidates)
{
    /// <summary>The first sync of the table (at join, after a rebuild, or until one succeeds).</summary>
    public bool Initial { get; set; } = initial;

    /// <summary>Donors not asked yet.</summary>
    public Queue<ICanTell> Candidates { get; } = candidates;

    /// <summary>Correlation ids of the sync commands waiting for this run.</summary>
    public List<long> Waiters { get; } = [];

    /// <summary>True once some donor was asked.</summary>
    public bool Asked { get; set; }

    /// <summary>The current request (-1 once the last chunk arrived).</summary>
    public long RequestId { get; set; }

    /// <summary>The donor serving the current request, once it answered.</summary>
    public IActorRef? Donor { get; set; }

    /// <summary>Items merged so far.</summary>
    public int Items { get; set; }

    /// <summary>Bytes of the items merged so far.</summary>
    public long Bytes { get; set; }

    /// <summary>When the current request was sent (<see cref="Environment.TickCount64"/>).</summary>
    public long AskedAtMs { get; set; }

    /// <summary>When its first chunk arrived (0 until then).</summary>
    public long FirstChunkAtMs { get; set; }

    /// <summary>The last refusal or timeout.</summary>
    public string? LastError { get; set; }

    /// <summary>Peers that refused because they are not ready yet.</summary>
    public HashSet<Address> NotReady { get; } = [];

    /// <summary>A resync: the table was cleared first, and this node's own recent batches go back in after the snapshot.</summary>
    public bool Replace { get; init; }

    /// <summary>
    /// What to do after a refusal, a timeout or at the start. <paramref name="oldestAmongNotReady"/>:
    /// this node is older than every peer that said it is not ready yet.
    /// </summary>
    public SnapshotStep NextStep(bool oldestAmongNotReady)
    {
        if (Candidates.Count > 0)
            return SnapshotStep.AskNext;
        if (!Asked)
            return Replace ? SnapshotStep.ClearedWithoutPeer : SnapshotStep.NoPeer;
        if (!Initial)
            return SnapshotStep.Failed;
        if (NotReady.Count == 0)
            return SnapshotStep.NoDonor;
        return oldestAmongNotReady ? SnapshotStep.Oldest : SnapshotStep.WaitForPeers;
    }
}
