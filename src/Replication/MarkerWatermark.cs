namespace HTableCluster.Replication;

/// <summary>
/// When deletion markers of one table may go before their grace period ends: once every member has
/// received everything published before them. Each origin's announcements say "by <c>AtMs</c> I had
/// published up to batch <c>Seq</c>"; once this node holds every batch up to that number it has all
/// the origin published before that time. Its own "seen up to" is the earliest such time over the
/// other members; every member announces its own, and the floor is the earliest over all members,
/// counting a member that left or was removed with its last report for the grace period (it may come
/// back with what it held). A member that never reported keeps the floor at 0.
/// </summary>
public sealed class MarkerWatermark
{
    private const int MaxPending = 64;
    private readonly Dictionary<long, Origin> _origins = [];
    private readonly Dictionary<long, Queue<(long Seq, long AtMs)>> _pending = [];
    private readonly Dictionary<long, long> _reached = [];
    private readonly Dictionary<long, long> _reported = [];
    private readonly Dictionary<long, (long Reported, long RemovedAtMs)> _removed = [];

    /// <summary>An announcement of <paramref name="origin"/>: its last batch and clock, and what it has seen.</summary>
    public void Announced(Origin origin, long seq, long atMs, long seenUpToMs)
    {
        var uid = origin.Incarnation;
        _origins[uid] = origin;
        if (!_pending.TryGetValue(uid, out var queue))
            _pending[uid] = queue = new Queue<(long, long)>();
        if (queue.Count == MaxPending)
            queue.Dequeue();
        queue.Enqueue((seq, atMs));
        _reported[uid] = Math.Max(_reported.GetValueOrDefault(uid), seenUpToMs);
    }

    /// <summary>
    /// The time before which this node holds everything every other member published (0 when some
    /// member was never heard from). <paramref name="contiguous"/> gives how far this node holds an
    /// origin's batches without a gap.
    /// </summary>
    public long SeenUpTo(IEnumerable<long> otherMembers, Func<Origin, long> contiguous, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(otherMembers);
        ArgumentNullException.ThrowIfNull(contiguous);
        var seen = nowMs;
        foreach (var uid in otherMembers)
        {
            if (!_origins.TryGetValue(uid, out var origin))
                return 0;
            var queue = _pending[uid];
            var held = contiguous(origin);
            while (queue.Count > 0 && queue.Peek().Seq <= held)
                _reached[uid] = Math.Max(_reached.GetValueOrDefault(uid), queue.Dequeue().AtMs);
            if (!_reached.TryGetValue(uid, out var reached))
                return 0;
            seen = Math.Min(seen, reached);
        }
        return seen;
    }

    /// <summary>A member left or was removed: its last report counts for <c>graceMs</c> more.</summary>
    public void Removed(long uid, long nowMs)
    {
        _removed[uid] = (_reported.GetValueOrDefault(uid), nowMs);
        _origins.Remove(uid);
        _pending.Remove(uid);
        _reached.Remove(uid);
        _reported.Remove(uid);
    }

    /// <summary>
    /// The earliest last report of the members removed within <paramref name="graceMs"/> (long.MaxValue
    /// when none): this node announces no later time, so every member holds the floor for them.
    /// </summary>
    public long RemovedFloor(long nowMs, long graceMs)
    {
        var floor = long.MaxValue;
        foreach (var (reported, removedAt) in _removed.Values)
        {
            if (nowMs - removedAt <= graceMs)
                floor = Math.Min(floor, reported);
        }
        return floor;
    }

    /// <summary>
    /// The earliest time every member (this one with <paramref name="ownSeenUpTo"/>) has seen
    /// everything before: deletion markers stamped before it can go. 0 when unknown.
    /// </summary>
    public long Floor(IEnumerable<long> otherMembers, long ownSeenUpTo, long nowMs, long graceMs)
    {
        ArgumentNullException.ThrowIfNull(otherMembers);
        var floor = ownSeenUpTo;
        foreach (var uid in otherMembers)
            floor = Math.Min(floor, _reported.GetValueOrDefault(uid));
        foreach (var (uid, (reported, removedAt)) in _removed.ToList())
        {
            if (nowMs - removedAt > graceMs)
                _removed.Remove(uid);
            else
                floor = Math.Min(floor, reported);
        }
        return floor;
    }
}
