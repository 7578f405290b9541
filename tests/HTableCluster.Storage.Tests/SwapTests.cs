using System.Collections.Concurrent;
using System.Globalization;

namespace HTableCluster.Storage.Tests;

public class SwapTests
{
    private readonly ManualTime _time = new();

    private static StagedContents Stage(HTable table, params LoadedItem[] rows)
    {
        var staged = table.StageContents();
        staged.AddRange(rows);
        return staged;
    }

    private static int SwapAll(HTable table, StagedContents staged)
    {
        var n = 0;
        for (var p = 0; p < table.PartitionCount; p++)
            n += table.Partition(p).Swap(staged);
        return n;
    }

    [Fact]
    public void Contents_are_replaced_at_version_zero()
    {
        var t = TestTables.Create("t=>", _time);
        t.Set("old", "1");
        t.Set("kept", "old value");

        var staged = Stage(t, LoadedItem.OfString("kept", "new value"), LoadedItem.OfInteger("n", 7), LoadedItem.OfString("n", "last wins"));
        Assert.Equal(2, staged.Count);
        Assert.Equal("old value", t.Get("kept")!.StringValue); // nothing visible before the swap

        Assert.Equal(2, SwapAll(t, staged));

        Assert.Null(t.Get("old"));
        Assert.Equal("new value", t.Get("kept")!.StringValue);
        Assert.Equal("last wins", t.Get("n")!.StringValue);
        Assert.All(t.Items(), e => Assert.Equal(0, e.Version));
        Assert.Equal(2, t.RawCount);
        Assert.Equal(2, t.SlotStats().Items);
    }

    [Fact]
    public void Swapped_in_items_expire_by_the_load_rules()
    {
        var t = TestTables.Create("t=>autoexpire=10", _time);
        var nowSeconds = _time.NowMs / 1000;
        var staged = t.StageContents();
        Assert.True(staged.Add(LoadedItem.OfString("auto", "1")));
        Assert.True(staged.Add(LoadedItem.OfString("own", "2", nowSeconds + 100)));
        Assert.False(staged.Add(LoadedItem.OfString("gone", "3", nowSeconds - 5)));
        SwapAll(t, staged);

        Assert.Equal(_time.NowMs + 10_000, t.Get("auto")!.ExpiresAtMs);
        Assert.Equal((nowSeconds + 100) * 1000, t.Get("own")!.ExpiresAtMs);
        Assert.Null(t.Get("gone"));
    }

    [Fact]
    public void Old_markers_and_expired_items_go_without_events_and_the_swap_is_not_recorded()
    {
        var t = TestTables.CreateReplicated("t=>", _time);
        t.Set("deleted", "x");
        t.Delete("deleted");
        t.Set("expiring", "x", expireSeconds: 1);
        t.TakeChanges();
        _time.AdvanceSeconds(2);

        SwapAll(t, Stage(t, LoadedItem.OfString("fresh", "db")));

        Assert.Equal(1, t.RawCount);
        Assert.Single(t.Export());
        Assert.Empty(t.CollectExpired(_time.NowMs));
        for (var p = 0; p < t.PartitionCount; p++)
            Assert.Null(t.Partition(p).TakeChanges());
    }

    [Fact]
    public void Changes_recorded_before_the_swap_stay_pending_and_the_reset_version_stays()
    {
        var t = TestTables.CreateReplicated("t=>", _time);
        var reset = t.Clock.Next();
        t.MergeReset(reset);
        var written = t.Set("written", "before the swap");
        t.Reset();

        SwapAll(t, Stage(t, LoadedItem.OfString("fresh", "db")));

        var (items, pendingReset) = t.TakeChanges();
        Assert.Equal(written.Buffer, Assert.Single(items));
        Assert.True(pendingReset > reset);
        Assert.True(t.ResetVersion >= reset);
        Assert.Equal("db", t.Get("fresh")!.StringValue);
        Assert.Null(t.Get("written"));
    }

    [Fact]
    public void A_replicated_write_wins_over_swapped_in_content()
    {
        var t = TestTables.CreateReplicated("t=>", _time);
        SwapAll(t, Stage(t, LoadedItem.OfString("k", "db")));
        var peer = TestTables.CreateReplicated("t=>", _time);
        peer.Set("k", "replicated");

        Assert.Equal(1, t.MergeAll(peer.TakeChanges().Items));
        Assert.Equal("replicated", t.Get("k")!.StringValue);
    }

    [Fact]
    public void Writes_and_deletions_made_while_the_contents_were_staged_survive_the_swap()
    {
        var t = TestTables.CreateReplicated("t=>", _time);
        t.Set("before", "memory");
        t.Set("gone", "memory");
        t.Set("changed", "memory");
        var staged = t.StageContents();
        // Meanwhile (the database is being read): a new key, a deletion, an update.
        t.Set("during", "new");
        t.Owner(HTable.MakeKey("gone")).Delete(HTable.MakeKey("gone"));
        t.Set("changed", "newer");
        staged.AddRange([LoadedItem.OfString("before", "db"), LoadedItem.OfString("gone", "db"), LoadedItem.OfString("changed", "db"), LoadedItem.OfString("fresh", "db")]);

        SwapAll(t, staged);

        Assert.Equal("db", t.Get("before")!.StringValue);  // stamped before the reload began
        Assert.Equal("db", t.Get("fresh")!.StringValue);
        Assert.Equal("new", t.Get("during")!.StringValue);
        Assert.Null(t.Get("gone"));                          // its deletion marker is newer
        Assert.Equal("newer", t.Get("changed")!.StringValue);
    }

    [Fact]
    public void Contents_are_swapped_in_once_per_partition_and_only_into_their_table()
    {
        var t = TestTables.Create("t=>", _time, partitions: 2);
        var other = TestTables.Create("t=>", _time, partitions: 2);
        var staged = Stage(t, LoadedItem.OfString("k", "v"));

        Assert.Throws<ArgumentException>(() => other.Partition(0).Swap(staged));
        t.Partition(0).Swap(staged);
        Assert.Throws<InvalidOperationException>(() => t.Partition(0).Swap(staged));
        Assert.Throws<InvalidOperationException>(() => staged.Add(LoadedItem.OfString("late", "v")));
        t.Partition(1).Swap(staged);
        Assert.Equal("v", t.Get("k")!.StringValue);
    }

    [Fact]
    public void Readers_see_a_whole_old_or_a_whole_new_partition_during_swaps()
    {
        const int Partitions = 4;
        const int Generations = 400;
        var t = TestTables.Create("t=>size=8", _time, Partitions);
        // Even generations hold 120 keys "e-i", odd ones 200 keys "o-i"; every value is the generation.
        string[] KeysOf(int g) => Enumerable.Range(0, g % 2 == 0 ? 120 : 200).Select(i => (g % 2 == 0 ? "e-" : "o-") + i).ToArray();
        int[] PerPartition(int g)
        {
            var counts = new int[Partitions];
            foreach (var k in KeysOf(g))
                counts[t.PartitionOf(HTable.MakeKey(k))]++;
            return counts;
        }
        var expected = new[] { PerPartition(0), PerPartition(1) };
        StagedContents StageGeneration(int g)
        {
            var text = g.ToString(CultureInfo.InvariantCulture);
            return Stage(t, KeysOf(g).Select(k => LoadedItem.OfString(k, text)).ToArray());
        }
        SwapAll(t, StageGeneration(0));

        var done = 0;
        var failures = new ConcurrentQueue<string>();
        void CheckPartition(int partition, List<Entry> items)
        {
            var generations = items.Select(e => e.StringValue).Distinct().ToList();
            if (generations.Count != 1)
            {
                failures.Enqueue($"partition {partition} mixes generations {string.Join(",", generations)}");
                return;
            }
            var g = int.Parse(generations[0]!, CultureInfo.InvariantCulture);
            var prefix = g % 2 == 0 ? "e-" : "o-";
            if (items.Count != expected[g % 2][partition] || items.Any(e => !e.Key.StartsWith(prefix, StringComparison.Ordinal)))
                failures.Enqueue($"partition {partition}: {items.Count} items of generation {g}");
        }

        var writer = new Thread(() =>
        {
            for (var g = 1; g <= Generations; g++)
            {
                var staged = StageGeneration(g);
                for (var p = 0; p < Partitions; p++)
                    t.Partition(p).Swap(staged);
            }
            Volatile.Write(ref done, 1);
        });
        var readers = Enumerable.Range(0, 2).Select(r => new Thread(() =>
        {
            for (var i = 0; (Volatile.Read(ref done) == 0 || i < 200) && failures.IsEmpty; i++)
            {
                if (r == 0)
                {
                    foreach (var group in t.Items().GroupBy(e => t.PartitionOf(HTable.MakeKey(e.Key))))
                        CheckPartition(group.Key, group.ToList());
                }
                else
                {
                    // A page larger than the table returns each partition whole.
                    var (items, _) = t.Page(0, 1000);
                    foreach (var group in items.GroupBy(e => t.PartitionOf(HTable.MakeKey(e.Key))))
                        CheckPartition(group.Key, group.ToList());
                }
            }
        })).ToList();

        readers.ForEach(x => x.Start());
        writer.Start();
        writer.Join();
        readers.ForEach(x => x.Join());

        Assert.Empty(failures);
        Assert.Equal(120, t.RawCount);
        Assert.All(t.Items(), e => Assert.Equal("400", e.StringValue));
    }
}
