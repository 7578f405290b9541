using System.Text;

namespace HTableCluster.Storage.Tests;

public class DumpAndStatsTests
{
    private readonly ManualTime _time = new();

    [Fact]
    public void DumpSlots_orders_by_slot_then_kamailio_hash()
    {
        var table = TestTables.Create("t=>size=4", _time);
        var keys = Enumerable.Range(0, 40).Select(i => "key-" + i).ToList();
        foreach (var key in keys)
            table.Set(key, "v");

        var dump = table.DumpSlots();

        Assert.Equal(16, table.SlotCount);
        for (var i = 1; i < dump.Count; i++)
            Assert.True(dump[i - 1].Slot < dump[i].Slot, "slots ascending");
        foreach (var (slot, items) in dump)
        {
            Assert.NotEmpty(items);
            foreach (var e in items)
                Assert.Equal(slot, KamailioHash.SlotOf(e.KeyUtf8, 16));
            for (var i = 1; i < items.Count; i++)
                Assert.True(KamailioHash.Compute(items[i - 1].KeyUtf8) <= KamailioHash.Compute(items[i].KeyUtf8), "cellid ascending");
        }

        // The whole dump is exactly the sequence sorted by (slot, cellid).
        var expected = keys
            .Select(k => (Key: k, Hash: KamailioHash.Compute(Encoding.UTF8.GetBytes(k))))
            .OrderBy(x => x.Hash & 15)
            .ThenBy(x => x.Hash)
            .Select(x => x.Key);
        Assert.Equal(expected, dump.SelectMany(s => s.Items).Select(e => e.Key));
        Assert.Equal(keys.Select(k => KamailioHash.SlotOf(Encoding.UTF8.GetBytes(k), 16)).Distinct().Count(), dump.Count);
    }

    [Fact]
    public void DumpSlots_of_empty_table_is_empty() =>
        Assert.Empty(TestTables.Create("t=>", _time).DumpSlots());

    [Fact]
    public void DumpSlots_uses_clamped_slot_count()
    {
        var table = TestTables.Create("t=>size=1", _time, partitions: 2);
        for (var i = 0; i < 100; i++)
            table.Set("k" + i, "v");

        var dump = table.DumpSlots();

        Assert.All(dump, s => Assert.InRange(s.Slot, 0, 7));
        Assert.Equal(100, dump.Sum(s => s.Items.Count));
    }

    [Fact]
    public void SlotStats_counts_per_slot()
    {
        var table = TestTables.Create("t=>size=4", _time);
        var perSlot = new int[16];
        for (var i = 0; i < 40; i++)
        {
            var key = "key-" + i;
            table.Set(key, "v");
            perSlot[KamailioHash.SlotOf(Encoding.UTF8.GetBytes(key), 16)]++;
        }

        var (items, max, min) = table.SlotStats();

        Assert.Equal(40, items);
        Assert.Equal(perSlot.Max(), max);
        Assert.Equal(perSlot.Min(), min);
    }

    [Fact]
    public void SlotStats_min_is_zero_when_a_slot_is_empty()
    {
        var table = TestTables.Create("t=>size=4", _time);
        table.Set("only", "v");

        Assert.Equal((1, 1, 0), table.SlotStats());
        Assert.Equal((0, 0, 0), TestTables.Create("e=>", _time).SlotStats());
    }

    [Fact]
    public void SlotStats_fills_every_slot()
    {
        // Four keys per slot of an 8-slot table: pick keys until each slot has four.
        var table = TestTables.Create("t=>size=3", _time);
        var perSlot = new int[8];
        for (var i = 0; perSlot.Any(n => n < 4); i++)
        {
            var key = "k" + i;
            var slot = KamailioHash.SlotOf(Encoding.UTF8.GetBytes(key), 8);
            if (perSlot[slot] == 4)
                continue;
            perSlot[slot]++;
            table.Set(key, "v");
        }

        Assert.Equal((32, 4, 4), table.SlotStats());
    }

    [Fact]
    public void SlotStats_counts_only_live_items()
    {
        var table = TestTables.Create("t=>size=4;autoexpire=10", _time);
        table.Set("old", "v");
        _time.AdvanceSeconds(5);
        table.Set("new", "v");
        _time.AdvanceSeconds(5);

        Assert.Equal(2, table.RawCount);
        Assert.Equal(1, table.SlotStats().Items);
        Assert.Equal(1, table.SlotStats().MaxPerSlot);
    }

    [Fact]
    public void SlotStats_counters_match_a_walk_through_sets_deletes_merges_resets_and_swaps()
    {
        var table = TestTables.CreateReplicated("t=>size=5", _time);
        var peer = TestTables.CreateReplicated("t=>size=5", _time);
        var random = new Random(7);
        for (var round = 0; round < 400; round++)
        {
            var key = "k" + random.Next(300);
            switch (random.Next(10))
            {
                case < 4: table.Set(key, "v" + round); break;
                case 4: table.SetInt(key, round); break;
                case 5: table.Delete(key); break;
                case 6: table.Add(key, 3); break;
                case 7: peer.Set(key, "p" + round); break;
                case 8: peer.Delete(key); break;
                default:
                    _time.AdvanceMs(1);
                    table.MergeAll(peer.TakeChanges().Items);
                    break;
            }
            Assert.Equal(table.WalkedSlotStats(), table.CountedSlotStats());
        }
        Assert.True(table.SlotStats().Items > 0);

        table.MergeReset(table.Clock.Next());
        Assert.Equal((0, 0, 0), table.CountedSlotStats());

        var staged = table.StageContents();
        for (var i = 0; i < 50; i++)
            Assert.True(staged.Add(LoadedItem.OfString("db" + i, "v")));
        for (var i = 0; i < table.PartitionCount; i++)
            table.Partition(i).Swap(staged);
        Assert.Equal(table.WalkedSlotStats(), table.CountedSlotStats());
        Assert.Equal(50, table.SlotStats().Items);

        for (var i = 0; i < table.PartitionCount; i++)
            table.Partition(i).Clear();
        Assert.Equal((0, 0, 0), table.SlotStats());
    }

    [Fact]
    public void SlotStats_walks_the_items_while_any_can_expire()
    {
        var table = TestTables.Create("t=>size=4", _time);
        table.Set("forever", "v");
        table.Set("brief", "v", expireSeconds: 10);
        Assert.Equal(1, table.Partition(table.PartitionOf(HTable.MakeKey("brief"))).Map.Expiring);
        _time.AdvanceSeconds(11);

        // The counters still hold the expired item; the stats do not count it.
        Assert.Equal(2, table.CountedSlotStats().Items);
        Assert.Equal(1, table.SlotStats().Items);
    }

    [Fact]
    public void DumpSlots_keeps_equal_cellids_in_creation_order()
    {
        // "k", "K" share a cellid (ASCII case folds in the hash) but are different keys.
        var table = TestTables.Create("t=>size=4", _time);
        table.Set("K", "1");
        table.Set("k", "2");
        table.Set("zz", "x");
        table.Set("K", "updated"); // an update keeps the item's place

        var slot = KamailioHash.SlotOf("k"u8, 16);
        var items = table.DumpSlots().Single(s => s.Slot == slot).Items.Where(e => e.Key is "k" or "K").Select(e => e.Key);
        Assert.Equal(["K", "k"], items);

        // Changing only the expiry keeps the place too.
        Assert.True(table.SetExpire("K", 60));
        items = table.DumpSlots().Single(s => s.Slot == slot).Items.Where(e => e.Key is "k" or "K").Select(e => e.Key);
        Assert.Equal(["K", "k"], items);

        // Deleted and created again: now the newest, so last.
        table.Delete("K");
        table.Set("K", "again");
        items = table.DumpSlots().Single(s => s.Slot == slot).Items.Where(e => e.Key is "k" or "K").Select(e => e.Key);
        Assert.Equal(["k", "K"], items);
    }

    [Fact]
    public void DumpSlots_orders_many_equal_cellids_by_creation()
    {
        // Keys that differ only in ASCII case all share one cellid; create them in a scrambled order.
        var table = TestTables.Create("t=>size=4", _time);
        var variants = new[] { "abc", "ABC", "aBc", "AbC", "abC", "Abc", "aBC", "ABc" };
        var order = new[] { 5, 2, 7, 0, 3, 6, 1, 4 };
        foreach (var i in order)
            table.Set(variants[i], "v");

        var dumped = table.DumpSlots().SelectMany(s => s.Items).Select(e => e.Key);

        Assert.Equal(order.Select(i => variants[i]), dumped);
    }
}
