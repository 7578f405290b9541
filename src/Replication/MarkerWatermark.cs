namespace HTableCluster.Replication;

/// <summary>
/// When deletion markers of one table may go before their grace period ends: once every member has
/// received everything published before them. Each origin's announcements say "by <c>AtMs</c> I had
/// published up to batch <c>Seq</c>"; once this node holds every batch up to that number it has all
/// the origin published before that time. Its own "seen up to" is the earliest such time over the
/// other members; every member announces its own, and the floor is the earliest over all members,
/// counting a member that left or was removed with its last report for the grace period (it may come
/// back with what it held). A member that never reported keeps the floor at 0.
/// While items of a digest round may still be on their way (and batches found gone are repaired),
/// what this node announces as seen is held where the marker floor was (<see cref="Hold"/>): a marker
/// must not go while an older copy of its key travels.
/// </summary>
public sealed class MarkerWatermark
{
    private const int MaxPending = 64;

    /// <summary>Markers go this long after the floor (clocks of members may differ).</summary>
    public const long MarginMs = 1000;
    private readonly Dictionary<long, Origin> _origins = [];
    private readonly Dictionary<long, Queue<(long Seq, long AtMs)>> _pending = [];
    private readonly Dictionary<long, long> _reached = [];
    private readonly Dictionary<long, long> _reported = [];
    private readonly Dictionary<long, (long Reported, long RemovedAtMs)> _removed = [];
    private long _holdAtMs;
    private long _holdUntilMs;

    /// <summary>
    /// Deletion markers stamped before this time (Unix ms) may go on this node: the last floor
    /// <see cref="TryAdvance"/> moved to (0 until then).
    /// </summary>
    public long MarkerFloorMs { get; private set; }

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

    /// <summary>
    /// Until <paramref name="forMs"/> from <paramref name="nowMs"/> (or a later end of an earlier
    /// hold), <see cref="Seen"/> stays at most where the marker floor was when the hold began.
    /// </summary>
    public void Hold(long nowMs, long forMs)
    {
        if (nowMs >= _holdUntilMs)
            _holdAtMs = MarkerFloorMs;
        _holdUntilMs = Math.Max(_holdUntilMs, nowMs + forMs);
    }

    /// <summary>
    /// What this node announces as seen: <see cref="SeenUpTo"/> once it is synced (0 before), never
    /// past the last report of a member removed within <paramref name="graceMs"/> (so every member
    /// holds the floor for it), nor past the floor while a <see cref="Hold"/> lasts.
    /// </summary>
    public long Seen(IEnumerable<long> otherMembers, Func<Origin, long> contiguous, bool synced, long nowMs, long graceMs)
    {
        var seen = synced ? SeenUpTo(otherMembers, contiguous, nowMs) : 0;
        seen = Math.Min(seen, RemovedFloor(nowMs, graceMs));
        return nowMs < _holdUntilMs ? Math.Min(seen, _holdAtMs) : seen;
    }

    /// <summary>
    /// Moves <see cref="MarkerFloorMs"/> to <see cref="Floor"/> less <see cref="MarginMs"/> when that is
    /// later; true when it moved (the markers before <paramref name="floorMs"/> can go now).
    /// </summary>
    public bool TryAdvance(IEnumerable<long> otherMembers, long ownSeenUpTo, long nowMs, long graceMs, out long floorMs)
    {
        floorMs = Floor(otherMembers, ownSeenUpTo, nowMs, graceMs) - MarginMs;
        if (floorMs <= MarkerFloorMs)
            return false;
        MarkerFloorMs = floorMs;
        return true;
    }
}
