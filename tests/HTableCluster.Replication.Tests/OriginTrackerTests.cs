namespace HTableCluster.Replication.Tests;

public class OriginTrackerTests
{
    [Fact]
    public void In_order_batches_leave_no_gap()
    {
        var t = new OriginTracker();
        for (var s = 1; s <= 5; s++)
            Assert.True(t.Receive(s));
        Assert.Equal(5, t.Contiguous);
        Assert.False(t.HasGap);
    }

    [Fact]
    public void Duplicates_are_recognised()
    {
        var t = new OriginTracker();
        t.Receive(1);
        t.Receive(3);
        Assert.False(t.Receive(1));
        Assert.False(t.Receive(3));
        Assert.True(t.Receive(2));
        Assert.Equal(3, t.Contiguous);
    }

    [Fact]
    public void A_later_batch_reveals_the_missing_range()
    {
        var t = new OriginTracker();
        t.Receive(1);
        t.Receive(5);
        t.Receive(6);
        Assert.True(t.HasGap);
        Assert.Equal((2L, 4L), t.FirstGap);
        t.Receive(3);
        Assert.Equal((2L, 2L), t.FirstGap);
        t.Receive(2);
        Assert.Equal((4L, 4L), t.FirstGap);
        t.Receive(4);
        Assert.False(t.HasGap);
        Assert.Equal(6, t.Contiguous);
    }

    [Fact]
    public void An_announced_head_reveals_a_lost_tail()
    {
        var t = new OriginTracker();
        t.Receive(1);
        t.Announced(3);
        Assert.Equal((2L, 3L), t.FirstGap);
        t.Announced(2); // older announcement changes nothing
        Assert.Equal((2L, 3L), t.FirstGap);
    }

    [Fact]
    public void A_snapshot_covers_everything_up_to_its_watermark()
    {
        var t = new OriginTracker();
        t.Receive(7);
        t.Receive(9);
        t.CoveredUpTo(6);
        Assert.Equal(7, t.Contiguous);
        Assert.Equal((8L, 8L), t.FirstGap);
        t.CoveredUpTo(20);
        Assert.False(t.HasGap);
        Assert.False(t.Receive(15));
        Assert.True(t.Receive(21));
    }
}
