using HTableCluster.Storage;
using static HTableCluster.Replication.WriterProtocol;

namespace HTableCluster.Replication;

/// <summary>
/// The single writers of one table's partitions as its replicator knows them: which have announced
/// themselves (again after a restart; the table replicates once all have), merging peers' items
/// through the writer of each item's partition, and barriers that run an action once every writer
/// has applied everything sent to it before (<see cref="BarrierWaits"/>). Messages leave through
/// the <c>tell</c> given at construction, so this holds no actor.
/// </summary>
/// <typeparam name="TWriter">How a writer is addressed (an actor reference in the replicator).</typeparam>
public sealed class PartitionWriters<TWriter>
    where TWriter : class
{
    private readonly HTable _table;
    private readonly Action<TWriter, object> _tell;
    private readonly TWriter?[] _writers;
    private readonly BarrierWaits _barriers = new();
    private int _ready;

    /// <summary>The writers of <paramref name="table"/>'s partitions, reached through <paramref name="tell"/>.</summary>
    public PartitionWriters(HTable table, Action<TWriter, object> tell)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(tell);
        _table = table;
        _tell = tell;
        _writers = new TWriter?[table.PartitionCount];
    }

    /// <summary>True once the writer of every partition has announced itself.</summary>
    public bool Attached => _ready == _writers.Length;

    /// <summary>Barriers not passed yet.</summary>
    public int PendingBarriers => _barriers.Count;

    /// <summary>
    /// The writer of <paramref name="partition"/> announced itself (a restarted one replaces the
    /// previous). False for a partition the table does not have.
    /// </summary>
    public bool Attach(int partition, TWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (partition < 0 || partition >= _writers.Length)
            return false;
        if (_writers[partition] is null)
            _ready++;
        _writers[partition] = writer;
        return true;
    }

    /// <summary>
    /// Sends each partition's writer its share of <paramref name="items"/> to merge, and every writer
    /// the reset version when there is one (0: none). Nothing goes out until every writer is attached
    /// (the snapshot taken once they are covers it). Returns how many items were malformed (dropped);
    /// <paramref name="dropped"/> runs for each of them before anything is sent, so whoever sees a
    /// writer's merge also sees them counted.
    /// </summary>
    public int Merge(IReadOnlyList<byte[]> items, long resetVersion, Action? dropped = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (!Attached)
            return 0;
        var malformed = 0;
        var groups = new List<byte[]>?[_writers.Length];
        foreach (var item in items)
        {
            if (ItemBuffer.IsWellFormed(item))
                (groups[_table.PartitionOfItem(item)] ??= []).Add(item);
            else
            {
                malformed++;
                dropped?.Invoke();
            }
        }
        for (var p = 0; p < _writers.Length; p++)
        {
            if (groups[p] is not null || resetVersion != 0)
                _tell(_writers[p]!, new WriterProtocol.Merge(_table.Name, (IReadOnlyList<byte[]>?)groups[p] ?? [], resetVersion));
        }
        return malformed;
    }

    /// <summary>Sends <paramref name="message"/> to every writer attached.</summary>
    public void TellAll(object message)
    {
        ArgumentNullException.ThrowIfNull(message);
        foreach (var w in _writers)
        {
            if (w is not null)
                _tell(w, message);
        }
    }

    /// <summary>
    /// Runs <paramref name="then"/> once every writer has applied what was sent to it before (a
    /// <see cref="WriterProtocol.Barrier"/> to each; their <see cref="BarrierPassed"/> go to <see cref="Passed"/>).
    /// Before every writer is attached nothing went to them: it runs at once.
    /// </summary>
    public void AfterBarrier(Action then)
    {
        ArgumentNullException.ThrowIfNull(then);
        if (!Attached)
        {
            then();
            return;
        }
        TellAll(new WriterProtocol.Barrier(_barriers.Open(_writers.Length, then)));
    }

    /// <summary>A writer passed barrier <paramref name="id"/>; the last one runs what waited for it.</summary>
    public void Passed(long id) => _barriers.Passed(id);
}
