namespace HTableCluster.Storage.Tests;

public class PageTests
{
    private readonly ManualTime _time = new();

    private static List<Entry> ReadAll(HTable table, int limit, Action? betweenPages = null)
    {
        var all = new List<Entry>();
        ulong? cursor = 0;
        var pages = 0;
        while (cursor is { } c)
        {
            var (items, next) = table.Page(c, limit);
            all.AddRange(items);
            cursor = next;
            Assert.True(++pages < 100_000, "iteration does not terminate");
            if (next is not null)
                betweenPages?.Invoke();
        }
        return all;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(1000)]
    public void Every_item_exactly_once(int limit)
    {
        var table = TestTables.Create("t=>size=6", _time, partitions: 4);
        var keys = Enumerable.Range(0, 500).Select(i => "item-" + i).ToList();
        foreach (var key in keys)
            table.Set(key, key);

        var all = ReadAll(table, limit);

        Assert.Equal(keys.Order(StringComparer.Ordinal), all.Keys());
    }

    [Fact]
    public void Large_limit_returns_everything_in_one_page()
    {
        var table = TestTables.Create("t=>", _time);
        for (var i = 0; i < 100; i++)
            table.SetInt("n" + i, i);

        var (items, next) = table.Page(0, 1000);

        Assert.Equal(100, items.Count);
        Assert.Null(next);
    }

    [Fact]
    public void Empty_table_gives_empty_page_and_null_cursor()
    {
        var (items, next) = TestTables.Create("t=>", _time).Page(0, 10);

        Assert.Empty(items);
        Assert.Null(next);
    }

    [Fact]
    public void Limit_below_one_throws()
    {
        var table = TestTables.Create("t=>", _time);

        Assert.Throws<ArgumentOutOfRangeException>(() => table.Page(0, 0));
    }

    [Fact]
    public void Page_never_exceeds_limit_when_hashes_differ()
    {
        var table = TestTables.Create("t=>", _time);
        for (var i = 0; i < 200; i++)
            table.Set("p" + i, "v");

        ulong? cursor = 0;
        while (cursor is { } c)
        {
            var (items, next) = table.Page(c, 7);
            if (next is null)
                Assert.InRange(items.Count, 0, 7);
            else
                Assert.Equal(7, items.Count);
            cursor = next;
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(1000)]
    public void Concurrent_writes_of_other_keys_do_not_disturb_iteration(int limit)
    {
        var table = TestTables.Create("t=>size=6", _time, partitions: 4);
        var stable = Enumerable.Range(0, 300).Select(i => "stable-" + i).ToList();
        foreach (var key in stable)
            table.Set(key, "v");
        for (var i = 0; i < 200; i++)
            table.Set("churn-" + i, "v");

        var next = 200;
        var oldest = 0;
        var burst = true;
        var all = ReadAll(table, limit, () =>
        {
            // Once: a burst of new keys that forces every partition map to grow. Then balanced churn
            // (tombstones, rebuilds) and a rewrite of a stable key: none of this may move a stable item.
            if (burst)
            {
                for (var i = 0; i < 600; i++)
                    table.Set("burst-" + i, "v");
                burst = false;
            }
            for (var i = 0; i < 5; i++)
                table.Set("churn-" + next++, "v");
            for (var i = 0; i < 5; i++)
                table.Delete("churn-" + oldest++);
            table.Set(stable[next % stable.Count], "rewritten");
        });

        var seen = all.Select(e => e.Key).ToList();
        Assert.Equal(seen.Count, seen.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(stable.Order(StringComparer.Ordinal), seen.Where(k => k.StartsWith("stable-", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Cursor_resumes_from_the_returned_position()
    {
        var table = TestTables.Create("t=>", _time, partitions: 4);
        for (var i = 0; i < 50; i++)
            table.Set("k" + i, "v");

        var (first, cursor) = table.Page(0, 10);
        var (again, cursorAgain) = table.Page(0, 10);
        var (second, _) = table.Page(cursor!.Value, 10);

        Assert.Equal(first.Keys(), again.Keys());
        Assert.Equal(cursor, cursorAgain);
        Assert.Empty(first.Keys().Intersect(second.Keys()));
    }
}
