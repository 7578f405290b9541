using HTableCluster.Storage;
using static HTableCluster.Replication.WriterProtocol;

namespace HTableCluster.Replication.Tests;

public class PartitionWritersTests
{
    private readonly HTable _table = new(TableOptions.Parse("t=>dmqreplicate=1"), new HybridClock(TimeProvider.System), 3, replicated: true);
    private readonly List<(string Writer, object Message)> _sent = [];

    private PartitionWriters<string> Writers() => new(_table, (w, m) => _sent.Add((w, m)));

    private static string WriterOf(int partition) => "w" + partition;

    private PartitionWriters<string> AllAttached()
    {
        var writers = Writers();
        for (var p = 0; p < _table.PartitionCount; p++)
            Assert.True(writers.Attach(p, WriterOf(p)));
        return writers;
    }

    private static byte[] ItemOf(string key)
    {
        var source = new HTable(TableOptions.Parse("s=>dmqreplicate=1"), new HybridClock(TimeProvider.System), 1, replicated: true);
        var k = HTable.MakeKey(key);
        source.Partition(0).SetString(k, "v"u8.ToArray());
        return source.Partition(0).TakeChanges()!.Value.Items[0];
    }

    [Fact]
    public void The_table_is_attached_once_every_partition_writer_announced_itself_and_a_restarted_one_replaces_the_old()
    {
        var writers = Writers();
        Assert.False(writers.Attach(-1, "x"));
        Assert.False(writers.Attach(3, "x"));
        Assert.True(writers.Attach(0, "w0"));
        Assert.True(writers.Attach(1, "w1"));
        Assert.True(writers.Attach(1, "w1-restarted"));
        Assert.False(writers.Attached);
        Assert.True(writers.Attach(2, "w2"));
        Assert.True(writers.Attached);

        writers.TellAll(new Clear("t"));
        Assert.Equal(["w0", "w1-restarted", "w2"], _sent.Select(s => s.Writer));
    }

    [Fact]
    public void Items_go_to_the_writer_of_their_partition_and_a_malformed_one_is_counted_and_dropped()
    {
        var writers = AllAttached();
        var items = Enumerable.Range(0, 30).Select(i => ItemOf("k" + i)).ToList();
        Assert.Equal(1, writers.Merge([.. items, [1, 2, 3]], resetVersion: 0));

        var merges = _sent.Select(s => (s.Writer, Merge: (Merge)s.Message)).ToList();
        Assert.Equal(items.Count, merges.Sum(m => m.Merge.Items.Count));
        foreach (var (writer, merge) in merges)
        {
            Assert.All(merge.Items, item => Assert.Equal(writer, WriterOf(_table.PartitionOfItem(item))));
            Assert.Equal(0, merge.ResetVersion);
        }
        Assert.Equal(merges.Count, merges.Select(m => m.Writer).Distinct().Count()); // one message per writer
    }

    [Fact]
    public void A_reset_version_reaches_every_writer_even_without_items()
    {
        var writers = AllAttached();
        Assert.Equal(0, writers.Merge([], resetVersion: 42));
        Assert.Equal(3, _sent.Count);
        Assert.Equal(["w0", "w1", "w2"], _sent.Select(s => s.Writer));
        Assert.All(_sent, s =>
        {
            var merge = Assert.IsType<Merge>(s.Message);
            Assert.Equal(("t", 42L), (merge.Table, merge.ResetVersion));
            Assert.Empty(merge.Items);
        });
    }

    [Fact]
    public void Nothing_is_merged_and_a_barrier_passes_at_once_until_every_writer_is_attached()
    {
        var writers = Writers();
        writers.Attach(0, "w0");
        Assert.Equal(0, writers.Merge([ItemOf("a")], 7));
        var ran = 0;
        writers.AfterBarrier(() => ran++);
        Assert.Equal(1, ran);
        Assert.Empty(_sent);
    }

    [Fact]
    public void What_waits_for_a_barrier_runs_once_every_writer_passed_it()
    {
        var writers = AllAttached();
        var ran = 0;
        writers.AfterBarrier(() => ran++);
        var barriers = _sent.Select(s => (WriterProtocol.Barrier)s.Message).ToList();
        Assert.Equal(3, barriers.Count);
        Assert.Single(barriers.Select(b => b.Id).Distinct());
        Assert.Equal(1, writers.PendingBarriers);

        writers.Passed(barriers[0].Id);
        writers.Passed(barriers[0].Id);
        Assert.Equal(0, ran);
        writers.Passed(barriers[0].Id);
        Assert.Equal(1, ran);
        Assert.Equal(0, writers.PendingBarriers);
    }
}
