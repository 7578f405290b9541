using HTableCluster.Storage;

namespace HTableCluster.Replication;

/// <summary>
/// The snapshots this node serves for one table: per requester a cursor over the table and the
/// watermarks taken when the request came. Chunks are pulled one at a time, each up to the batch
/// byte limit; a session nobody pulls for <see cref="IdleTimeout"/> is dropped.
/// </summary>
/// <typeparam name="TRequester">Who asked (an actor reference).</typeparam>
public sealed class SnapshotDonor<TRequester>(HTable table, int maxChunkBytes)
    where TRequester : notnull
{
    /// <summary>How long a session waits for the next pull.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(60);

    private readonly Dictionary<(TRequester Requester, long Id), Session> _sessions = [];

    /// <summary>Sessions open.</summary>
    public int Open => _sessions.Count;

    /// <summary>Starts serving request <paramref name="id"/> of <paramref name="requester"/> with the given watermarks.</summary>
    public void Start(TRequester requester, long id, IReadOnlyList<OriginMark> marks, DateTime now) =>
        _sessions[(requester, id)] = new Session(marks, TableItems.All(table), now);

    /// <summary>
    /// The next chunk of a session: its items, and when it is the last one, the table's reset version
    /// and the watermarks (the session then ends). Null when there is no such session.
    /// </summary>
    public (List<byte[]> Items, bool Last, long ResetVersion, IReadOnlyList<OriginMark> Watermarks)? Next(TRequester requester, long id, DateTime now)
    {
        if (!_sessions.TryGetValue((requester, id), out var session))
            return null;
        session.Touched = now;
        var items = new List<byte[]>();
        long bytes = 0;
        var last = true;
        while (session.Items.MoveNext())
        {
            var item = TableItems.AsArray(session.Items.Current);
            items.Add(item);
            bytes += item.Length + TableItems.ItemFraming;
            if (bytes >= maxChunkBytes)
            {
                last = false;
                break;
            }
        }
        if (!last)
            return (items, false, 0, []);
        _sessions.Remove((requester, id));
        session.Items.Dispose();
        return (items, true, table.ResetVersion, session.Marks);
    }

    /// <summary>Drops the sessions idle since before <paramref name="now"/> minus <see cref="IdleTimeout"/>.</summary>
    public void DropIdle(DateTime now)
    {
        foreach (var (key, session) in _sessions.Where(s => now - s.Value.Touched > IdleTimeout).ToList())
        {
            session.Items.Dispose();
            _sessions.Remove(key);
        }
    }

    private sealed class Session(IReadOnlyList<OriginMark> marks, IEnumerator<ReadOnlyMemory<byte>> items, DateTime touched)
    {
        public IReadOnlyList<OriginMark> Marks { get; } = marks;

        public IEnumerator<ReadOnlyMemory<byte>> Items { get; } = items;

        public DateTime Touched { get; set; } = touched;
    }
}
