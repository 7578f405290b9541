namespace HTableCluster.Storage.Tests;

public class RemoveWhereTests
{
    private static readonly string[] Names = ["alice", "Alicia", "ALICE", "malice", "bob", "Bobby", "carol"];
    private readonly ManualTime _time = new();
    private readonly HTable _table;

    public RemoveWhereTests()
    {
        _table = TestTables.Create("t=>size=4", _time);
        foreach (var name in Names)
            _table.Set(name, "v:" + name);
    }

    [Theory]
    [InlineData(MatchOperator.Regex, "^ali", new[] { "ALICE", "Alicia", "alice" })]
    [InlineData(MatchOperator.Regex, "LIC", new[] { "ALICE", "Alicia", "alice", "malice" })]
    [InlineData(MatchOperator.Regex, "b+y$", new[] { "Bobby" })]
    [InlineData(MatchOperator.StartsWith, "ali", new[] { "alice" })]
    [InlineData(MatchOperator.StartsWith, "Bob", new[] { "Bobby" })]
    [InlineData(MatchOperator.EndsWith, "ice", new[] { "alice", "malice" })]
    [InlineData(MatchOperator.Contains, "lic", new[] { "Alicia", "alice", "malice" })]
    [InlineData(MatchOperator.Equals, "alice", new[] { "alice" })]
    [InlineData(MatchOperator.Equals, "ali", new string[0])]
    [InlineData(MatchOperator.EqualsIgnoreCase, "alice", new[] { "ALICE", "alice" })]
    [InlineData(MatchOperator.Any, "", new[] { "ALICE", "Alicia", "Bobby", "alice", "bob", "carol", "malice" })]
    public void Removes_by_name(MatchOperator op, string pattern, string[] expected)
    {
        var removed = _table.RemoveWhere(Matcher.Create(op, pattern), byValue: false);

        Assert.Equal(expected.Order(StringComparer.Ordinal), removed.Keys());
        foreach (var name in Names)
            Assert.Equal(!expected.Contains(name), _table.Get(name) is not null);
        Assert.Equal(Names.Length - expected.Length, _table.RawCount);
    }

    [Fact]
    public void Removes_by_value_and_skips_integers()
    {
        _table.SetInt("int-123", 123);
        _table.Set("str-123", "123");

        var removed = _table.RemoveWhere(Matcher.Create(MatchOperator.Regex, "^12"), byValue: true);

        Assert.Equal(["str-123"], removed.Keys());
        Assert.NotNull(_table.Get("int-123"));

        var rest = _table.RemoveWhere(Matcher.Create(MatchOperator.Any, ""), byValue: true);
        Assert.Equal(Names.Length, rest.Count);
        Assert.Equal(["int-123"], _table.Items().Keys());
    }

    [Fact]
    public void Removes_by_value_with_plain_operators()
    {
        Assert.Equal(["alice", "malice"], _table.RemoveWhere(Matcher.Create(MatchOperator.EndsWith, "lice"), byValue: true).Keys());
        Assert.Equal(["bob"], _table.RemoveWhere(Matcher.Create(MatchOperator.Equals, "v:bob"), byValue: true).Keys());
        Assert.Equal(["ALICE"], _table.RemoveWhere(Matcher.Create(MatchOperator.EqualsIgnoreCase, "V:alice"), byValue: true).Keys());
        Assert.Empty(_table.RemoveWhere(Matcher.Create(MatchOperator.StartsWith, "alice"), byValue: true));
    }

    [Fact]
    public void Expired_items_are_not_reported_as_removed()
    {
        var table = TestTables.Create("e=>autoexpire=10", _time);
        table.Set("old", "x");
        _time.AdvanceSeconds(5);
        table.Set("new", "x");
        _time.AdvanceSeconds(5);

        var removed = table.RemoveWhere(Matcher.Create(MatchOperator.Any, ""), byValue: false);

        Assert.Equal(["new"], removed.Keys());
        Assert.Equal("old", Assert.Single(table.CollectExpired(_time.NowMs)).Key);
    }

    [Fact]
    public void Removing_many_keeps_the_rest_findable()
    {
        var table = TestTables.Create("m=>size=6", _time, partitions: 3);
        for (var i = 0; i < 2_000; i++)
            table.SetInt((i % 2 == 0 ? "even-" : "odd-") + i, i);

        var removed = table.RemoveWhere(Matcher.Create(MatchOperator.StartsWith, "even-"), byValue: false);

        Assert.Equal(1_000, removed.Count);
        Assert.Equal(1_000, table.RawCount);
        for (var i = 1; i < 2_000; i += 2)
            Assert.Equal(i, table.Get("odd-" + i)!.IntValue);
    }
}
