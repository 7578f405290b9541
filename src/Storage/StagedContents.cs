namespace HTableCluster.Storage;

/// <summary>
/// New contents for a table, built off to the side (what <c>htable.reload</c> loads from the
/// database) and then installed partition by partition with <see cref="TablePartition.Swap"/>.
/// Rows are grouped into one fresh map per partition at version 0 (see <see cref="LoadedItem"/> for
/// expiry); nothing is visible to readers until a partition's writer swaps its map in with one
/// reference assignment, so a reader sees either the whole old or the whole new partition.
/// </summary>
/// <remarks>
/// One thread stages (any thread: the maps are not published yet); then the object is handed to the
/// partition writers (a message to each table actor), each of which swaps in its own partition once.
/// Partitions are swapped independently, as Kamailio swaps slot by slot: between two swaps a reader
/// of the whole table can see some partitions old and others new. Adding after the first swap is a
/// programmer error.
/// </remarks>
public sealed class StagedContents
{
    private readonly PartitionMap?[] _maps;
    private volatile bool _sealed;
    private int _count;

    internal StagedContents(HTable table)
    {
        Table = table;
        StartVersion = table.Clock.Next();
        _maps = new PartitionMap?[table.PartitionCount];
        for (var i = 0; i < _maps.Length; i++)
            _maps[i] = new PartitionMap(table.SlotCount);
    }

    /// <summary>The table these contents are for.</summary>
    public HTable Table { get; }

    /// <summary>
    /// A version stamped when staging began: what the table holds with a higher version (written,
    /// deleted or received while the contents were being read) survives the swap.
    /// </summary>
    public long StartVersion { get; }

    /// <summary>Number of items staged (a key staged twice counts once).</summary>
    public int Count => _count;

    /// <summary>
    /// Stages one row; a later row with the same key replaces the earlier one in its place (as a
    /// database load into Kamailio's table does). Returns false when the row's expiry has passed.
    /// </summary>
    public bool Add(in LoadedItem row)
    {
        if (_sealed)
            throw new InvalidOperationException("contents already swapped in; stage a new one");
        var buffer = row.ToBuffer(Table.Options, Table.Clock.NowMs);
        if (buffer is null)
            return false;
        var hash = KeyHash.Of(row.KeyUtf8);
        var map = _maps[KeyHash.PartitionOf(hash, _maps.Length)]!;
        var earlier = map.Find((int)hash, row.KeyUtf8);
        ItemBuffer.SetSequence(buffer, earlier is null ? Table.NextSequence() : ItemBuffer.SequenceOf(earlier));
        if (map.Put((int)hash, buffer) is null)
            _count++;
        return true;
    }

    /// <summary>Stages every row (see <see cref="Add"/>); returns how many were staged.</summary>
    public int AddRange(IEnumerable<LoadedItem> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var n = 0;
        foreach (var row in rows)
        {
            if (Add(row))
                n++;
        }
        return n;
    }

    /// <summary>Hands out the map of <paramref name="partition"/> once; later callers get an error.</summary>
    internal PartitionMap Take(int partition)
    {
        _sealed = true;
        return Interlocked.Exchange(ref _maps[partition], null)
            ?? throw new InvalidOperationException($"partition {partition} already swapped these contents in");
    }
}
