using System.Reflection;
using System.Text;

namespace HTableCluster.Storage.Tests;

public class PartitionMapTests
{
    private readonly PartitionMap _map = new();

    private static Entry Str(string key, string value, int? hash = null)
    {
        var k = Encoding.UTF8.GetBytes(key);
        return Entry.CreateString(k, hash ?? KeyHash.Of(k), Encoding.UTF8.GetBytes(value), 0, 1, 0);
    }

    private Entry? Find(string key, int? hash = null)
    {
        var k = Encoding.UTF8.GetBytes(key);
        return _map.Find(hash ?? KeyHash.Of(k), k);
    }

    private Entry? Remove(string key, int? hash = null)
    {
        var k = Encoding.UTF8.GetBytes(key);
        return _map.Remove(hash ?? KeyHash.Of(k), k);
    }

    private int Capacity() =>
        ((Entry?[])typeof(PartitionMap).GetField("_slots", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(_map)!).Length;

    [Fact]
    public void Put_returns_the_replaced_entry()
    {
        var first = Str("k", "1");
        var second = Str("k", "2");

        Assert.Null(_map.Put(first));
        Assert.Same(first, _map.Put(second));
        Assert.Same(second, Find("k"));
        Assert.Equal(1, _map.Count);
    }

    [Fact]
    public void Grows_deletes_and_reinserts_10k_keys()
    {
        const int N = 10_000;
        for (var i = 0; i < N; i++)
            Assert.Null(_map.Put(Str("key" + i, "a" + i)));
        Assert.Equal(N, _map.Count);

        for (var i = 0; i < N; i += 2)
            Assert.Equal("a" + i, Remove("key" + i)!.StringValue);
        Assert.Equal(N / 2, _map.Count);
        Assert.Null(Remove("key0"));
        Assert.Equal(N / 2, _map.Count);

        for (var i = 0; i < N; i++)
        {
            var e = Find("key" + i);
            if (i % 2 == 0)
                Assert.Null(e);
            else
                Assert.Equal("a" + i, e!.StringValue);
        }

        for (var i = 0; i < N; i += 2)
            Assert.Null(_map.Put(Str("key" + i, "b" + i)));
        Assert.Equal(N, _map.Count);
        for (var i = 0; i < N; i++)
            Assert.Equal((i % 2 == 0 ? "b" : "a") + i, Find("key" + i)!.StringValue);
        Assert.Equal(N, _map.Snapshot().Count());
        Assert.Equal(N, _map.Snapshot().Select(e => e.Key).Distinct().Count());
    }

    [Fact]
    public void Tombstones_are_reused_without_growth()
    {
        // Churn through 100k distinct keys while at most 8 are live: tombstone clean-up must keep
        // the array at its minimum size instead of growing with every insert.
        for (var i = 0; i < 100_000; i++)
        {
            _map.Put(Str("churn" + i, "v"));
            if (i >= 8)
                Assert.NotNull(Remove("churn" + (i - 8)));
        }

        Assert.Equal(8, _map.Count);
        Assert.True(Capacity() <= 32, $"capacity {Capacity()}");
        for (var i = 100_000 - 8; i < 100_000; i++)
            Assert.NotNull(Find("churn" + i));
    }

    [Fact]
    public void Colliding_hashes_survive_a_tombstone_in_the_chain()
    {
        // Same map hash for all three keys: they share one probe chain.
        _map.Put(Str("a", "1", 5));
        _map.Put(Str("b", "2", 5));
        _map.Put(Str("c", "3", 5));

        Assert.Equal("2", Remove("b", 5)!.StringValue);

        // "c" lies behind b's tombstone and must still be found, and replaced rather than duplicated.
        Assert.Equal("3", Find("c", 5)!.StringValue);
        Assert.NotNull(_map.Put(Str("c", "33", 5)));
        Assert.Equal(2, _map.Count);
        Assert.Equal("33", Find("c", 5)!.StringValue);
        Assert.Single(_map.Snapshot(), e => e.Key == "c");
        Remove("c", 5);
        Assert.Null(Find("c", 5));
        Assert.Equal("1", Find("a", 5)!.StringValue);

        // A new colliding key takes the freed position.
        Assert.Null(_map.Put(Str("d", "4", 5)));
        Assert.Equal(2, _map.Count);
        Assert.Equal("4", Find("d", 5)!.StringValue);
    }

    [Fact]
    public void Same_hash_different_key_is_not_found()
    {
        _map.Put(Str("a", "1", 42));

        Assert.Null(Find("b", 42));
        Assert.Null(Remove("b", 42));
        Assert.Equal(1, _map.Count);
    }

    [Fact]
    public void Many_collisions_across_growth()
    {
        for (var i = 0; i < 500; i++)
            _map.Put(Str("c" + i, "v" + i, i % 7));
        for (var i = 0; i < 500; i += 3)
            Remove("c" + i, i % 7);
        for (var i = 0; i < 500; i++)
        {
            var e = Find("c" + i, i % 7);
            Assert.Equal(i % 3 != 0, e is not null);
        }
        Assert.Equal(500 - 167, _map.Count);
    }

    [Fact]
    public void Clear_empties_and_stays_usable()
    {
        for (var i = 0; i < 1000; i++)
            _map.Put(Str("k" + i, "v"));

        _map.Clear();

        Assert.Equal(0, _map.Count);
        Assert.Empty(_map.Snapshot());
        Assert.Null(Find("k1"));
        _map.Put(Str("k1", "again"));
        Assert.Equal("again", Find("k1")!.StringValue);
        Assert.Equal(1, _map.Count);
    }

    [Fact]
    public void ForEach_visits_live_entries()
    {
        for (var i = 0; i < 100; i++)
            _map.Put(Str("k" + i, "v"));
        for (var i = 0; i < 100; i += 4)
            Remove("k" + i);

        var seen = new List<string>();
        _map.ForEach(ref seen, static (ref List<string> s, Entry e) => s.Add(e.Key));

        Assert.Equal(75, seen.Count);
        Assert.Equal(_map.Snapshot().Select(e => e.Key).Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
    }
}
