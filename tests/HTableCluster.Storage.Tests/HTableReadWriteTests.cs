using System.Text;

namespace HTableCluster.Storage.Tests;

public class HTableReadWriteTests
{
    private readonly ManualTime _time = new();
    private readonly HTable _table;

    public HTableReadWriteTests() => _table = TestTables.Create("t=>size=4", _time);

    [Fact]
    public void Set_and_get_string()
    {
        _table.Set("alice", "sip:alice@example.com");

        var e = _table.Get("alice");

        Assert.NotNull(e);
        Assert.False(e.IsInteger);
        Assert.Equal("sip:alice@example.com", e.StringValue);
        Assert.Equal("alice", e.Key);
        Assert.Same(e.Buffer, _table.Get("alice"u8)!.Buffer);
    }

    [Fact]
    public void Set_and_get_integer()
    {
        _table.SetInt("n", -42);

        var e = _table.Get("n");

        Assert.NotNull(e);
        Assert.True(e.IsInteger);
        Assert.Equal(-42, e.IntValue);
    }

    [Fact]
    public void Missing_key_gives_null()
    {
        _table.Set("a", "1");

        Assert.Null(_table.Get("b"));
        Assert.Null(_table.Get("A")); // keys compare case-sensitively although "a" and "A" share a slot
    }

    [Fact]
    public void Keys_differing_only_in_case_are_distinct()
    {
        _table.Set("a", "lower");
        _table.Set("A", "upper");

        Assert.Equal("lower", _table.Get("a")!.StringValue);
        Assert.Equal("upper", _table.Get("A")!.StringValue);
        Assert.Equal(2, _table.RawCount);
    }

    [Fact]
    public void Overwrite_replaces_value_and_type()
    {
        _table.Set("k", "text");
        _table.SetInt("k", 7);

        var asInt = _table.Get("k")!;
        Assert.True(asInt.IsInteger);
        Assert.Equal(7, asInt.IntValue);
        Assert.Null(asInt.StringValue);

        _table.Set("k", "again");

        var asString = _table.Get("k")!;
        Assert.False(asString.IsInteger);
        Assert.Equal("again", asString.StringValue);
        Assert.Equal(0, asString.IntValue);
        Assert.Equal(1, _table.RawCount);
    }

    [Fact]
    public void Each_write_gets_a_larger_version()
    {
        var v1 = _table.Set("k", "1").Version;
        var v2 = _table.SetInt("k", 2).Version;
        var v3 = _table.Set("other", "x").Version;

        Assert.True(v1 > 0);
        Assert.True(v2 > v1);
        Assert.True(v3 > v2);
        Assert.Equal(v2, _table.Get("k")!.Version);
    }

    [Fact]
    public void Delete_returns_removed_item_then_null()
    {
        _table.Set("k", "v");
        _table.Set("keep", "v");

        var removed = _table.Delete("k");

        Assert.NotNull(removed);
        Assert.Equal("k", removed.Key);
        Assert.Equal("v", removed.StringValue);
        Assert.Null(_table.Get("k"));
        Assert.Null(_table.Delete("k"));
        Assert.Null(_table.Delete("never-there"));
        Assert.NotNull(_table.Get("keep"));
        Assert.Equal(1, _table.RawCount);
    }

    [Fact]
    public void Key_can_be_set_again_after_delete()
    {
        _table.Set("k", "one");
        _table.Delete("k");
        _table.SetInt("k", 2);

        Assert.Equal(2, _table.Get("k")!.IntValue);
        Assert.Equal(1, _table.RawCount);
    }

    [Fact]
    public void Long_and_non_ascii_keys_work()
    {
        var longKey = new string('x', 300) + "ключ"; // longer than the stack buffer for lookups
        _table.Set(longKey, "long");
        _table.Set("ключ", "короткий");

        Assert.Equal("long", _table.Get(longKey)!.StringValue);
        Assert.Equal("короткий", _table.Get("ключ")!.StringValue);
        Assert.Equal("ключ", _table.Get(Encoding.UTF8.GetBytes("ключ"))!.Key);
    }

    [Fact]
    public void Empty_string_value_is_a_string()
    {
        _table.Set("k", "");

        var e = _table.Get("k")!;
        Assert.False(e.IsInteger);
        Assert.Equal("", e.StringValue);
        Assert.Equal("", e.ValueText);
    }

    [Fact]
    public void Items_and_counts_cover_all_partitions()
    {
        for (var i = 0; i < 100; i++)
            _table.Set("key" + i, "v" + i);

        Assert.Equal(4, _table.PartitionCount);
        Assert.Equal(100, _table.RawCount);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => "key" + i).Order(StringComparer.Ordinal), _table.Items().Keys());
        Assert.Equal(100, _table.CountByName(Matcher.Create(MatchOperator.StartsWith, "key")));
        Assert.Equal(11, _table.CountByName(Matcher.Create(MatchOperator.Regex, "^key1[0-9]?$")));
        Assert.Equal(1, _table.CountByValue(Matcher.Create(MatchOperator.Equals, "v42")));
        Assert.True(_table.AnyByName(Matcher.Create(MatchOperator.Equals, "key99")));
        Assert.False(_table.AnyByName(Matcher.Create(MatchOperator.Equals, "key100")));
        Assert.True(_table.AnyByValue(Matcher.Create(MatchOperator.EndsWith, "99")));
        Assert.False(_table.AnyByValue(Matcher.Create(MatchOperator.EndsWith, "100")));
    }

    [Fact]
    public void Value_matching_ignores_integers()
    {
        _table.SetInt("i", 5);
        _table.Set("s", "5");

        Assert.Equal(1, _table.CountByValue(Matcher.Create(MatchOperator.Equals, "5")));
        Assert.Equal(1, _table.CountByValue(Matcher.Create(MatchOperator.Any, "")));
        Assert.Equal(2, _table.CountByName(Matcher.Create(MatchOperator.Any, "")));
    }

    [Fact]
    public void Reset_removes_everything()
    {
        for (var i = 0; i < 50; i++)
            _table.Set("k" + i, "v");

        Assert.Equal(50, _table.Reset());

        Assert.Equal(0, _table.RawCount);
        Assert.Empty(_table.Items());
        Assert.Null(_table.Get("k1"));
        Assert.Equal(0, _table.Reset());

        _table.Set("k1", "back");
        Assert.Equal("back", _table.Get("k1")!.StringValue);
        Assert.Equal(1, _table.RawCount);
    }

    [Fact]
    public void Writes_land_in_the_owning_partition()
    {
        var key = HTable.MakeKey("routed");
        _table.Owner(key).SetString(key, "v"u8);

        Assert.Equal(1, _table.Partition(_table.PartitionOf(key)).Map.Count);
        Assert.Equal(1, _table.RawCount);
        Assert.Equal(_table.PartitionOf(key), _table.PartitionOf(HTable.MakeKey("routed")));
        Assert.Same(_table, _table.Partition(2).Table);
        Assert.Equal(2, _table.Partition(2).Index);
    }

    [Fact]
    public void Reset_counts_only_live_items()
    {
        var time = new ManualTime();
        var table = TestTables.Create("x=>autoexpire=5", time);
        table.Set("old", "v");
        time.Advance(TimeSpan.FromSeconds(6));
        table.Set("new", "v");
        var removed = 0;
        for (var p = 0; p < table.PartitionCount; p++)
            removed += table.Partition(p).Reset();
        Assert.Equal(1, removed);
        Assert.Equal(0, table.RawCount);
    }
}
