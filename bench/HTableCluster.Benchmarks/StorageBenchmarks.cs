using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using HTableCluster.Storage;

namespace HTableCluster.Benchmarks;

/// <summary>
/// Storage hot paths on a 100k-entry table (size=14, 8 partitions, 16-byte keys, 64-byte values).
/// Reads are compared with <see cref="ConcurrentDictionary{TKey, TValue}.TryGetValue"/> on the same
/// keys (category "Get"). Writes call the owning <see cref="TablePartition"/> from one thread, which
/// is what a partition's table actor does. Reads and writes rotate through the keys in the same order.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class StorageBenchmarks
{
    private const int Entries = 100_000;
    private const int RemoveEntries = 10_000;
    private const int Partitions = 8;
    // RemoveWhereRegex empties a fresh table per operation; IterationSetup builds this many per iteration.
    private const int RemoveTablesPerIteration = 32;

    private HTable _table = null!;
    private ConcurrentDictionary<string, string> _dictionary = null!;
    private string[] _keys = null!;
    private byte[][] _keysUtf8 = null!;
    private KeyRef[] _keyRefs = null!;
    private TablePartition[] _owners = null!;
    private string[] _missingKeys = null!;
    private byte[] _value = null!;
    private KeyRef _hotKey;
    private TablePartition _hotOwner = null!;
    private KeyRef _counterKey;
    private TablePartition _counterOwner = null!;
    private int _next;

    private HybridClock _clock = null!;
    private HTable _scanTable = null!;
    private HTable[] _freshTables = null!;
    private KeyRef[] _removeKeys = null!;
    private byte[][] _removeValues = null!;
    private Matcher _removeMatcher = null!;
    private Matcher _noMatch = null!;

    [GlobalSetup]
    public void Setup()
    {
        var clock = _clock = new HybridClock(TimeProvider.System);
        _table = new HTable(TableOptions.Parse("t=>size=14"), clock, Partitions);
        _dictionary = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        _keys = new string[Entries];
        _keysUtf8 = new byte[Entries][];
        _keyRefs = new KeyRef[Entries];
        _owners = new TablePartition[Entries];
        _missingKeys = new string[Entries];
        // Shuffled order so consecutive operations do not walk the map's arrays sequentially.
        var order = Enumerable.Range(0, Entries).ToArray();
        new Random(42).Shuffle(order);
        for (var n = 0; n < Entries; n++)
        {
            var i = order[n];
            _keys[n] = TestData.Key(i);
            _keysUtf8[n] = TestData.KeyUtf8(i);
            _keyRefs[n] = HTable.MakeKey(_keysUtf8[n]);
            _owners[n] = _table.Partition(_table.PartitionOf(_keyRefs[n]));
            _owners[n].SetString(_keyRefs[n], TestData.ValueUtf8(i));
            _dictionary[_keys[n]] = TestData.Value(i);
            _missingKeys[n] = "m" + _keys[n][1..];
        }
        _value = TestData.ValueUtf8(7);
        _hotKey = _keyRefs[0];
        _hotOwner = _owners[0];
        _counterKey = HTable.MakeKey("counter00000000"u8.ToArray());
        _counterOwner = _table.Partition(_table.PartitionOf(_counterKey));
        _counterOwner.SetInteger(_counterKey, 0);

        _scanTable = new HTable(TableOptions.Parse("r=>size=14"), clock, Partitions);
        _removeKeys = new KeyRef[RemoveEntries];
        _removeValues = new byte[RemoveEntries][];
        for (var i = 0; i < RemoveEntries; i++)
        {
            _removeKeys[i] = HTable.MakeKey(TestData.KeyUtf8(i));
            _removeValues[i] = TestData.ValueUtf8(i);
        }
        // Kamailio's sht_rm_name_re: case-insensitive, unanchored. Matches 2,000 of the 10,000 keys.
        _removeMatcher = Matcher.Create(MatchOperator.Regex, "[05]$");
        _noMatch = Matcher.Create(MatchOperator.Regex, "^zz");
        Populate(_scanTable);
        _freshTables = new HTable[RemoveTablesPerIteration];
    }

    private int NextIndex()
    {
        var i = _next;
        _next = i + 1 == Entries ? 0 : i + 1;
        return i;
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Get")]
    public string? DictionaryTryGetValue() =>
        _dictionary.TryGetValue(_keys[NextIndex()], out var v) ? v : null;

    [Benchmark]
    [BenchmarkCategory("Get")]
    public Entry? GetHitString() => _table.Get(_keys[NextIndex()]);

    [Benchmark]
    [BenchmarkCategory("Get")]
    public Entry? GetHitSpan() => _table.Get(_keysUtf8[NextIndex()].AsSpan());

    [Benchmark]
    [BenchmarkCategory("Get")]
    public Entry? GetMissString() => _table.Get(_missingKeys[NextIndex()]);

    [Benchmark]
    [BenchmarkCategory("Set")]
    public Entry SetStringSameKey() => _hotOwner.SetString(_hotKey, _value);

    [Benchmark]
    [BenchmarkCategory("Set")]
    public Entry SetStringRotatingKeys()
    {
        var i = NextIndex();
        return _owners[i].SetString(_keyRefs[i], _value);
    }

    [Benchmark]
    [BenchmarkCategory("Add")]
    public long AddIncrement() => _counterOwner.Add(_counterKey, 1).Value;

    [IterationSetup(Target = nameof(RemoveWhereRegex))]
    public void BuildFreshTables()
    {
        for (var t = 0; t < _freshTables.Length; t++)
        {
            _freshTables[t] = new HTable(TableOptions.Parse("r=>size=14"), _clock, Partitions);
            Populate(_freshTables[t]);
        }
    }

    /// <summary>
    /// sht_rm_name_re on a fresh 10,000-item table: every partition scans its items (as each partition
    /// actor does) and 2,000 are removed. One operation per table built by <see cref="BuildFreshTables"/>.
    /// </summary>
    [Benchmark(OperationsPerInvoke = RemoveTablesPerIteration)]
    [BenchmarkCategory("RemoveWhere")]
    public int RemoveWhereRegex()
    {
        var removed = 0;
        foreach (var table in _freshTables)
        {
            for (var p = 0; p < table.PartitionCount; p++)
                removed += table.Partition(p).RemoveWhere(_removeMatcher, byValue: false).Count;
        }
        return removed;
    }

    /// <summary>The scan alone: a regex that matches none of the 10,000 keys, so nothing changes between calls.</summary>
    [Benchmark]
    [BenchmarkCategory("RemoveWhere")]
    public int RemoveWhereRegexNoMatch()
    {
        var removed = 0;
        for (var p = 0; p < _scanTable.PartitionCount; p++)
            removed += _scanTable.Partition(p).RemoveWhere(_noMatch, byValue: false).Count;
        return removed;
    }

    private void Populate(HTable table)
    {
        for (var i = 0; i < RemoveEntries; i++)
            table.Partition(table.PartitionOf(_removeKeys[i])).SetString(_removeKeys[i], _removeValues[i]);
    }
}
