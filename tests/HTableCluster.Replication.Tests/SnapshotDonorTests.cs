using HTableCluster.Storage;

namespace HTableCluster.Replication.Tests;

public class SnapshotDonorTests
{
    private static readonly DateTime Now = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static HTable Table(int items)
    {
        var table = new HTable(TableOptions.Parse("t=>dmqreplicate=1"), new HybridClock(TimeProvider.System), 2, replicated: true);
        for (var i = 0; i < items; i++)
        {
            var k = HTable.MakeKey("key" + i);
            table.Partition(table.PartitionOf(k)).SetString(k, new byte[40]);
        }
        return table;
    }

    [Fact]
    public void A_session_is_pulled_in_chunks_and_the_last_carries_the_marks_and_reset()
    {
        var table = Table(50);
        var donor = new SnapshotDonor<string>(table, maxChunkBytes: 500);
        var marks = new[] { new OriginMark(new Origin("me", 1), 12) };
        donor.Start("peer", 7, marks, Now);

        var items = 0;
        for (var i = 0; i < 100; i++)
        {
            var chunk = donor.Next("peer", 7, Now)!.Value;
            items += chunk.Items.Count;
            Assert.True(chunk.Items.Sum(x => x.Length) < 500 + 200);
            if (chunk.Last)
            {
                Assert.Equal(marks, chunk.Watermarks);
                Assert.Equal(table.ResetVersion, chunk.ResetVersion);
                break;
            }
            Assert.Empty(chunk.Watermarks);
        }
        Assert.Equal(50, items);
        Assert.Equal(0, donor.Open);
        Assert.Null(donor.Next("peer", 7, Now));
    }

    [Fact]
    public void Sessions_are_told_apart_by_requester_and_id_and_idle_ones_are_dropped()
    {
        var donor = new SnapshotDonor<string>(Table(3), maxChunkBytes: 1 << 20);
        donor.Start("a", 1, [], Now);
        donor.Start("b", 1, [], Now.AddSeconds(30));
        Assert.Null(donor.Next("a", 2, Now));
        Assert.Equal(2, donor.Open);

        donor.DropIdle(Now + SnapshotDonor<string>.IdleTimeout + TimeSpan.FromSeconds(1));
        Assert.Null(donor.Next("a", 1, Now));
        Assert.Equal(3, donor.Next("b", 1, Now)!.Value.Items.Count);
    }
}
