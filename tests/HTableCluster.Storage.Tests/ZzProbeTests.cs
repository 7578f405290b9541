using System.Text;

namespace HTableCluster.Storage.Tests;

public class ZzProbeTests
{
    [Fact]
    public void Probe_eqi_non_ascii() =>
        Assert.True(Matcher.Create(MatchOperator.EqualsIgnoreCase, "ключ").IsMatch(Encoding.UTF8.GetBytes("ключ")));

    [Fact]
    public void Probe_eqi_mixed() =>
        Assert.True(Matcher.Create(MatchOperator.EqualsIgnoreCase, "Müller").IsMatch(Encoding.UTF8.GetBytes("MüLLER")));

    [Fact]
    public void Probe_duplicate_invalid_attribute() =>
        Assert.Throws<FormatException>(() => TableOptions.Parse("t=>size=8;size=abc"));

    [Fact]
    public void Probe_huge_expire()
    {
        var time = new ManualTime();
        var table = TestTables.Create("t=>", time);
        table.Set("k", "v", long.MaxValue / 100);
        Assert.NotNull(table.Get("k"));
    }

    [Fact]
    public void Probe_huge_setexpire()
    {
        var time = new ManualTime();
        var table = TestTables.Create("t=>", time);
        table.Set("k", "v");
        Assert.True(table.SetExpire("k", long.MaxValue / 100));
        Assert.NotNull(table.Get("k"));
    }
}
