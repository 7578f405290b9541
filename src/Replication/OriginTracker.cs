namespace HTableCluster.Replication;

/// <summary>
/// Which batches of one (origin, table) have arrived: everything up to <see cref="Contiguous"/>, plus
/// a set of later ones. Batches may be applied in any order (merging is order-free); the tracker only
/// finds the ones to ask for again.
/// </summary>
public sealed class OriginTracker
{
    // Received batch numbers above Contiguous; bounded by how far ahead a peer can get before the gap
    // is repaired (a gap the origin can no longer serve ends in a snapshot, which clears this).
    private readonly SortedSet<long> _above = [];

    /// <summary>Every batch up to this number has arrived (or is covered by a snapshot).</summary>
    public long Contiguous { get; private set; }

    /// <summary>The highest batch number known to exist (received or announced).</summary>
    public long Highest { get; private set; }

    /// <summary>True when some batch up to <see cref="Highest"/> is missing.</summary>
    public bool HasGap => Highest > Contiguous;

    /// <summary>The first missing range.</summary>
    public (long From, long To) FirstGap => (Contiguous + 1, _above.Count > 0 ? _above.Min - 1 : Highest);

    /// <summary>Records batch <paramref name="seq"/>; false when it arrived before (a duplicate).</summary>
    public bool Receive(long seq)
    {
        if (seq <= Contiguous || !_above.Add(seq))
            return false;
        Highest = Math.Max(Highest, seq);
        Absorb();
        return true;
    }

    /// <summary>Records an announced last batch number.</summary>
    public void Announced(long seq) => Highest = Math.Max(Highest, seq);

    /// <summary>Marks everything up to <paramref name="seq"/> as covered (a snapshot included it).</summary>
    public void CoveredUpTo(long seq)
    {
        if (seq <= Contiguous)
            return;
        Contiguous = seq;
        Highest = Math.Max(Highest, seq);
        _above.RemoveWhere(s => s <= seq);
        Absorb();
    }

    /// <summary>
    /// The origin itself says it has published up to <paramref name="seq"/>: covered, and any higher
    /// announcement seen before is discarded.
    /// </summary>
    public void Authoritative(long seq)
    {
        CoveredUpTo(seq);
        Highest = Math.Max(Contiguous, _above.Count > 0 ? _above.Max : 0);
    }

    private void Absorb()
    {
        while (_above.Count > 0 && _above.Min == Contiguous + 1)
        {
            _above.Remove(Contiguous + 1);
            Contiguous++;
        }
    }
}
