namespace HTableCluster.Storage.Tests;

public class AddTests
{
    private readonly ManualTime _time = new();

    [Fact]
    public void Missing_key_starts_from_initval()
    {
        var table = TestTables.Create("t=>initval=10", _time);

        Assert.Equal((AddStatus.Applied, 11L), table.Add("c", 1));
        Assert.Equal((AddStatus.Applied, 8L), table.Add("c", -3));
        Assert.Equal(8, table.Get("c")!.IntValue);
        Assert.True(table.Get("c")!.IsInteger);
    }

    [Fact]
    public void Missing_key_starts_from_negative_initval()
    {
        var table = TestTables.Create("t=>initval=-100", _time);

        Assert.Equal((AddStatus.Applied, -99L), table.Add("c", 1));
    }

    [Fact]
    public void Missing_key_without_initval_starts_from_zero()
    {
        var table = TestTables.Create("t=>", _time);

        Assert.Equal((AddStatus.Applied, -1L), table.Add("down", -1));
        Assert.Equal((AddStatus.Applied, 5L), table.Add("up", 5));
        Assert.Equal(-1, table.Get("down")!.IntValue);
    }

    [Fact]
    public void Existing_integer_is_incremented_not_reset_to_initval()
    {
        var table = TestTables.Create("t=>initval=1000", _time);
        table.SetInt("c", 5);

        Assert.Equal((AddStatus.Applied, 7L), table.Add("c", 2));
    }

    [Fact]
    public void Add_zero_still_creates_the_item()
    {
        var table = TestTables.Create("t=>initval=4", _time);

        Assert.Equal((AddStatus.Applied, 4L), table.Add("c", 0));
        Assert.Equal(4, table.Get("c")!.IntValue);
    }

    [Fact]
    public void String_item_gives_NotInteger_and_is_unchanged()
    {
        var table = TestTables.Create("t=>initval=1", _time);
        var before = table.Set("s", "12");

        var (status, _) = table.Add("s", 1);

        Assert.Equal(AddStatus.NotInteger, status);
        var after = table.Get("s")!;
        Assert.Same(before.Buffer, after.Buffer);
        Assert.Equal("12", after.StringValue);
    }

    [Fact]
    public void Overflow_above_max_leaves_value_unchanged()
    {
        var table = TestTables.Create("t=>", _time);
        var before = table.SetInt("c", long.MaxValue - 1);

        Assert.Equal((AddStatus.Applied, long.MaxValue), table.Add("c", 1));
        var atMax = table.Get("c")!;
        Assert.Equal((AddStatus.Overflow, long.MaxValue), table.Add("c", 1));

        Assert.Same(atMax.Buffer, table.Get("c")!.Buffer);
        Assert.Equal(long.MaxValue, table.Get("c")!.IntValue);
        Assert.True(atMax.Version > before.Version);
    }

    [Fact]
    public void Overflow_below_min_leaves_value_unchanged()
    {
        var table = TestTables.Create("t=>", _time);
        var before = table.SetInt("c", long.MinValue);

        Assert.Equal((AddStatus.Overflow, long.MinValue), table.Add("c", -1));
        Assert.Same(before.Buffer, table.Get("c")!.Buffer);
    }

    [Fact]
    public void Overflow_from_initval_creates_nothing()
    {
        var table = TestTables.Create("t=>initval=9223372036854775807", _time);

        Assert.Equal(AddStatus.Overflow, table.Add("c", 1).Status);
        Assert.Null(table.Get("c"));
        Assert.Equal(0, table.RawCount);
    }

    [Fact]
    public void Large_deltas_are_exact()
    {
        var table = TestTables.Create("t=>", _time);
        table.SetInt("c", long.MinValue);

        Assert.Equal((AddStatus.Applied, -1L), table.Add("c", long.MaxValue));
        Assert.Equal((AddStatus.Applied, long.MaxValue - 1), table.Add("c", long.MaxValue));
    }

    [Fact]
    public void New_counter_gets_autoexpire()
    {
        var table = TestTables.Create("t=>autoexpire=30", _time);

        table.Add("c", 1);

        Assert.Equal(_time.NowMs + 30_000, table.Get("c")!.ExpiresAtMs);
    }
}
