using static HTableCluster.Replication.ReplicationProtocol;

namespace HTableCluster.Replication.Tests;

public class RetransmitBufferTests
{
    private static Batch Batch(long seq, int bytes) => new("t", 1, new Origin("n", 1), seq, 0, [new byte[bytes]]);

    [Fact]
    public void Serves_held_ranges_in_order()
    {
        var b = new RetransmitBuffer(1000);
        for (var s = 1; s <= 5; s++)
            b.Add(Batch(s, 10));
        Assert.Equal([2L, 3L, 4L], b.Range(2, 4)!.Select(x => x.Seq));
        Assert.Equal([5L], b.Range(5, 100)!.Select(x => x.Seq));
        Assert.Empty(b.Range(6, 9)!);
    }

    [Fact]
    public void Drops_the_oldest_beyond_capacity_and_says_so()
    {
        var b = new RetransmitBuffer(100);
        for (var s = 1; s <= 10; s++)
            b.Add(Batch(s, 30));
        Assert.Equal(8, b.OldestSeq);
        Assert.Equal(90, b.Bytes);
        Assert.Null(b.Range(7, 9));
        Assert.Equal(3, b.Range(8, 10)!.Count);
    }

    [Fact]
    public void The_newest_batch_stays_even_when_larger_than_the_capacity()
    {
        var b = new RetransmitBuffer(10);
        b.Add(Batch(1, 5));
        b.Add(Batch(2, 50));
        Assert.Equal(2, b.OldestSeq);
        Assert.Single(b.Range(2, 2)!);
    }
}
