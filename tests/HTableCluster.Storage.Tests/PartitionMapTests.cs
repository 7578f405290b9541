using System.Reflection;
using System.Text;

namespace HTableCluster.Storage.Tests;

public class PartitionMapTests
{
    private readonly PartitionMap _map = new();

    // The map is given the hash with each item; tests force collisions by passing their own.
    private static (int Hash, byte[] Item) Str(string key, string value, int? hash = null)
    {
        var k = Encoding.UTF8.GetBytes(key);
        return (hash ?? (int)KeyHash.Of(k), Entry.CreateString(k, Encoding.UTF8.GetBytes(value), 0, 1, 0).Buffer);
    }

    private byte[]? Put((int Hash, byte[] Item) x) => _map.Put(x.Hash, x.Item);

    private byte[]? Find(string key, int? hash = null)
    {
        var k = Encoding.UTF8.GetBytes(key);
        return _map.Find(hash ?? (int)KeyHash.Of(k), k);
    }

    private byte[]? Remove(string key, int? hash = null)
    {
        var k = Encoding.UTF8.GetBytes(key);
        return _map.Remove(hash ?? (int)KeyHash.Of(k), k);
    }

    private int Capacity() =>
        ((byte[]?[])typeof(PartitionMap).GetField("_slots", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(_map)!).Length;

    [Fact]
    public void Put_returns_the_replaced_entry()
    {
        var first = Str("k", "1");
        var second = Str("k", "2");

        Assert.Null(Put(first));
        Assert.Same(first.Item, Put(second));
        Assert.Same(second.Item, Find("k"));
        Assert.Equal(1, _map.Count);
    }

    [Fact]
    public void Grows_deletes_and_reinserts_10k_keys()
    {
        const int N = 10_000;
        for (var i = 0; i < N; i++)
            Assert.Null(Put(Str("key" + i, "a" + i)));
        Assert.Equal(N, _map.Count);

        for (var i = 0; i < N; i += 2)
            Assert.Equal("a" + i, Remove("key" + i)!.AsEntry().StringValue);
        Assert.Equal(N / 2, _map.Count);
        Assert.Null(Remove("key0"));
        Assert.Equal(N / 2, _map.Count);

        for (var i = 0; i < N; i++)
        {
            var e = Find("key" + i);
            if (i % 2 == 0)
                Assert.Null(e);
            else
                Assert.Equal("a" + i, e!.AsEntry().StringValue);
        }

        for (var i = 0; i < N; i += 2)
            Assert.Null(Put(Str("key" + i, "b" + i)));
        Assert.Equal(N, _map.Count);
        for (var i = 0; i < N; i++)
            Assert.Equal((i % 2 == 0 ? "b" : "a") + i, Find("key" + i)!.AsEntry().StringValue);
        Assert.Equal(N, _map.Snapshot().Count());
        Assert.Equal(N, _map.Snapshot().Select(e => e.AsEntry().Key).Distinct().Count());
    }

    [Fact]
    public void Tombstones_are_reused_without_growth()
    {
        // Churn through 100k distinct keys while at most 8 are live: tombstone clean-up must keep
        // the array at its minimum size instead of growing with every insert.
        for (var i = 0; i < 100_000; i++)
        {
            Put(Str("churn" + i, "v"));
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
        Put(Str("a", "1", 5));
        Put(Str("b", "2", 5));
        Put(Str("c", "3", 5));

        Assert.Equal("2", Remove("b", 5)!.AsEntry().StringValue);

        // "c" lies behind b's tombstone and must still be found, and replaced rather than duplicated.
        Assert.Equal("3", Find("c", 5)!.AsEntry().StringValue);
        Assert.NotNull(Put(Str("c", "33", 5)));
        Assert.Equal(2, _map.Count);
        Assert.Equal("33", Find("c", 5)!.AsEntry().StringValue);
        Assert.Single(_map.Snapshot(), e => e.AsEntry().Key == "c");
        Remove("c", 5);
        Assert.Null(Find("c", 5));
        Assert.Equal("1", Find("a", 5)!.AsEntry().StringValue);

        // A new colliding key takes the freed position.
        Assert.Null(Put(Str("d", "4", 5)));
        Assert.Equal(2, _map.Count);
        Assert.Equal("4", Find("d", 5)!.AsEntry().StringValue);
    }

    [Fact]
    public void Same_hash_different_key_is_not_found()
    {
        Put(Str("a", "1", 42));

        Assert.Null(Find("b", 42));
        Assert.Null(Remove("b", 42));
        Assert.Equal(1, _map.Count);
    }

    [Fact]
    public void Many_collisions_across_growth()
    {
        for (var i = 0; i < 500; i++)
            Put(Str("c" + i, "v" + i));
        for (var i = 0; i < 500; i += 3)
            Remove("c" + i);
        for (var i = 0; i < 500; i++)
        {
            var e = Find("c" + i);
            Assert.Equal(i % 3 != 0, e is not null);
        }
        Assert.Equal(500 - 167, _map.Count);
    }

    [Fact]
    public void Clear_empties_and_stays_usable()
    {
        for (var i = 0; i < 1000; i++)
            Put(Str("k" + i, "v"));

        _map.Clear();

        Assert.Equal(0, _map.Count);
        Assert.Empty(_map.Snapshot());
        Assert.Null(Find("k1"));
        Put(Str("k1", "again"));
        Assert.Equal("again", Find("k1")!.AsEntry().StringValue);
        Assert.Equal(1, _map.Count);
    }
}

internal static class ItemBufferExtensions
{
    public static Entry AsEntry(this byte[] item) => new(item);
}
