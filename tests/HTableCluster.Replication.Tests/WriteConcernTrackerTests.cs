namespace HTableCluster.Replication.Tests;

public class WriteConcernTrackerTests
{
    private static readonly DateTime Now = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void A_wait_is_answered_once_enough_peers_applied_every_batch_of_it()
    {
        var t = new WriteConcernTracker<string, string>(TimeSpan.FromSeconds(5));
        t.Add(3, 4, needed: 2, Now, ["w"]);

        t.Acked(3, "a");
        t.Acked(3, "b");
        t.Acked(4, "a");
        Assert.Empty(t.Due(Now));

        t.Acked(4, "a"); // the same peer twice counts once
        Assert.Empty(t.Due(Now));

        t.Acked(4, "b");
        Assert.Equal([("w", (string?)null)], t.Due(Now));
        Assert.False(t.IsWaiting);
        Assert.Equal(0, t.AckedBatches);
    }

    [Fact]
    public void Past_the_deadline_the_waiters_get_the_reason()
    {
        var t = new WriteConcernTracker<int, string>(TimeSpan.FromMilliseconds(200));
        t.Add(1, 1, needed: 2, Now, [1, 2]);
        t.Acked(1, "a");
        Assert.Empty(t.Due(Now.AddMilliseconds(199)));

        var due = t.Due(Now.AddMilliseconds(200));
        Assert.Equal([1, 2], due.Select(d => d.Waiter).Order());
        Assert.All(due, d => Assert.Equal("applied on this node, but confirmed by 1 of 2 peers within 200 ms (write concern)", d.Error));
    }

    [Fact]
    public void Acknowledgements_are_kept_only_while_a_wait_may_need_them()
    {
        var t = new WriteConcernTracker<string, string>(TimeSpan.FromSeconds(5));
        t.Add(5, 5, needed: 1, Now, ["late"]);
        t.Acked(2, "a"); // before every wait: dropped at the next check
        t.Acked(6, "a"); // after: kept
        Assert.Empty(t.Due(Now));
        Assert.Equal(1, t.AckedBatches);
        t.Acked(5, "a");
        Assert.Single(t.Due(Now));
    }
}
