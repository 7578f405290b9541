using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using HTableCluster.Storage;

namespace HTableCluster.Benchmarks;

/// <summary>
/// What replication and database loads cost in Storage, per item (16-byte keys, 64-byte values,
/// size=14, 8 partitions): merging items received from a peer (new keys, and newer versions of keys
/// already here), a local write on a replicated table (set plus taking the recorded change), a
/// preload into empty partitions, and a reload (staging new contents and swapping every partition).
/// Merges and loads need a fresh table per run, built by an iteration setup outside the measurement.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class ReplicatedWriteBenchmarks
{
    private const int Items = 10_000;
    private const int SetEntries = 100_000;
    private const int Partitions = 8;
    private const string Definition = "t=>size=14;dmqreplicate=1";

    private HybridClock _clock = null!;
    private byte[][] _first = null!;
    private byte[][] _newer = null!;
    private byte[][] _batch = null!;
    private HTable _target = null!;
    private LoadedItem[] _rows = null!;
    private LoadedItem[][] _rowsByPartition = null!;
    private HTable _reloaded = null!;

    private HTable _written = null!;
    private KeyRef[] _keyRefs = null!;
    private TablePartition[] _owners = null!;
    private byte[] _value = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _clock = new HybridClock(TimeProvider.System);
        // A peer's changes: every key set once, then set again (newer versions).
        var origin = NewTable();
        _first = WriteAll(origin, 0);
        _newer = WriteAll(origin, 1);

        _rows = new LoadedItem[Items];
        for (var i = 0; i < Items; i++)
            _rows[i] = LoadedItem.OfString(TestData.KeyUtf8(i), TestData.ValueUtf8(i));
        var probe = NewTable();
        _rowsByPartition = _rows.GroupBy(r => probe.PartitionOf(HTable.MakeKey(r.KeyUtf8))).OrderBy(g => g.Key).Select(g => g.ToArray()).ToArray();
        _reloaded = NewTable();
        Reload();

        _written = NewTable();
        _keyRefs = new KeyRef[SetEntries];
        _owners = new TablePartition[SetEntries];
        var order = Enumerable.Range(0, SetEntries).ToArray();
        new Random(42).Shuffle(order);
        for (var n = 0; n < SetEntries; n++)
        {
            _keyRefs[n] = HTable.MakeKey(TestData.KeyUtf8(order[n]));
            _owners[n] = _written.Partition(_written.PartitionOf(_keyRefs[n]));
            _owners[n].SetString(_keyRefs[n], TestData.ValueUtf8(order[n]));
            _owners[n].TakeChanges();
        }
        _value = TestData.ValueUtf8(7);
    }

    [IterationSetup(Target = nameof(MergeNewKeys))]
    public void EmptyTarget()
    {
        _target = NewTable();
        _batch = Copies(_first);
    }

    [IterationSetup(Target = nameof(MergeNewerVersions))]
    public void FilledTarget()
    {
        _target = NewTable();
        MergeInto(_target, Copies(_first));
        _batch = Copies(_newer);
    }

    [IterationSetup(Target = nameof(Load))]
    public void EmptyLoadTarget() => _target = NewTable();

    /// <summary>Peer items for keys this node does not have (as during an initial sync).</summary>
    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("Merge")]
    public int MergeNewKeys() => MergeInto(_target, _batch);

    /// <summary>Peer items that replace older versions of keys here (live replication).</summary>
    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("Merge")]
    public int MergeNewerVersions() => MergeInto(_target, _batch);

    /// <summary>A replicated write: the set, then handing its recorded change to replication.</summary>
    [Benchmark]
    [BenchmarkCategory("ReplicatedSet")]
    public int SetStringAndTakeChanges()
    {
        var i = _next;
        _next = i + 1 == SetEntries ? 0 : i + 1;
        var owner = _owners[i];
        owner.SetString(_keyRefs[i], _value);
        return owner.TakeChanges()!.Value.Items.Count;
    }

    /// <summary>Preload of database rows into empty partitions, per row.</summary>
    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("Load")]
    public int Load()
    {
        var n = 0;
        for (var p = 0; p < _rowsByPartition.Length; p++)
            n += _target.Partition(p).Load(_rowsByPartition[p]);
        return n;
    }

    /// <summary>A reload per row: staging every row in fresh maps, then swapping in each partition of a full table.</summary>
    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("Load")]
    public int StageAndSwap() => Reload();

    private int Reload()
    {
        var staged = _reloaded.StageContents();
        staged.AddRange(_rows);
        var n = 0;
        for (var p = 0; p < _reloaded.PartitionCount; p++)
            n += _reloaded.Partition(p).Swap(staged);
        return n;
    }

    private HTable NewTable() => new(TableOptions.Parse(Definition), _clock, Partitions, replicated: true);

    private static byte[][] WriteAll(HTable table, int valueOffset)
    {
        for (var i = 0; i < Items; i++)
        {
            var key = HTable.MakeKey(TestData.KeyUtf8(i));
            table.Partition(table.PartitionOf(key)).SetString(key, TestData.ValueUtf8(i + valueOffset));
        }
        var items = new List<byte[]>(Items);
        for (var p = 0; p < table.PartitionCount; p++)
            items.AddRange(table.Partition(p).TakeChanges()!.Value.Items);
        return [.. items];
    }

    // Merge takes ownership of a buffer, as a receiver owns what it decoded off the wire.
    private static byte[][] Copies(byte[][] items) => Array.ConvertAll(items, i => (byte[])i.Clone());

    private static int MergeInto(HTable table, byte[][] items)
    {
        var n = 0;
        foreach (var item in items)
        {
            if (table.Partition(table.PartitionOfItem(item)).Merge(item))
                n++;
        }
        return n;
    }
}
