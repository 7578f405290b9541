using System.Text;

namespace HTableCluster.Storage.Tests;

/// <summary>The expiry rules the Redis endpoint needs: milliseconds, KEEPTTL, INCR keeping the key's expiry.</summary>
public class ItemExpiryTests
{
    private readonly ManualTime _time = new();

    private static Entry SetString(HTable table, string key, string value, ItemExpiry expiry)
    {
        var k = HTable.MakeKey(key);
        return table.Owner(k).SetString(k, Encoding.UTF8.GetBytes(value), expiry);
    }

    private static Entry SetInteger(HTable table, string key, long value, ItemExpiry expiry)
    {
        var k = HTable.MakeKey(key);
        return table.Owner(k).SetInteger(k, value, expiry);
    }

    private static (AddStatus Status, long Value) Add(HTable table, string key, long delta, ItemExpiry expiry)
    {
        var k = HTable.MakeKey(key);
        return table.Owner(k).Add(k, delta, expiry);
    }

    private static bool SetExpireAt(HTable table, string key, long ms)
    {
        var k = HTable.MakeKey(key);
        return table.Owner(k).SetExpireAt(k, ms);
    }

    [Fact]
    public void An_absolute_expiry_in_milliseconds_is_kept_to_the_millisecond()
    {
        var table = TestTables.Create("t=>autoexpire=10", _time);
        var at = _time.NowMs + 1_500;
        Assert.Equal(at, SetString(table, "k", "v", ItemExpiry.At(at)).ExpiresAtMs);
        Assert.Equal(at, SetInteger(table, "n", 5, ItemExpiry.At(at)).ExpiresAtMs);
        _time.AdvanceMs(1_499);
        Assert.NotNull(table.Get("k"));
        _time.AdvanceMs(1);
        Assert.Null(table.Get("k"));
        Assert.Null(table.Get("n"));
    }

    [Fact]
    public void An_absolute_expiry_of_zero_never_expires_even_with_autoexpire()
    {
        var table = TestTables.Create("t=>autoexpire=10", _time);
        Assert.Equal(0, SetString(table, "k", "v", ItemExpiry.At(0)).ExpiresAtMs);
        _time.AdvanceSeconds(3600);
        Assert.NotNull(table.Get("k"));
    }

    [Fact]
    public void Keep_leaves_the_live_items_expiry_and_gives_a_new_item_the_table_rule()
    {
        var table = TestTables.Create("t=>autoexpire=10", _time);
        var at = _time.NowMs + 100_000;
        SetString(table, "k", "v", ItemExpiry.At(at));
        _time.AdvanceSeconds(5);
        Assert.Equal(at, SetString(table, "k", "w", ItemExpiry.Keep).ExpiresAtMs);
        Assert.Equal("w", table.Get("k")!.StringValue);
        Assert.Equal(_time.NowMs + 10_000, SetString(table, "new", "v", ItemExpiry.Keep).ExpiresAtMs);
        // htable's own rule restarts autoexpire on update (updateexpire=1).
        Assert.Equal(_time.NowMs + 10_000, table.Set("k", "x").ExpiresAtMs);
    }

    [Fact]
    public void Retain_keeps_the_expiry_without_autoexpire_where_htables_rule_clears_it()
    {
        var table = TestTables.Create("t=>", _time);
        var at = _time.NowMs + 60_000;
        SetInteger(table, "n", 1, ItemExpiry.At(at));
        Assert.Equal((AddStatus.Applied, 2), Add(table, "n", 1, ItemExpiry.Retain));
        Assert.Equal(at, table.Get("n")!.ExpiresAtMs);
        Assert.Equal(at, SetString(table, "n", "s", ItemExpiry.Retain).ExpiresAtMs);
        // The existing rule (htable's $shtinc) is unchanged: it clears the expiry here.
        SetInteger(table, "m", 1, ItemExpiry.At(at));
        Assert.Equal((AddStatus.Applied, 2), table.Add("m", 1));
        Assert.Equal(0, table.Get("m")!.ExpiresAtMs);
    }

    [Fact]
    public void Retain_restarts_autoexpire_when_the_table_says_so()
    {
        var restart = TestTables.Create("t=>autoexpire=10", _time);
        SetInteger(restart, "n", 1, ItemExpiry.At(_time.NowMs + 60_000));
        _time.AdvanceSeconds(1);
        Add(restart, "n", 1, ItemExpiry.Retain);
        Assert.Equal(_time.NowMs + 10_000, restart.Get("n")!.ExpiresAtMs);

        var keep = TestTables.Create("t=>autoexpire=10;updateexpire=0", _time);
        var at = _time.NowMs + 60_000;
        SetInteger(keep, "n", 1, ItemExpiry.At(at));
        Add(keep, "n", 1, ItemExpiry.Retain);
        Assert.Equal(at, keep.Get("n")!.ExpiresAtMs);
        Assert.Equal(AddStatus.Applied, Add(keep, "fresh", 1, ItemExpiry.Retain).Status);
        Assert.Equal(_time.NowMs + 10_000, keep.Get("fresh")!.ExpiresAtMs);
    }

    [Fact]
    public void A_replicated_counter_keeps_its_expiry_with_retain()
    {
        var table = TestTables.CreateReplicated("t=>", _time);
        var at = _time.NowMs + 60_000;
        SetInteger(table, "c", 10, ItemExpiry.At(at));
        Assert.Equal((AddStatus.Applied, 15), Add(table, "c", 5, ItemExpiry.Retain));
        var e = table.Get("c")!;
        Assert.True(e.IsCounter);
        Assert.Equal(at, e.ExpiresAtMs);
    }

    [Fact]
    public void SetExpireAt_sets_and_clears_milliseconds_and_misses_a_missing_key()
    {
        var table = TestTables.Create("t=>autoexpire=10", _time);
        table.Set("k", "v");
        var at = _time.NowMs + 2_345;
        Assert.True(SetExpireAt(table, "k", at));
        Assert.Equal(at, table.Get("k")!.ExpiresAtMs);
        Assert.True(SetExpireAt(table, "k", 0));
        Assert.Equal(0, table.Get("k")!.ExpiresAtMs);
        Assert.False(SetExpireAt(table, "nope", at));
        Assert.True(SetExpireAt(table, "k", _time.NowMs));
        Assert.Null(table.Get("k"));
        Assert.Single(table.CollectExpired(_time.NowMs));
    }

    [Fact]
    public void SetExpireAt_of_a_replicated_table_is_recorded_for_the_peers()
    {
        var table = TestTables.CreateReplicated("t=>", _time);
        table.Set("k", "v");
        table.TakeChanges();
        var at = _time.NowMs + 5_000;
        Assert.True(SetExpireAt(table, "k", at));
        var (items, _) = table.TakeChanges();
        var peer = TestTables.CreateReplicated("t=>", _time);
        peer.MergeAll(items);
        Assert.Equal(at, peer.Get("k")!.ExpiresAtMs);
    }

    [Fact]
    public void A_negative_time_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ItemExpiry.At(-1));
        var table = TestTables.Create("t=>", _time);
        table.Set("k", "v");
        Assert.Throws<ArgumentOutOfRangeException>(() => SetExpireAt(table, "k", -1));
    }

    [Fact]
    public void ValueMemory_is_the_string_value_without_a_copy_and_empty_for_integers()
    {
        var table = TestTables.Create("t=>", _time);
        var e = table.Set("k", "hello");
        Assert.Equal("hello", Encoding.UTF8.GetString(e.ValueMemory.Span));
        Assert.True(table.SetInt("n", 5).ValueMemory.IsEmpty);
    }
}
