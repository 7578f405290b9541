namespace HTableCluster.Node.Tables;

/// <summary>
/// The last events this node delivered, numbered from <paramref name="first"/>, and the live subscribers. Subscribing
/// and replaying happen under the same lock as appending, so a subscriber resuming after a
/// sequence number sees every later event exactly once (when the ring still holds them).
/// Subscribers run under the lock and must only enqueue.
/// </summary>
internal sealed class EventRing(int capacity, long first = 1)
{
    private readonly TableEvent[] _items = new TableEvent[capacity];
    private readonly List<Action<TableEvent>> _subscribers = [];
    private readonly Lock _lock = new();
    private long _next = first;
    private int _count;

    /// <summary>The sequence number the next event gets.</summary>
    public long Next
    {
        get
        {
            lock (_lock)
                return _next;
        }
    }

    /// <summary>The sequence number of the first event.</summary>
    public long First { get; } = first;

    /// <summary>The sequence number of the oldest event held (<see cref="Next"/> when none is).</summary>
    public long Oldest
    {
        get
        {
            lock (_lock)
                return _next - _count;
        }
    }

    /// <summary>How many subscribers are attached.</summary>
    public int Subscribers
    {
        get
        {
            lock (_lock)
                return _subscribers.Count;
        }
    }

    public TableEvent Append(TableEvent e)
    {
        lock (_lock)
        {
            e = e with { Sequence = _next };
            _items[(int)(_next % _items.Length)] = e;
            _next++;
            _count = Math.Min(_count + 1, _items.Length);
            foreach (var s in _subscribers)
                s(e);
            return e;
        }
    }

    /// <summary>
    /// Adds a subscriber and returns what it missed after <paramref name="after"/> (null: nothing to
    /// replay). Gap is true when the ring no longer holds every event after it (or the number is
    /// from an earlier run): the replay is then the whole ring.
    /// </summary>
    public (List<TableEvent> Replay, bool Gap) Subscribe(long? after, Action<TableEvent> subscriber)
    {
        lock (_lock)
        {
            _subscribers.Add(subscriber);
            var replay = new List<TableEvent>();
            if (after is not { } a)
                return (replay, false);
            var oldest = _next - _count;
            var gap = a < oldest - 1 || a >= _next;
            var from = gap ? oldest : a + 1;
            for (var s = from; s < _next; s++)
                replay.Add(_items[(int)(s % _items.Length)]);
            return (replay, gap);
        }
    }

    public void Unsubscribe(Action<TableEvent> subscriber)
    {
        lock (_lock)
            _subscribers.Remove(subscriber);
    }
}
