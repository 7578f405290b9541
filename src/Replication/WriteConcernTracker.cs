namespace HTableCluster.Replication;

/// <summary>
/// Writes waiting until enough peers applied every batch they went out in (write concern). A wait
/// covers a range of this node's batch numbers; <see cref="Acked"/> records which peer applied
/// which batch, and <see cref="Due"/> answers the waits that are confirmed or past their deadline.
/// </summary>
/// <typeparam name="TWaiter">Who waits (a writer and its confirm id).</typeparam>
/// <typeparam name="TPeer">How a peer is told apart (its address).</typeparam>
public sealed class WriteConcernTracker<TWaiter, TPeer>(TimeSpan timeout)
    where TPeer : notnull
{
    private readonly List<Wait> _waits = [];
    private readonly Dictionary<long, HashSet<TPeer>> _acks = [];

    /// <summary>True while some write waits.</summary>
    public bool IsWaiting => _waits.Count > 0;

    /// <summary>Waits for <paramref name="needed"/> peers to apply batches <paramref name="fromSeq"/>..<paramref name="toSeq"/>.</summary>
    public void Add(long fromSeq, long toSeq, int needed, DateTime now, IReadOnlyList<TWaiter> waiters) =>
        _waits.Add(new Wait(fromSeq, toSeq, needed, now + timeout, waiters));

    /// <summary>Records that <paramref name="peer"/> applied batch <paramref name="seq"/>.</summary>
    public void Acked(long seq, TPeer peer)
    {
        if (!_acks.TryGetValue(seq, out var peers))
            _acks[seq] = peers = [];
        peers.Add(peer);
    }

    /// <summary>
    /// The waiters that can be answered now: null when confirmed, otherwise the reason (the deadline
    /// passed). Acknowledgements nobody waits for any more are dropped.
    /// </summary>
    public List<(TWaiter Waiter, string? Error)> Due(DateTime now)
    {
        var due = new List<(TWaiter, string?)>();
        for (var i = _waits.Count - 1; i >= 0; i--)
        {
            var w = _waits[i];
            var confirmed = int.MaxValue;
            for (var seq = w.FromSeq; seq <= w.ToSeq; seq++)
                confirmed = Math.Min(confirmed, _acks.TryGetValue(seq, out var p) ? p.Count : 0);
            string? error;
            if (confirmed >= w.Needed)
                error = null;
            else if (now >= w.Deadline)
                error = $"applied on this node, but confirmed by {confirmed} of {w.Needed} peers within {timeout.TotalMilliseconds:0} ms (write concern)";
            else
                continue;
            _waits.RemoveAt(i);
            foreach (var waiter in w.Waiters)
                due.Add((waiter, error));
        }
        var oldest = _waits.Count == 0 ? long.MaxValue : _waits.Min(c => c.FromSeq);
        foreach (var seq in _acks.Keys.Where(s => s < oldest).ToList())
            _acks.Remove(seq);
        return due;
    }

    /// <summary>Batch numbers whose acknowledgements are held (for tests and diagnostics).</summary>
    public int AckedBatches => _acks.Count;

    private sealed record Wait(long FromSeq, long ToSeq, int Needed, DateTime Deadline, IReadOnlyList<TWaiter> Waiters);
}
