namespace HTableCluster.Storage.Tests;

public class ExpiryTests
{
    private readonly ManualTime _time = new();

    [Fact]
    public void Autoexpire_item_disappears_after_its_lifetime()
    {
        var table = TestTables.Create("t=>autoexpire=10", _time);
        var e = table.Set("k", "v");

        Assert.Equal(_time.NowMs + 10_000, e.ExpiresAtMs);
        _time.AdvanceMs(9_999);
        Assert.NotNull(table.Get("k"));
        _time.AdvanceMs(1);
        Assert.Null(table.Get("k"));
        Assert.Equal(1, table.RawCount); // not collected yet
    }

    [Fact]
    public void Table_without_autoexpire_keeps_items()
    {
        var table = TestTables.Create("t=>", _time);

        Assert.Equal(0, table.Set("k", "v").ExpiresAtMs);
        _time.Advance(TimeSpan.FromDays(3650));
        Assert.NotNull(table.Get("k"));
        Assert.Empty(table.CollectExpired(_time.NowMs));
    }

    [Fact]
    public void CollectExpired_returns_and_removes_only_due_items()
    {
        var table = TestTables.Create("t=>autoexpire=10", _time);
        for (var i = 0; i < 20; i++)
            table.Set("old" + i, "v");
        _time.AdvanceSeconds(5);
        for (var i = 0; i < 20; i++)
            table.Set("new" + i, "v");
        table.Set("forever", "v", expireSeconds: null);
        Assert.True(table.SetExpire("forever", 0));

        _time.AdvanceSeconds(5);
        var expired = table.CollectExpired(_time.NowMs);

        Assert.Equal(Enumerable.Range(0, 20).Select(i => "old" + i).Order(StringComparer.Ordinal), expired.Keys());
        Assert.Equal(21, table.RawCount);
        Assert.Empty(table.CollectExpired(_time.NowMs));

        _time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(20, table.CollectExpired(_time.NowMs).Count);
        Assert.Equal(["forever"], table.Items().Keys());
    }

    [Fact]
    public void CollectExpired_uses_the_time_it_is_given()
    {
        var table = TestTables.Create("t=>autoexpire=10", _time);
        table.Set("k", "v");

        Assert.Empty(table.CollectExpired(_time.NowMs + 9_999));
        var expired = table.CollectExpired(_time.NowMs + 10_000);

        Assert.Equal("k", Assert.Single(expired).Key);
        Assert.Equal(0, table.RawCount);
    }

    [Fact]
    public void Expired_uncollected_items_are_missing_to_every_reader()
    {
        var table = TestTables.Create("t=>autoexpire=10;initval=100", _time);
        table.SetInt("gone", 5);
        table.Set("gone-s", "stale-abc");
        _time.AdvanceSeconds(6);
        table.Set("live", "abc");
        _time.AdvanceSeconds(4);

        Assert.Equal(3, table.RawCount);
        Assert.Null(table.Get("gone"));
        Assert.Null(table.Get("gone-s"));
        Assert.Null(table.SecondsToLive("gone"));
        Assert.Equal(["live"], table.Items().Keys());
        Assert.Equal(1, table.CountByName(Matcher.Create(MatchOperator.StartsWith, "")));
        Assert.Equal(1, table.CountByName(Matcher.Create(MatchOperator.Any, "")));
        Assert.Equal(1, table.CountByValue(Matcher.Create(MatchOperator.Equals, "abc")));
        Assert.False(table.AnyByName(Matcher.Create(MatchOperator.StartsWith, "gone")));
        Assert.False(table.AnyByValue(Matcher.Create(MatchOperator.Contains, "stale")));
        Assert.Equal(0, table.CountByValue(Matcher.Create(MatchOperator.Contains, "stale")));
        Assert.Equal(["live"], table.Page(0, 1000).Items.Keys());
        Assert.Equal(["live"], table.DumpSlots().SelectMany(s => s.Items).Keys());
        Assert.Null(table.Delete("gone-s"));

        // Add ignores the expired value 5 and starts from initval.
        Assert.Equal((AddStatus.Applied, 101L), table.Add("gone", 1));
        Assert.False(table.SetExpire("nothing", 5));
    }

    [Fact]
    public void Add_on_expired_item_without_initval_starts_from_zero()
    {
        var table = TestTables.Create("t=>autoexpire=10", _time);
        table.SetInt("c", 50);
        table.Set("s", "text");
        _time.AdvanceSeconds(10);

        Assert.Equal((AddStatus.Applied, 3L), table.Add("c", 3));
        Assert.Equal((AddStatus.Applied, 1L), table.Add("s", 1)); // expired string is gone, not NotInteger
        Assert.Equal(_time.NowMs + 10_000, table.Get("c")!.ExpiresAtMs);
    }

    [Fact]
    public void SetExpire_on_expired_item_returns_false()
    {
        var table = TestTables.Create("t=>autoexpire=10", _time);
        table.Set("k", "v");
        _time.AdvanceSeconds(11);

        Assert.False(table.SetExpire("k", 100));
        Assert.Null(table.Get("k"));
    }

    [Fact]
    public void Set_on_expired_item_creates_a_fresh_item_even_with_updateexpire_0()
    {
        var table = TestTables.Create("t=>autoexpire=10;updateexpire=0", _time);
        table.Set("k", "old");
        _time.AdvanceSeconds(12);

        var e = table.Set("k", "new");

        Assert.Equal(_time.NowMs + 10_000, e.ExpiresAtMs);
        Assert.Equal("new", table.Get("k")!.StringValue);
    }

    [Fact]
    public void Updateexpire_1_restarts_the_lifetime_on_set()
    {
        var table = TestTables.Create("t=>autoexpire=10", _time);
        table.Set("k", "v1");
        _time.AdvanceSeconds(6);
        table.SetInt("k", 2);
        _time.AdvanceSeconds(6); // 12 s after creation, 6 s after the update

        Assert.Equal(2, table.Get("k")!.IntValue);
        _time.AdvanceSeconds(4);
        Assert.Null(table.Get("k"));
    }

    [Fact]
    public void Updateexpire_1_restarts_the_lifetime_on_add()
    {
        var table = TestTables.Create("t=>autoexpire=10", _time);
        table.Add("c", 1);
        _time.AdvanceSeconds(6);
        table.Add("c", 1);
        _time.AdvanceSeconds(6);

        Assert.Equal(2, table.Get("c")!.IntValue);
        Assert.Equal(_time.NowMs + 4_000, table.Get("c")!.ExpiresAtMs);
    }

    [Fact]
    public void Updateexpire_0_keeps_the_original_expiry_on_set()
    {
        var table = TestTables.Create("t=>autoexpire=10;updateexpire=0", _time);
        var created = table.Set("k", "v1");
        _time.AdvanceSeconds(6);
        var updated = table.Set("k", "v2");

        Assert.Equal(created.ExpiresAtMs, updated.ExpiresAtMs);
        Assert.Equal("v2", table.Get("k")!.StringValue);
        _time.AdvanceSeconds(4);
        Assert.Null(table.Get("k"));
    }

    [Fact]
    public void Updateexpire_0_keeps_the_original_expiry_on_add()
    {
        var table = TestTables.Create("t=>autoexpire=10;updateexpire=0", _time);
        table.Add("c", 1);
        var expires = table.Get("c")!.ExpiresAtMs;
        _time.AdvanceSeconds(6);
        table.Add("c", 1);

        Assert.Equal(expires, table.Get("c")!.ExpiresAtMs);
        _time.AdvanceSeconds(4);
        Assert.Null(table.Get("c"));
    }

    [Fact]
    public void Explicit_expire_overrides_autoexpire()
    {
        var table = TestTables.Create("t=>autoexpire=100", _time);

        var e = table.Set("k", "v", expireSeconds: 5);

        Assert.Equal(_time.NowMs + 5_000, e.ExpiresAtMs);
        _time.AdvanceSeconds(5);
        Assert.Null(table.Get("k"));
    }

    [Fact]
    public void Explicit_expire_works_on_a_table_without_autoexpire()
    {
        var table = TestTables.Create("t=>", _time);

        var s = table.Set("s", "v", expireSeconds: 3);
        var i = table.SetInt("i", 1, expireSeconds: 7);

        Assert.Equal(_time.NowMs + 3_000, s.ExpiresAtMs);
        Assert.Equal(_time.NowMs + 7_000, i.ExpiresAtMs);
        _time.AdvanceSeconds(3);
        Assert.Null(table.Get("s"));
        Assert.NotNull(table.Get("i"));
        _time.AdvanceSeconds(4);
        Assert.Null(table.Get("i"));
        Assert.Equal(2, table.CollectExpired(_time.NowMs).Count);
    }

    [Fact]
    public void Explicit_expire_applies_to_updates_even_with_updateexpire_0()
    {
        var table = TestTables.Create("t=>autoexpire=100;updateexpire=0", _time);
        table.Set("k", "v");
        _time.AdvanceSeconds(1);

        var e = table.Set("k", "w", expireSeconds: 2);

        Assert.Equal(_time.NowMs + 2_000, e.ExpiresAtMs);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(long.MinValue)]
    public void Explicit_expire_not_positive_falls_back_to_the_table_rule(long seconds)
    {
        var withAuto = TestTables.Create("t=>autoexpire=10", _time);
        var withoutAuto = TestTables.Create("u=>", _time);

        Assert.Equal(_time.NowMs + 10_000, withAuto.Set("k", "v", seconds).ExpiresAtMs);
        Assert.Equal(_time.NowMs + 10_000, withAuto.SetInt("i", 1, seconds).ExpiresAtMs);
        Assert.Equal(0, withoutAuto.Set("k", "v", seconds).ExpiresAtMs);
    }

    [Fact]
    public void Update_without_explicit_expire_on_plain_table_clears_an_explicit_expiry()
    {
        // updateexpire=1 and autoexpire=0: the update restarts the table rule, which is "never".
        var table = TestTables.Create("t=>", _time);
        table.Set("k", "v", expireSeconds: 5);

        var e = table.Set("k", "w");

        Assert.Equal(0, e.ExpiresAtMs);
        _time.AdvanceSeconds(60);
        Assert.NotNull(table.Get("k"));
    }

    [Fact]
    public void SetExpire_on_missing_key_returns_false_and_creates_nothing()
    {
        var table = TestTables.Create("t=>autoexpire=10", _time);

        Assert.False(table.SetExpire("missing", 30));
        Assert.Equal(0, table.RawCount);
    }

    [Fact]
    public void SetExpire_sets_a_new_lifetime_and_keeps_the_value()
    {
        var table = TestTables.Create("t=>autoexpire=10", _time);
        var before = table.SetInt("k", 9);
        _time.AdvanceSeconds(8);

        Assert.True(table.SetExpire("k", 30));

        var after = table.Get("k")!;
        Assert.Equal(9, after.IntValue);
        Assert.Equal(_time.NowMs + 30_000, after.ExpiresAtMs);
        Assert.True(after.Version > before.Version);
        _time.AdvanceSeconds(29);
        Assert.NotNull(table.Get("k"));
        _time.AdvanceSeconds(1);
        Assert.Null(table.Get("k"));
    }

    [Fact]
    public void SetExpire_0_clears_the_expiry()
    {
        var table = TestTables.Create("t=>autoexpire=10", _time);
        table.Set("k", "v");

        Assert.True(table.SetExpire("k", 0));

        Assert.Equal(0, table.Get("k")!.ExpiresAtMs);
        Assert.Equal(0, table.SecondsToLive("k"));
        _time.Advance(TimeSpan.FromDays(30));
        Assert.Equal("v", table.Get("k")!.StringValue);
        Assert.Empty(table.CollectExpired(_time.NowMs));
    }

    [Fact]
    public void SecondsToLive_semantics()
    {
        var table = TestTables.Create("t=>autoexpire=10", _time);
        var plain = TestTables.Create("p=>", _time);
        table.Set("k", "v");
        plain.Set("k", "v");

        Assert.Null(table.SecondsToLive("missing"));
        Assert.Equal(0, plain.SecondsToLive("k"));
        Assert.Null(plain.SecondsToLive("missing"));
        Assert.Equal(10, table.SecondsToLive("k"));
        _time.AdvanceMs(500);
        Assert.Equal(10, table.SecondsToLive("k")); // rounds up
        _time.AdvanceMs(500);
        Assert.Equal(9, table.SecondsToLive("k"));
        _time.AdvanceMs(8_999);
        Assert.Equal(1, table.SecondsToLive("k"));
        _time.AdvanceMs(1);
        Assert.Null(table.SecondsToLive("k"));
    }

    [Fact]
    public void Page_skips_expired_items()
    {
        var table = TestTables.Create("t=>autoexpire=10", _time);
        for (var i = 0; i < 30; i++)
            table.Set("early" + i, "v");
        _time.AdvanceSeconds(5);
        for (var i = 0; i < 30; i++)
            table.Set("late" + i, "v");
        _time.AdvanceSeconds(5);

        var seen = new List<Entry>();
        ulong? cursor = 0;
        while (cursor is { } c)
        {
            var (items, next) = table.Page(c, 4);
            seen.AddRange(items);
            cursor = next;
        }

        Assert.Equal(Enumerable.Range(0, 30).Select(i => "late" + i).Order(StringComparer.Ordinal), seen.Keys());
    }

    [Fact]
    public void Huge_expiry_does_not_wrap()
    {
        var time = new ManualTime();
        var table = TestTables.Create("t=>", time);
        table.Set("a", "v", long.MaxValue / 100);
        table.Set("b", "v");
        Assert.True(table.SetExpire("b", long.MaxValue / 100));
        Assert.NotNull(table.Get("a"));
        Assert.NotNull(table.Get("b"));
    }
}
