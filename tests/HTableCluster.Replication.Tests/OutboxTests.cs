namespace HTableCluster.Replication.Tests;

public class OutboxTests
{
    private static byte[] Item(int length) => new byte[length];

    [Fact]
    public void Changes_are_cut_into_batches_under_the_byte_limit_in_order()
    {
        var box = new Outbox<int>(maxBatchBytes: 100, maxItemBytes: 1000);
        var items = Enumerable.Range(0, 10).Select(_ => Item(36)).ToList();
        box.Add(items, 0);

        var batches = box.TakeBatches();

        Assert.All(batches, b => Assert.True(b.Items.Sum(i => i.Length + TableItems.ItemFraming) <= 100));
        Assert.Equal(items, batches.SelectMany(b => b.Items));
        Assert.True(box.IsEmpty);
        Assert.Empty(box.TakeBatches());
    }

    [Fact]
    public void An_item_larger_than_a_batch_travels_alone()
    {
        var box = new Outbox<int>(maxBatchBytes: 100, maxItemBytes: 1000);
        box.Add([Item(10), Item(500), Item(10)], 0);
        Assert.Equal([1, 1, 1], box.TakeBatches().Select(b => b.Items.Count));
    }

    [Fact]
    public void A_reset_travels_in_the_first_batch_even_without_items()
    {
        var box = new Outbox<int>(maxBatchBytes: 100, maxItemBytes: 1000);
        box.Add([], 42);
        box.Add([], 7); // an older reset is covered by the newer one
        Assert.False(box.IsEmpty);
        var batch = Assert.Single(box.TakeBatches());
        Assert.Equal(42, batch.ResetVersion);
        Assert.Empty(batch.Items);

        box.Add(Enumerable.Range(0, 6).Select(_ => Item(40)).ToList(), 9);
        Assert.Equal([9L, 0L, 0L], box.TakeBatches().Select(b => b.ResetVersion));
    }

    [Fact]
    public void Items_beyond_the_frame_limit_are_refused_with_their_sizes()
    {
        var box = new Outbox<int>(maxBatchBytes: 1000, maxItemBytes: 50);
        var refused = box.Add([Item(10), Item(51), Item(50)], 0);
        Assert.Equal([51], refused);
        Assert.Equal([10, 50], box.TakeBatches().Single().Items.Select(i => i.Length));
    }

    [Fact]
    public void Fullness_and_waiters_are_reported_and_taken_once()
    {
        var box = new Outbox<string>(maxBatchBytes: 100, maxItemBytes: 1000);
        box.Add([Item(60)], 0);
        Assert.False(box.IsFull);
        box.AddWaiter("w1");
        box.Add([Item(60)], 0);
        Assert.True(box.IsFull);
        Assert.True(box.HasWaiters);
        Assert.Equal(["w1"], box.TakeWaiters());
        Assert.False(box.HasWaiters);
        box.TakeBatches();
        Assert.False(box.IsFull);
    }
}
