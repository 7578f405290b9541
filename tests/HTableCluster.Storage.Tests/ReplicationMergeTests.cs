namespace HTableCluster.Storage.Tests;

/// <summary>Last-writer-wins merging, deletion markers and reset versions of replicated tables.</summary>
public class ReplicationMergeTests
{
    private readonly ManualTime _time = new();

    [Fact]
    public void Local_writes_of_a_replicated_table_are_recorded_in_order()
    {
        var t = TestTables.CreateReplicated("t=>", _time, partitions: 1);
        t.Set("a", "1");
        t.SetInt("b", 2);
        t.Add("b", 3);
        t.SetExpire("a", 60);

        var (items, reset) = t.TakeChanges();

        Assert.Equal(0, reset);
        Assert.Equal(["a", "b", "b", "a"], items.Select(i => new Entry(i).Key));
        Assert.Equal(5, new Entry(items[2]).IntValue);
        Assert.Empty(t.TakeChanges().Items);
    }

    [Fact]
    public void Local_table_records_nothing_and_delete_leaves_no_marker()
    {
        var t = TestTables.Create("t=>", _time, partitions: 1);
        t.Set("a", "1");
        t.Delete("a");

        Assert.Null(t.Partition(0).TakeChanges());
        Assert.Equal(0, t.RawCount);
    }

    [Fact]
    public void Markers_stamped_before_a_version_are_dropped_and_later_ones_and_items_stay()
    {
        var t = TestTables.CreateReplicated("t=>", _time, partitions: 1);
        t.Set("a", "1");
        t.Set("b", "1");
        t.Delete("a");
        _time.Advance(TimeSpan.FromSeconds(1));
        var floor = HybridClock.FirstVersionAt(_time.NowMs);
        t.Delete("b");
        t.Set("c", "1");
        t.TakeChanges();

        Assert.Equal(1, t.Partition(0).DropMarkersBefore(floor));
        Assert.Equal(2, t.RawCount); // b's marker and c
        Assert.Equal("1", t.Get("c")!.StringValue);
        Assert.Equal(0, t.Partition(0).DropMarkersBefore(floor));

    }

    [Fact]
    public void Delete_in_a_replicated_table_leaves_a_marker_that_reads_as_missing()
    {
        var t = TestTables.CreateReplicated("t=>", _time);
        t.Set("a", "1");
        t.TakeChanges();

        Assert.NotNull(t.Delete("a"));

        Assert.Null(t.Get("a"));
        Assert.Empty(t.Items());
        Assert.Equal(0, t.CountByName(Matcher.Create(MatchOperator.Any, "")));
        Assert.Null(t.Delete("a")); // already gone: nothing more recorded
        var marker = Assert.Single(t.TakeChanges().Items);
        Assert.True(new Entry(marker).IsTombstone);
    }

    [Fact]
    public void Newer_version_wins_and_older_one_is_ignored_in_any_order()
    {
        var a = TestTables.CreateReplicated("t=>", _time);
        a.Set("k", "old");
        _time.AdvanceMs(5);
        a.Set("k", "new");
        var writes = a.TakeChanges().Items;

        var forward = TestTables.CreateReplicated("t=>", _time);
        var backward = TestTables.CreateReplicated("t=>", _time);
        Assert.Equal(2, forward.MergeAll(writes));
        Assert.Equal(1, backward.MergeAll(Enumerable.Reverse(writes)));

        Assert.Equal("new", forward.Get("k")!.StringValue);
        Assert.Equal("new", backward.Get("k")!.StringValue);
    }

    [Fact]
    public void Equal_versions_from_two_nodes_settle_on_the_same_item_everywhere()
    {
        // Two nodes stamping the same clock value for the same key.
        var x = TestTables.CreateReplicated("t=>", _time);
        var y = TestTables.CreateReplicated("t=>", _time);
        x.Set("k", "from-x");
        y.Set("k", "from-y");
        var fromX = x.TakeChanges().Items;
        var fromY = y.TakeChanges().Items;
        Assert.Equal(new Entry(fromX[0]).Version, new Entry(fromY[0]).Version);

        x.MergeAll(fromY);
        y.MergeAll(fromX);

        Assert.Equal(x.Get("k")!.StringValue, y.Get("k")!.StringValue);
    }

    [Fact]
    public void Delete_marker_stops_an_older_write_that_arrives_late()
    {
        var origin = TestTables.CreateReplicated("t=>", _time);
        origin.Set("k", "v");
        var set = origin.TakeChanges().Items;
        _time.AdvanceMs(1);
        origin.Delete("k");
        var delete = origin.TakeChanges().Items;

        var replica = TestTables.CreateReplicated("t=>", _time);
        replica.MergeAll(delete);
        replica.MergeAll(set);

        Assert.Null(replica.Get("k"));
    }

    [Fact]
    public void A_write_after_a_delete_brings_the_key_back_everywhere()
    {
        var origin = TestTables.CreateReplicated("t=>", _time);
        origin.Set("k", "v1");
        origin.Delete("k");
        origin.Set("k", "v2");
        var changes = origin.TakeChanges().Items;

        var replica = TestTables.CreateReplicated("t=>", _time);
        replica.MergeAll(changes.AsEnumerable().Reverse());

        Assert.Equal("v2", origin.Get("k")!.StringValue);
        Assert.Equal("v2", replica.Get("k")!.StringValue);
    }

    [Fact]
    public void Remove_by_pattern_becomes_one_marker_per_removed_key()
    {
        var origin = TestTables.CreateReplicated("t=>", _time);
        origin.Set("user:1", "a");
        origin.Set("user:2", "b");
        origin.Set("other", "c");
        var replica = TestTables.CreateReplicated("t=>", _time);
        replica.MergeAll(origin.TakeChanges().Items);

        Assert.Equal(2, origin.RemoveWhere(Matcher.Create(MatchOperator.StartsWith, "user:"), byValue: false).Count);
        var markers = origin.TakeChanges().Items;
        replica.MergeAll(markers);

        Assert.Equal(2, markers.Count);
        Assert.Equal(["other"], replica.Items().Keys());
    }

    [Fact]
    public void Reset_removes_what_is_older_and_refuses_older_writes_arriving_later()
    {
        var origin = TestTables.CreateReplicated("t=>", _time);
        var replica = TestTables.CreateReplicated("t=>", _time);
        replica.Set("local-old", "x"); // older than the reset below
        origin.Set("a", "1");
        var early = origin.TakeChanges().Items;
        _time.AdvanceMs(1);
        Assert.Equal(1, origin.Reset());
        var (none, reset) = origin.TakeChanges();
        Assert.Empty(none);
        Assert.NotEqual(0, reset);
        _time.AdvanceMs(1);
        origin.Set("b", "2");
        var late = origin.TakeChanges().Items;

        replica.MergeAll(late);
        replica.MergeReset(reset);
        replica.MergeAll(early);

        Assert.Equal(["b"], replica.Items().Keys());
        Assert.Equal(reset, replica.ResetVersion);
    }

    [Fact]
    public void Reset_keeps_writes_stamped_after_its_version()
    {
        var t = TestTables.CreateReplicated("t=>", _time, partitions: 1);
        var version = t.Clock.Next();
        t.Set("after", "1"); // processed between stamping and applying the reset
        Assert.Equal(0, t.Partition(0).Reset(version));
        Assert.NotNull(t.Get("after"));
    }

    [Fact]
    public void Expired_item_leaves_a_marker_until_the_grace_period_ends()
    {
        var t = TestTables.CreateReplicated("t=>autoexpire=10", _time, partitions: 1, grace: TimeSpan.FromSeconds(60));
        var item = t.Set("k", "v");
        var set = t.TakeChanges().Items;
        _time.AdvanceSeconds(11);

        Assert.Single(t.CollectExpired(_time.NowMs));
        Assert.Empty(t.CollectExpired(_time.NowMs)); // reported once
        Assert.Null(t.TakeChanges().Items.FirstOrDefault()); // expiry is not replicated
        Assert.Equal(1, t.RawCount);
        Assert.Equal(0, t.MergeAll(set)); // the same write arriving late stays dead

        _time.AdvanceSeconds(58); // the marker counts its grace from the expiry (10 s)
        t.CollectExpired(_time.NowMs);
        Assert.Equal(1, t.RawCount);
        _time.AdvanceSeconds(1);
        t.CollectExpired(_time.NowMs);
        Assert.Equal(0, t.RawCount);
        Assert.Equal(item.Version, new Entry(set[0]).Version);
    }

    [Fact]
    public void Delete_markers_are_dropped_after_the_grace_period()
    {
        var t = TestTables.CreateReplicated("t=>", _time, partitions: 1, grace: TimeSpan.FromSeconds(30));
        t.Set("k", "v");
        t.Delete("k");
        _time.AdvanceSeconds(29);
        t.CollectExpired(_time.NowMs);
        Assert.Equal(1, t.RawCount);
        _time.AdvanceSeconds(1);
        Assert.Empty(t.CollectExpired(_time.NowMs));
        Assert.Equal(0, t.RawCount);
    }

    [Fact]
    public void Merging_a_newer_version_moves_the_local_clock_past_it()
    {
        var ahead = new ManualTime(new DateTimeOffset(2024, 1, 1, 0, 0, 10, TimeSpan.Zero));
        var remote = TestTables.CreateReplicated("t=>", ahead);
        remote.Set("k", "remote");
        var local = TestTables.CreateReplicated("t=>", _time);

        local.MergeAll(remote.TakeChanges().Items);
        local.Set("k", "local"); // local wall clock is 10 s behind

        Assert.Equal("local", local.Get("k")!.StringValue);
        Assert.True(local.Get("k")!.Version > remote.Get("k")!.Version);
    }

    [Fact]
    public void Preloaded_version_zero_loses_to_any_replicated_write()
    {
        var t = TestTables.CreateReplicated("t=>", _time);
        var k = HTable.MakeKey("k");
        var origin = TestTables.CreateReplicated("t=>", _time);
        origin.Set("k", "replicated");
        var item = origin.TakeChanges().Items[0];
        var zero = (byte[])item.Clone();
        zero.AsSpan(0, 8).Clear();
        t.Partition(t.PartitionOf(k)).Merge(zero);

        Assert.Equal(1, t.MergeAll([item]));
        Assert.Equal("replicated", t.Get("k")!.StringValue);
    }

    [Fact]
    public void Snapshot_export_carries_markers_and_rebuilds_the_same_content()
    {
        var origin = TestTables.CreateReplicated("t=>autoexpire=100", _time);
        for (var i = 0; i < 50; i++)
            origin.Set("k" + i, "v" + i);
        origin.SetInt("n", 7);
        origin.Delete("k3");
        var stale = TestTables.CreateReplicated("t=>autoexpire=100", _time);
        stale.Set("k3", "resurrect-me"); // older than the delete

        _time.AdvanceMs(1);
        stale.MergeAll(origin.Export());

        Assert.Equal(origin.Content(), stale.Content());
        Assert.Contains(origin.Export(), i => new Entry(i).IsTombstone);
    }

    [Fact]
    public void Malformed_buffers_are_recognised()
    {
        var origin = TestTables.CreateReplicated("t=>", _time);
        origin.SetInt("k", 1);
        var good = origin.TakeChanges().Items[0];

        Assert.True(ItemBuffer.IsWellFormed(good));
        Assert.False(ItemBuffer.IsWellFormed(new byte[10]));
        Assert.False(ItemBuffer.IsWellFormed(good.AsSpan(0, good.Length - 1))); // integer of 7 bytes
        var badKeyLength = (byte[])good.Clone();
        badKeyLength[22] = 0xff;
        Assert.False(ItemBuffer.IsWellFormed(badKeyLength));
        var badFlags = (byte[])good.Clone();
        badFlags[23] = 0x80;
        Assert.False(ItemBuffer.IsWellFormed(badFlags));
        Assert.Throws<ArgumentException>(() => origin.Partition(0).Merge(new byte[10]));
    }

    [Fact]
    public void Replicas_converge_whatever_order_changes_arrive_in()
    {
        var rng = new Random(1234);
        var nodes = Enumerable.Range(0, 3).Select(_ => TestTables.CreateReplicated("t=>initval=0", _time)).ToArray();
        var log = new List<(int Node, byte[] Item, long Reset)>();
        for (var step = 0; step < 600; step++)
        {
            var n = rng.Next(nodes.Length);
            var t = nodes[n];
            var key = "k" + rng.Next(20);
            switch (rng.Next(10))
            {
                case < 4: t.Set(key, "v" + step); break;
                case < 6: t.SetInt(key, step); break;
                case < 8: t.Delete(key); break;
                case 8 when rng.Next(2) == 0: t.SetExpire(key, 1000); break;
                case 8: t.Add(key, rng.Next(-3, 4)); break;
                default:
                    if (rng.Next(10) == 0)
                        t.Reset();
                    else
                        t.RemoveWhere(Matcher.Create(MatchOperator.StartsWith, "k1"), byValue: false);
                    break;
            }
            var (items, reset) = t.TakeChanges();
            log.AddRange(items.Select(i => (n, i, 0L)));
            if (reset != 0)
                log.Add((n, Array.Empty<byte>(), reset));
            if (rng.Next(4) == 0)
                _time.AdvanceMs(1);
        }

        // Every node receives every other node's changes in its own shuffled order.
        for (var n = 0; n < nodes.Length; n++)
        {
            foreach (var (origin, item, reset) in log.Where(l => l.Node != n).OrderBy(_ => rng.Next()))
            {
                if (reset != 0)
                    nodes[n].MergeReset(reset);
                else
                    nodes[n].MergeAll([item]);
            }
        }

        Assert.Equal(nodes[0].Content(), nodes[1].Content());
        Assert.Equal(nodes[0].Content(), nodes[2].Content());
        Assert.NotEmpty(nodes[0].Content());
    }

    [Fact]
    public void Versions_far_in_the_future_are_refused_and_counted()
    {
        var future = new ManualTime(new DateTimeOffset(2024, 1, 1, 1, 0, 0, TimeSpan.Zero)); // an hour ahead
        var broken = TestTables.CreateReplicated("t=>", future);
        broken.Set("k", "from-the-future");
        var t = TestTables.CreateReplicated("t=>", _time);
        t.Set("k", "now");

        Assert.Equal(0, t.MergeAll(broken.TakeChanges().Items));
        t.MergeReset(broken.Clock.Next());

        Assert.Equal("now", t.Get("k")!.StringValue);
        Assert.Equal(1 + t.PartitionCount, t.ImplausibleVersions); // the item, and the reset in every partition
        Assert.True(t.Clock.Next() < broken.Clock.Next()); // the local clock did not jump
    }

    [Fact]
    public void An_expired_item_in_a_snapshot_still_overrides_an_older_copy()
    {
        var a = TestTables.CreateReplicated("t=>", _time);
        var b = TestTables.CreateReplicated("t=>", _time);
        a.Set("k", "v");
        b.MergeAll(a.TakeChanges().Items);
        _time.AdvanceMs(1);
        a.SetExpire("k", 1); // b misses this change
        a.TakeChanges();
        _time.AdvanceSeconds(2);

        b.MergeAll(a.Export());

        Assert.Null(b.Get("k"));
    }

    private static HTable Node(ManualTime time, string id, string definition = "t=>initval=0") =>
        new(TableOptions.Parse(definition), new HybridClock(time), 4, replicated: true, replicaId: id);

    [Fact]
    public void Increments_made_on_several_nodes_at_once_all_count()
    {
        var nodes = new[] { Node(_time, "a"), Node(_time, "b"), Node(_time, "c") };
        var changes = new List<byte[]>();
        for (var round = 0; round < 5; round++)
        {
            for (var n = 0; n < 3; n++)
            {
                Assert.Equal(AddStatus.Applied, nodes[n].Add("calls", n + 1).Status);
                changes.AddRange(nodes[n].TakeChanges().Items);
            }
        }
        var rng = new Random(7);
        foreach (var node in nodes)
            node.MergeAll(changes.OrderBy(_ => rng.Next()).Concat(changes)); // any order, duplicates too

        Assert.All(nodes, n => Assert.Equal(5 * (1 + 2 + 3), n.Get("calls")!.IntValue));
        Assert.All(nodes, n => Assert.True(n.Get("calls")!.IsCounter));

        // Decrements count the same way (each origin's increments and decrements only grow).
        nodes[1].Add("calls", -30);
        nodes[2].Add("calls", -1);
        var down = nodes[1].TakeChanges().Items.Concat(nodes[2].TakeChanges().Items).ToList();
        foreach (var node in nodes)
            node.MergeAll(down);
        Assert.All(nodes, n => Assert.Equal(-1, n.Get("calls")!.IntValue));
    }

    [Fact]
    public void Increments_on_a_set_value_start_from_it()
    {
        var a = Node(_time, "a");
        var b = Node(_time, "b");
        a.SetInt("n", 100);
        b.MergeAll(a.TakeChanges().Items);
        a.Add("n", 1);
        b.Add("n", 10);
        var fromA = a.TakeChanges().Items;
        var fromB = b.TakeChanges().Items;
        a.MergeAll(fromB);
        b.MergeAll(fromA);

        Assert.Equal(111, a.Get("n")!.IntValue);
        Assert.Equal(111, b.Get("n")!.IntValue);
    }

    [Fact]
    public void A_set_starts_a_new_base_and_older_increments_no_longer_count()
    {
        var a = Node(_time, "a");
        var b = Node(_time, "b");
        a.Add("n", 5);
        var inc = a.TakeChanges().Items;
        b.MergeAll(inc);
        b.SetInt("n", 0);
        var set = b.TakeChanges().Items;
        a.MergeAll(set);
        a.MergeAll(inc); // the old increment again, late

        Assert.Equal(0, a.Get("n")!.IntValue);
        Assert.False(a.Get("n")!.IsCounter);
        a.Add("n", 2);
        b.MergeAll(a.TakeChanges().Items);
        Assert.Equal(2, b.Get("n")!.IntValue);
    }

    [Fact]
    public void After_a_delete_or_a_reset_counting_starts_again_from_initval()
    {
        var a = Node(_time, "a", "t=>initval=10");
        var b = Node(_time, "b", "t=>initval=10");
        a.Add("n", 5);
        b.MergeAll(a.TakeChanges().Items);
        a.Delete("n");
        b.MergeAll(a.TakeChanges().Items);
        a.Add("n", 1);
        b.Add("n", 1);
        var fromA = a.TakeChanges().Items;
        b.MergeAll(fromA);
        a.MergeAll(b.TakeChanges().Items);
        Assert.Equal(12, a.Get("n")!.IntValue);
        Assert.Equal(12, b.Get("n")!.IntValue);

        a.Reset();
        var reset = a.TakeChanges().Reset;
        b.MergeReset(reset);
        b.MergeAll(fromA); // an increment from before the reset
        Assert.Null(b.Get("n"));
        b.Add("n", 3);
        a.MergeAll(b.TakeChanges().Items);
        Assert.Equal(13, a.Get("n")!.IntValue);
    }

    [Fact]
    public void A_snapshot_carries_every_origin_total()
    {
        var a = Node(_time, "a");
        var b = Node(_time, "b");
        a.Add("n", 4);
        b.Add("n", 6);
        a.MergeAll(b.TakeChanges().Items);
        var joiner = Node(_time, "c");
        joiner.MergeAll(a.Export());
        b.MergeAll(a.TakeChanges().Items);

        Assert.Equal(10, joiner.Get("n")!.IntValue);
        joiner.Add("n", 1);
        b.MergeAll(joiner.TakeChanges().Items);
        Assert.Equal(11, b.Get("n")!.IntValue);
    }

    [Fact]
    public void Counter_overflow_is_refused_and_changes_nothing()
    {
        var a = Node(_time, "a");
        a.SetInt("n", long.MaxValue - 1);
        Assert.Equal((AddStatus.Applied, long.MaxValue), a.Add("n", 1));
        Assert.Equal(AddStatus.Overflow, a.Add("n", 1).Status);
        Assert.Equal(long.MaxValue, a.Get("n")!.IntValue);
        Assert.Equal(AddStatus.NotInteger, Node(_time, "b").Let(t => t.Set("s", "x")).Add("s", 1).Status);
    }

    [Fact]
    public void Forged_counter_states_are_recognised()
    {
        var a = Node(_time, "a");
        a.Add("n", 3);
        var good = a.TakeChanges().Items[0];
        Assert.True(ItemBuffer.IsWellFormed(good));
        var wrongValue = (byte[])good.Clone();
        wrongValue[24 + 1] ^= 1; // value no longer base + totals
        Assert.False(ItemBuffer.IsWellFormed(wrongValue));
        Assert.False(ItemBuffer.IsWellFormed(good.AsSpan(0, good.Length - 1)));
    }
}

internal static class LetExtension
{
    public static T Let<T>(this T value, Action<T> action)
    {
        action(value);
        return value;
    }
}
