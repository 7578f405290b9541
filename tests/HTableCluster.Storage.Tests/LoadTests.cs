using System.Text;

namespace HTableCluster.Storage.Tests;

public class LoadTests
{
    private readonly ManualTime _time = new();

    // Groups rows by owning partition, as the loader does before handing them to each writer.
    private static int LoadAll(HTable table, params LoadedItem[] rows)
    {
        var n = 0;
        foreach (var group in rows.GroupBy(r => table.PartitionOf(HTable.MakeKey(r.KeyUtf8))))
            n += table.Partition(group.Key).Load(group);
        return n;
    }

    [Fact]
    public void Loaded_items_have_version_zero_and_are_not_recorded_for_replication()
    {
        var t = TestTables.CreateReplicated("t=>", _time);

        Assert.Equal(2, LoadAll(t, LoadedItem.OfString("s", "text"), LoadedItem.OfInteger("i", 42)));

        Assert.Equal(0, t.Get("s")!.Version);
        Assert.Equal("text", t.Get("s")!.StringValue);
        Assert.True(t.Get("i")!.IsInteger);
        Assert.Equal(42, t.Get("i")!.IntValue);
        Assert.Empty(t.TakeChanges().Items);
        for (var p = 0; p < t.PartitionCount; p++)
            Assert.Null(t.Partition(p).TakeChanges());
    }

    [Fact]
    public void Without_autoexpire_loaded_items_never_expire_even_with_an_expires_column()
    {
        var t = TestTables.Create("t=>", _time);
        var past = _time.NowMs / 1000 - 10;

        LoadAll(t, LoadedItem.OfString("a", "1"), LoadedItem.OfString("b", "2", past));

        Assert.Equal(0, t.Get("a")!.ExpiresAtMs);
        Assert.Equal(0, t.Get("b")!.ExpiresAtMs);
        Assert.Equal(0, t.SecondsToLive("b"));
    }

    [Fact]
    public void With_autoexpire_rows_get_autoexpire_or_their_own_expiry_and_passed_rows_are_skipped()
    {
        var t = TestTables.Create("t=>autoexpire=60", _time);
        var nowSeconds = _time.NowMs / 1000;

        var stored = LoadAll(t,
            LoadedItem.OfString("auto", "1"),
            LoadedItem.OfString("own", "2", nowSeconds + 3600),
            LoadedItem.OfString("gone", "3", nowSeconds - 1),
            LoadedItem.OfInteger("due", 4, nowSeconds));

        Assert.Equal(2, stored);
        Assert.Equal(_time.NowMs + 60_000, t.Get("auto")!.ExpiresAtMs);
        Assert.Equal((nowSeconds + 3600) * 1000, t.Get("own")!.ExpiresAtMs);
        Assert.Null(t.Get("gone"));
        Assert.Null(t.Get("due"));
        Assert.Equal(2, t.RawCount);

        _time.AdvanceSeconds(61);
        Assert.Null(t.Get("auto"));
        Assert.NotNull(t.Get("own"));
    }

    [Fact]
    public void A_newer_item_is_not_overwritten_but_an_earlier_loaded_row_is()
    {
        var t = TestTables.CreateReplicated("t=>", _time);
        t.Set("written", "local");
        t.Set("deleted", "x");
        t.Delete("deleted");
        LoadAll(t, LoadedItem.OfString("again", "first"));
        var firstSequence = t.Get("again")!.Sequence;
        t.TakeChanges();

        var stored = LoadAll(t,
            LoadedItem.OfString("written", "db"),
            LoadedItem.OfString("deleted", "db"),
            LoadedItem.OfString("again", "second"));

        Assert.Equal(1, stored);
        Assert.Equal("local", t.Get("written")!.StringValue);
        Assert.Null(t.Get("deleted"));
        Assert.Equal("second", t.Get("again")!.StringValue);
        Assert.Equal(firstSequence, t.Get("again")!.Sequence);
        Assert.Empty(t.TakeChanges().Items);
    }

    [Fact]
    public void In_a_local_table_a_row_replaces_an_expired_item()
    {
        var t = TestTables.Create("t=>", _time);
        t.Set("k", "old", expireSeconds: 1);
        _time.AdvanceSeconds(2);

        Assert.Equal(1, LoadAll(t, LoadedItem.OfString("k", "db")));
        Assert.Equal("db", t.Get("k")!.StringValue);
    }

    [Fact]
    public void Rows_are_skipped_after_a_reset()
    {
        var t = TestTables.CreateReplicated("t=>", _time);
        t.MergeReset(t.Clock.Next());

        Assert.Equal(0, LoadAll(t, LoadedItem.OfString("k", "db")));
        Assert.Null(t.Get("k"));
    }

    [Fact]
    public void A_replicated_merge_over_a_loaded_item_wins()
    {
        var t = TestTables.CreateReplicated("t=>", _time);
        LoadAll(t, LoadedItem.OfString("k", "db"), LoadedItem.OfInteger("n", 5));
        var peer = TestTables.CreateReplicated("t=>", _time);
        peer.Set("k", "replicated");
        peer.Set("n", "x");
        peer.Delete("n");

        Assert.Equal(3, t.MergeAll(peer.TakeChanges().Items));

        Assert.Equal("replicated", t.Get("k")!.StringValue);
        Assert.Null(t.Get("n"));
    }

    [Fact]
    public void Loaded_rows_are_dumped_in_load_order_within_a_hash()
    {
        var t = TestTables.Create("t=>size=1", _time);
        LoadAll(t, LoadedItem.OfString("b", "1"), LoadedItem.OfString("a", "2"));
        Assert.True(t.Get("b")!.Sequence < t.Get("a")!.Sequence);
    }

    [Fact]
    public void A_key_of_another_partition_or_a_default_row_is_refused()
    {
        var t = TestTables.Create("t=>size=8", _time, partitions: 4);
        var key = HTable.MakeKey("k");
        var other = t.Partition((t.PartitionOf(key) + 1) % t.PartitionCount);

        Assert.Throws<ArgumentException>(() => other.Load([LoadedItem.OfString("k", "v")]));
        Assert.Throws<ArgumentException>(() => t.Owner(key).Load([default]));
        Assert.Throws<ArgumentOutOfRangeException>(() => LoadedItem.OfString("k", "v", -1));
    }

    [Fact]
    public void Rows_from_bytes_and_from_text_give_the_same_item()
    {
        var a = TestTables.Create("t=>", _time);
        var b = TestTables.Create("t=>", _time);
        LoadAll(a, LoadedItem.OfString("ключ", "значение"), LoadedItem.OfInteger("n", -1));
        LoadAll(b, LoadedItem.OfString(Encoding.UTF8.GetBytes("ключ"), Encoding.UTF8.GetBytes("значение")), LoadedItem.OfInteger("n"u8.ToArray(), -1));
        Assert.Equal(a.Content(), b.Content());
    }
}
