namespace HTableCluster.Replication.Tests;

public class BarrierWaitsTests
{
    [Fact]
    public void What_waits_runs_once_when_the_last_writer_passed()
    {
        var waits = new BarrierWaits();
        var ran = 0;
        var id = waits.Open(3, () => ran++);
        var other = waits.Open(1, () => ran += 10);

        waits.Passed(id);
        waits.Passed(id);
        Assert.Equal(0, ran);
        waits.Passed(id);
        Assert.Equal(1, ran);
        waits.Passed(id); // a late duplicate changes nothing
        Assert.Equal(1, ran);
        waits.Passed(other);
        Assert.Equal(11, ran);
        Assert.Equal(0, waits.Count);
    }
}
