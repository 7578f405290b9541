namespace HTableCluster.Replication;

/// <summary>
/// What a table replicator does once every partition writer has passed a barrier (everything sent
/// to the writers before it is applied): acknowledge a batch, finish a snapshot, serve one, or go
/// on with a resync. <see cref="Open"/> gives the id to send in each writer's barrier.
/// </summary>
public sealed class BarrierWaits
{
    private readonly Dictionary<long, (int Pending, Action Then)> _waits = [];
    private long _ids;

    /// <summary>Barriers not passed yet.</summary>
    public int Count => _waits.Count;

    /// <summary>Waits for <paramref name="writers"/> passes of a new barrier, then runs <paramref name="then"/>; returns the barrier's id.</summary>
    public long Open(int writers, Action then)
    {
        var id = ++_ids;
        _waits[id] = (writers, then);
        return id;
    }

    /// <summary>One writer passed barrier <paramref name="id"/>; the last one runs what waited for it.</summary>
    public void Passed(long id)
    {
        if (!_waits.TryGetValue(id, out var wait))
            return;
        if (wait.Pending > 1)
        {
            _waits[id] = (wait.Pending - 1, wait.Then);
            return;
        }
        _waits.Remove(id);
        wait.Then();
    }
}
