namespace HTableCluster.Replication;

/// <summary>
/// What one replicated table received from one peer (an origin: node id and incarnation): the last
/// batch applied, when, and how long after the origin queued its oldest change. Written by the
/// table's replicator, read from any thread; a reader may see the fields of two consecutive batches
/// mixed, never torn values.
/// </summary>
public sealed class PeerReplicationStatus
{
    private readonly Action<double>? _lagObserver;
    private long _lastSeq;
    private long _lastAppliedAtMs;
    private long _lastLagUs = -1;
    private long _batchesApplied;

    internal PeerReplicationStatus(Origin origin, Action<double>? lagObserver)
    {
        Origin = origin;
        _lagObserver = lagObserver;
    }

    /// <summary>The peer's node id and incarnation.</summary>
    public Origin Origin { get; }

    /// <summary>Number of the last batch applied from the peer (0: none yet).</summary>
    public long LastSeq => Interlocked.Read(ref _lastSeq);

    /// <summary>When it was applied (Unix ms; 0: none yet).</summary>
    public long LastAppliedAtMs => Interlocked.Read(ref _lastAppliedAtMs);

    /// <summary>Its lag in microseconds (the origin's clock when its oldest change was queued to this node's clock when applied); -1 when unknown.</summary>
    public long LastLagUs => Interlocked.Read(ref _lastLagUs);

    /// <summary>Batches applied from the peer (duplicates excluded).</summary>
    public long BatchesApplied => Interlocked.Read(ref _batchesApplied);

    /// <summary>Records an applied batch; <paramref name="lagUs"/> below 0 when the batch carries no time.</summary>
    internal void Applied(long seq, long nowMs, long lagUs)
    {
        Interlocked.Exchange(ref _lastSeq, seq);
        Interlocked.Exchange(ref _lastAppliedAtMs, nowMs);
        Interlocked.Increment(ref _batchesApplied);
        if (lagUs < 0)
            return;
        Interlocked.Exchange(ref _lastLagUs, lagUs);
        _lagObserver?.Invoke(lagUs / 1e6);
    }
}
