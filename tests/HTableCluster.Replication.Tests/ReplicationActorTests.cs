using System.Text;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.TestKit;
using HTableCluster.Storage;
using static HTableCluster.Replication.ReplicationProtocol;
using static HTableCluster.Replication.WriterProtocol;

namespace HTableCluster.Replication.Tests;

/// <summary>
/// The replication actor with probes for the pub-sub mediator, the partition writers and the peers,
/// on a real single-member cluster.
/// </summary>
public class ReplicationActorTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly Origin _peer = new("peer", 77);
    private int _actors;

    public ReplicationActorTests()
        : base(TestConfig.Cluster)
    {
        var cluster = Cluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        AwaitCondition(() => cluster.SelfMember.Status == MemberStatus.Up, Wait);
    }

    private sealed record Setup(IActorRef Actor, TestProbe Mediator, TestProbe[] Writers, HTable Table, ReplicationStatus Status, ReplicaStart Start);

    private static readonly ReplicaStart Me = new() { NodeId = "me", PublishWhenAlone = true };

    private Setup Start(ReplicationOptions? options = null, ReplicaStart? start = null, string definition = "t=>dmqreplicate=1", bool attach = true, bool ignoreDrops = true)
    {
        options ??= new ReplicationOptions();
        start ??= Me;
        var table = new HTable(TableOptions.Parse(definition), new HybridClock(TimeProvider.System), 2, replicated: true);
        var mediator = CreateTestProbe();
        var writers = new[] { CreateTestProbe(), CreateTestProbe() };
        foreach (var w in writers)
        {
            // Marker drops and the barrier before each announcement come every interval (the autopilot
            // still answers barriers); MarkerWatermarkTests and the test below cover them.
            if (ignoreDrops)
                w.IgnoreMessages(m => m is DropMarkers or WriterProtocol.Barrier);
            w.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
            {
                if (message is WriterProtocol.Barrier b)
                    sender.Tell(new BarrierPassed(b.Id));
                return AutoPilot.KeepRunning;
            }));
        }
        var status = new ReplicationStatus();
        var actor = Sys.ActorOf(ReplicationActor.Props([table], options, start, status, mediator), "replication-" + ++_actors);
        if (attach)
        {
            Attach(actor, table.Name, writers);
            var subscribe = mediator.ExpectMsg<Subscribe>(Wait);
            Assert.Equal("htable:" + table.Name, subscribe.Topic);
            mediator.LastSender.Tell(new SubscribeAck(subscribe));
            AwaitCondition(() => status.IsReady, Wait);
        }
        return new Setup(actor, mediator, writers, table, status, start);
    }

    // Each writer announces itself, as a table actor does when it starts.
    private static void Attach(IActorRef replication, string table, TestProbe[] writers)
    {
        for (var i = 0; i < writers.Length; i++)
        {
            writers[i].Send(replication, new WriterReady(table, i));
            writers[i].ExpectMsg<WriterAttached>(Wait);
        }
    }

    private Origin SelfOrigin(Setup s) => new(s.Start.NodeId, Cluster.Get(Sys).SelfUniqueAddress.Uid);

    private static byte[] Item(HTable source, string key, string value)
    {
        var k = HTable.MakeKey(key);
        var p = source.Partition(source.PartitionOf(k));
        p.SetString(k, Encoding.UTF8.GetBytes(value));
        return p.TakeChanges()!.Value.Items[^1];
    }

    private static HTable Source() => new(TableOptions.Parse("t=>dmqreplicate=1"), new HybridClock(TimeProvider.System), 1, replicated: true);

    private Batch PublishedBatch(TestProbe mediator)
    {
        var publish = mediator.FishForMessage<Publish>(p => p.Message is Batch, Wait);
        Assert.Equal("htable:t", publish.Topic);
        return (Batch)publish.Message;
    }

    [Fact]
    public void A_lone_node_is_ready_at_once()
    {
        var s = Start();
        Assert.True(s.Status.IsReady);
    }

    [Fact]
    public void Local_changes_are_published_as_numbered_batches_on_the_table_topic()
    {
        var s = Start();
        var src = Source();
        var a = Item(src, "a", "1");
        var b = Item(src, "b", "2");

        s.Actor.Tell(new Changed("t", [a], 0));
        var first = PublishedBatch(s.Mediator);
        s.Actor.Tell(new Changed("t", [b], 0));
        var second = PublishedBatch(s.Mediator);

        Assert.Equal((1L, 2L), (first.Seq, second.Seq));
        Assert.Same(a, first.Items[0]);
        Assert.Equal(SelfOrigin(s), first.Origin);
        Assert.Equal(TableFingerprint.Of(s.Table.Options), first.Fingerprint);
        Assert.Equal(2, s.Status.ItemsSent);
    }

    [Fact]
    public void Large_changes_are_split_into_batches_under_the_byte_limit()
    {
        var s = Start(new ReplicationOptions { MaxBatchBytes = 1024 });
        var src = Source();
        var items = Enumerable.Range(0, 10).Select(i => Item(src, "k" + i, new string('x', 270))).ToList();

        s.Actor.Tell(new Changed("t", items, 0));

        var batches = new List<Batch>();
        while (batches.Sum(b => b.Items.Count) < 10)
            batches.Add(PublishedBatch(s.Mediator));
        Assert.All(batches, b => Assert.True(RetransmitBuffer.SizeOf(b) <= 1024));
        Assert.Equal(Enumerable.Range(1, batches.Count).Select(i => (long)i), batches.Select(b => b.Seq));
        Assert.Equal(items, batches.SelectMany(b => b.Items));
    }

    [Fact]
    public void A_reset_is_published_with_its_version()
    {
        var s = Start();
        s.Actor.Tell(new Changed("t", [], 555));
        var batch = PublishedBatch(s.Mediator);
        Assert.Equal(555, batch.ResetVersion);
        Assert.Empty(batch.Items);
    }

    [Fact]
    public void Peer_batches_go_to_the_owning_writers_once_and_own_batches_are_ignored()
    {
        var s = Start();
        var src = Source();
        var items = Enumerable.Range(0, 20).Select(i => Item(src, "k" + i, "v")).ToArray();
        var batch = new Batch("t", TableFingerprint.Of(s.Table.Options), _peer, 1, 0, items);

        s.Actor.Tell(batch);
        var merged = new List<byte[]>();
        for (var w = 0; w < 2; w++)
        {
            var m = s.Writers[w].ExpectMsg<Merge>(Wait);
            Assert.All(m.Items, i => Assert.Equal(w, s.Table.PartitionOfItem(i)));
            merged.AddRange(m.Items);
        }
        Assert.Equal(20, merged.Count);

        s.Actor.Tell(batch); // duplicate
        s.Actor.Tell(batch with { Origin = SelfOrigin(s), Seq = 9 }); // own publication coming back
        s.Writers[0].ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        s.Writers[1].ExpectNoMsg(TimeSpan.Zero);
        Assert.Equal(20, s.Status.ItemsApplied);
    }

    [Fact]
    public void Applied_batches_are_recorded_per_peer_with_their_lag_and_the_table_state()
    {
        var lags = new System.Collections.Concurrent.ConcurrentQueue<(string Peer, double Seconds)>();
        var s = Start(start: Me with { LagObserver = peer => seconds => lags.Enqueue((peer, seconds)) });
        AwaitCondition(() => s.Status.Tables.Single().State == TableSyncState.Synced, Wait);
        var fp = TableFingerprint.Of(s.Table.Options);
        // Queued at the origin 250 ms ago: the lag is at least that.
        var sinceUs = ((DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10) - 250_000;
        var first = new Batch("t", fp, _peer, 1, 0, [Item(Source(), "a", "1")], SinceUs: sinceUs);
        s.Actor.Tell(first);
        s.Actor.Tell(new Batch("t", fp, _peer, 2, 0, [])); // from a sender that does not say when
        s.Actor.Tell(first); // a duplicate is not applied again
        AwaitCondition(() => s.Status.Tables.Single().Peers.Any(p => p.LastSeq == 2), Wait);

        var table = s.Status.Tables.Single();
        Assert.Equal("t", table.Name);
        var peer = Assert.Single(table.Peers);
        Assert.Equal(_peer, peer.Origin);
        Assert.Equal(2, peer.BatchesApplied);
        Assert.True(peer.LastLagUs >= 250_000, $"lag {peer.LastLagUs} us");
        Assert.True(peer.LastAppliedAtMs > 0);
        var (name, seconds) = Assert.Single(lags);
        Assert.Equal("peer", name);
        Assert.True(seconds >= 0.25, $"lag {seconds} s");
    }

    [Fact]
    public void Published_batches_say_when_their_first_change_was_queued()
    {
        var s = Start();
        var before = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
        s.Actor.Tell(new Changed("t", [Item(Source(), "k", "v")], 0));
        var batch = PublishedBatch(s.Mediator);
        var after = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
        Assert.InRange(batch.SinceUs, before, after);
    }

    [Fact]
    public void A_replicated_reset_reaches_every_writer()
    {
        var s = Start();
        s.Actor.Tell(new Batch("t", TableFingerprint.Of(s.Table.Options), _peer, 1, 999, []));
        foreach (var w in s.Writers)
            Assert.Equal(999, w.ExpectMsg<Merge>(Wait).ResetVersion);
    }

    [Fact]
    public void A_missing_batch_is_asked_for_again_from_its_origin()
    {
        var s = Start();
        var fp = TableFingerprint.Of(s.Table.Options);
        s.Actor.Tell(new Batch("t", fp, _peer, 1, 0, []));
        s.Actor.Tell(new Batch("t", fp, _peer, 4, 0, []));

        var ask = ExpectMsg<ResendRequest>(Wait);
        Assert.Equal(("t", 2L, 3L), (ask.Table, ask.FromSeq, ask.ToSeq));
        Assert.Equal(1, s.Status.GapsDetected);
    }

    [Fact]
    public void An_announced_head_reveals_a_lost_last_batch()
    {
        var s = Start();
        var fp = TableFingerprint.Of(s.Table.Options);
        s.Actor.Tell(new Batch("t", fp, _peer, 1, 0, []));
        s.Actor.Tell(new Heads("t", fp, _peer, 2));

        var ask = ExpectMsg<ResendRequest>(Wait);
        Assert.Equal((2L, 2L), (ask.FromSeq, ask.ToSeq));
    }

    [Fact]
    public void Announcements_carry_what_this_node_has_seen_and_markers_before_the_floor_are_dropped()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var s = Start(ignoreDrops: false);
        // Alone (announcing anyway): every member has seen everything up to now.
        var heads = s.Mediator.FishForMessage<Publish>(p => p.Message is Heads, Wait).Message as Heads;
        Assert.InRange(heads!.SeenUpToMs, before, before + 10_000);
        Assert.InRange(heads.AtMs, before, before + 10_000);
        var drop = s.Writers[0].FishForMessage<DropMarkers>(m => m is DropMarkers, Wait);
        Assert.InRange(drop.Version, HybridClock.FirstVersionAt(before - 1000), HybridClock.FirstVersionAt(before + 10_000));
    }

    [Fact]
    public void Held_batches_are_sent_again_and_dropped_ones_are_reported_gone()
    {
        var s = Start(new ReplicationOptions { RetransmitBytesOverride = 200 });
        var src = Source();
        for (var i = 0; i < 4; i++)
        {
            s.Actor.Tell(new Changed("t", [Item(src, "k" + i, new string('v', 60))], 0));
            PublishedBatch(s.Mediator);
        }

        s.Actor.Tell(new ResendRequest("t", 3, 4));
        Assert.Equal(3, ExpectMsg<Batch>(Wait).Seq);
        Assert.Equal(4, ExpectMsg<Batch>(Wait).Seq);

        s.Actor.Tell(new ResendRequest("t", 1, 4));
        var gone = ExpectMsg<ResendGone>(Wait);
        Assert.Equal((SelfOrigin(s), 1L), (gone.Origin, gone.FromSeq));
        Assert.Equal(2, s.Status.BatchesResent);
    }

    [Fact]
    public void What_an_origin_no_longer_holds_is_repaired_by_comparing_digests_with_it()
    {
        var s = Start();
        var fp = TableFingerprint.Of(s.Table.Options);
        var src = Source();
        s.Actor.Tell(new Batch("t", fp, _peer, 1, 0, []));
        s.Actor.Tell(new Heads("t", fp, _peer, 10));
        Assert.Equal((2L, 10L), ExpectMsg<ResendRequest>(Wait) is var q ? (q.FromSeq, q.ToSeq) : default);

        s.Actor.Tell(new ResendGone("t", _peer, 2));
        var request = ExpectMsg<DigestRequest>(Wait);
        Assert.Equal(fp, request.Fingerprint);
        Assert.Equal(1 << request.Scope.Log2Buckets, request.Buckets.Count);
        // The origin's bucket 0 differs; this node holds nothing there, so every cell of it is
        // equal to an empty one but the first, where the origin has items.
        var cells = new ulong[TableDigest.SubBuckets];
        cells[0] = 42;
        LastSender.Tell(new DigestDiff("t", request.Scope, [0], cells));
        var mine = ExpectMsg<DigestItems>(Wait);
        Assert.Equal([0], mine.Cells);
        Assert.Empty(mine.Items);
        Assert.True(mine.Last && mine.WantsYours);
        LastSender.Tell(new DigestItems("t", request.Scope, [0], [Item(src, "a", "1"), Item(src, "b", "2")], Last: true, WantsYours: false));

        AwaitCondition(() => s.Status.DigestItemsReceived == 2, Wait);
        var merged = s.Writers.SelectMany(w => w.ReceiveWhile(TimeSpan.FromMilliseconds(300), m => m as Merge)).Where(m => m is not null).ToList();
        Assert.Equal(2, merged.Sum(m => m!.Items.Count));
        Assert.Equal(1, s.Status.ResendsGone);
        Assert.True(s.Status.DigestRounds >= 1);

        // Everything up to batch 10 is left to the digests: no re-request for it.
        s.Actor.Tell(new Batch("t", fp, _peer, 11, 0, [Item(src, "d", "4")]));
        Assert.DoesNotContain(ReceiveWhile(TimeSpan.FromMilliseconds(200), m => m), m => m is ResendRequest);
        // A later gap is still asked of the origin itself (a second digest round may come first).
        s.Actor.Tell(new Batch("t", fp, _peer, 13, 0, []));
        var r = FishForMessage<ResendRequest>(m => m is ResendRequest, Wait);
        Assert.Equal((12L, 12L), (r.FromSeq, r.ToSeq));
    }

    [Fact]
    public void Without_init_sync_a_new_origin_is_tracked_from_its_first_batch_and_asked_once_for_what_it_wrote_since_the_join()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var s = Start(start: Me with { InitSync = false });
        var fp = TableFingerprint.Of(s.Table.Options);
        s.Actor.Tell(new Batch("t", fp, _peer, 5, 0, []));
        // What it published before its registry knew this node: its items since shortly before the
        // replicator started.
        var recent = ExpectMsg<RecentRequest>(Wait);
        Assert.InRange(recent.SinceMs, before - 1000, before + 4000);
        s.Actor.Tell(new Heads("t", fp, new Origin("other", 1), 40));
        Assert.Equal(recent, ExpectMsg<RecentRequest>(Wait));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        s.Actor.Tell(new Batch("t", fp, _peer, 7, 0, []));
        Assert.Equal(6, ExpectMsg<ResendRequest>(Wait).FromSeq);
    }

    [Fact]
    public async Task Resync_without_a_peer_is_refused_and_clears_nothing()
    {
        var s = Start();
        var reply = await s.Actor.Ask<SyncResult>(new SyncCommand("t", Replace: true), Wait);
        Assert.Contains("no peer", reply.Error, StringComparison.Ordinal);
        s.Writers[0].ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void After_a_rebuild_recent_items_and_counters_are_published_again()
    {
        var start = Me with { RepublishOnStart = true, RepublishSinceMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000 };
        var table = new HTable(TableOptions.Parse("t=>dmqreplicate=1"), new HybridClock(TimeProvider.System), 2, replicated: true);
        var old = Item(Source(), "old", "1");
        old.AsSpan(0, 8).Clear(); // version 0: long before the cut
        table.Partition(table.PartitionOfItem(old)).Merge(old);
        var k = HTable.MakeKey("recent");
        table.Partition(table.PartitionOf(k)).SetString(k, "2"u8);
        var c = HTable.MakeKey("calls");
        table.Partition(table.PartitionOf(c)).Add(c, 3); // a counter keeps its old base version
        for (var i = 0; i < 2; i++)
            table.Partition(i).TakeChanges();
        var mediator = CreateTestProbe();
        var writers = new[] { CreateTestProbe(), CreateTestProbe() };
        foreach (var w in writers)
            w.SetAutoPilot(new DelegateAutoPilot((sender, m) => { if (m is WriterProtocol.Barrier b) sender.Tell(new BarrierPassed(b.Id)); return AutoPilot.KeepRunning; }));
        var actor = Sys.ActorOf(ReplicationActor.Props([table], new ReplicationOptions(), start, new ReplicationStatus(), mediator), "replication-rebuilt");
        Attach(actor, "t", writers);
        var subscribe = mediator.ExpectMsg<Subscribe>(Wait);
        mediator.LastSender.Tell(new SubscribeAck(subscribe));

        var batch = PublishedBatch(mediator);
        Assert.Equal(["calls", "recent"], batch.Items.Select(i => Encoding.UTF8.GetString(i, 24, i[20])).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Away_longer_than_the_marker_grace_the_copy_is_replaced_keeping_recent_writes()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var options = new ReplicationOptions { TombstoneGraceSeconds = 60 };
        var start = Me with { RepublishOnStart = true, RepublishSinceMs = now - 600_000 };
        var table = new HTable(TableOptions.Parse("t=>dmqreplicate=1"), new HybridClock(TimeProvider.System), 1, replicated: true);
        var old = Item(Source(), "old", "1");
        old.AsSpan(0, 8).Clear();
        table.Partition(0).Merge(old);
        var k = HTable.MakeKey("recent");
        table.Partition(0).SetString(k, "2"u8);
        table.Partition(0).TakeChanges();
        var mediator = CreateTestProbe();
        var writer = CreateTestProbe();
        writer.SetAutoPilot(new DelegateAutoPilot((sender, m) => { if (m is WriterProtocol.Barrier b) sender.Tell(new BarrierPassed(b.Id)); return AutoPilot.KeepRunning; }));
        var actor = Sys.ActorOf(ReplicationActor.Props([table], options, start, new ReplicationStatus(), mediator), "replication-replacing");
        Attach(actor, "t", [writer]);
        var subscribe = mediator.ExpectMsg<Subscribe>(Wait);
        mediator.LastSender.Tell(new SubscribeAck(subscribe));

        writer.ExpectMsg<Clear>(Wait);
        var back = writer.FishForMessage<Merge>(m => m.Items.Count > 0, Wait);
        Assert.Equal(["recent"], back.Items.Select(i => Encoding.UTF8.GetString(i, 24, i[20])));
        Assert.Equal(["recent"], PublishedBatch(mediator).Items.Select(i => Encoding.UTF8.GetString(i, 24, i[20])));
    }

    [Fact]
    public void Items_too_large_for_a_frame_stay_local_and_are_counted()
    {
        var s = Start(start: Me with { MaxItemBytes = 100 });
        var src = Source();
        s.Actor.Tell(new Changed("t", [Item(src, "big", new string('x', 200)), Item(src, "small", "1")], 0));
        var batch = PublishedBatch(s.Mediator);
        Assert.Single(batch.Items);
        Assert.Equal(1, s.Status.OversizedItems);
    }

    [Fact]
    public void A_donor_streams_its_table_in_chunks_four_ahead_of_the_requester_with_watermarks_last()
    {
        var s = Start(new ReplicationOptions { MaxBatchBytes = 1024 });
        for (var i = 0; i < 200; i++)
        {
            var k = HTable.MakeKey("key" + i);
            s.Table.Partition(s.Table.PartitionOf(k)).SetString(k, new byte[40]);
        }
        var k0 = HTable.MakeKey("key0");
        s.Table.Partition(s.Table.PartitionOf(k0)).Delete(k0); // a deletion marker travels too
        var fp = TableFingerprint.Of(s.Table.Options);

        s.Actor.Tell(new SyncRequest("t", fp, 5));
        // Four chunks come before the requester has taken any; then one for each taken.
        var chunks = new List<SyncChunk> { ExpectMsg<SyncChunk>(Wait), ExpectMsg<SyncChunk>(Wait), ExpectMsg<SyncChunk>(Wait) };
        Assert.DoesNotContain(chunks, c => c.Last);
        chunks.Add(ExpectMsg<SyncChunk>(Wait));
        Assert.False(chunks[^1].Last);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        foreach (var _ in chunks)
            s.Actor.Tell(new SyncNext("t", 5));
        while (true)
        {
            var chunk = ExpectMsg<SyncChunk>(Wait);
            chunks.Add(chunk);
            if (chunk.Last)
                break;
            Assert.Empty(chunk.Watermarks);
            Assert.True(RetransmitBuffer.SizeOf(new Batch("t", 0, _peer, 0, 0, chunk.Items)) < 1024 + 200);
            s.Actor.Tell(new SyncNext("t", 5));
        }

        Assert.True(chunks.Count > 3);
        var keys = chunks.SelectMany(c => c.Items).Select(i => Encoding.UTF8.GetString(i, 24, i[20])).ToList();
        Assert.Equal(200, keys.Distinct().Count());
        Assert.Contains(chunks[^1].Watermarks, m => m.Origin == SelfOrigin(s));
    }

    [Fact]
    public void A_donor_refuses_other_definitions_and_unknown_tables_for_good()
    {
        var s = Start();
        s.Actor.Tell(new SyncRequest("t", 12345, 1));
        var mismatch = ExpectMsg<SyncRefused>(Wait);
        Assert.False(mismatch.NotReady);
        Assert.Contains("defined differently", mismatch.Reason, StringComparison.Ordinal);

        s.Actor.Tell(new SyncRequest("other", 1, 2));
        Assert.Contains("not replicated", ExpectMsg<SyncRefused>(Wait).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_that_is_not_ready_refuses_for_now()
    {
        var s = Start(attach: false);
        s.Actor.Tell(new SyncRequest("t", TableFingerprint.Of(s.Table.Options), 1));
        Assert.True(ExpectMsg<SyncRefused>(Wait).NotReady);
        Assert.False(s.Status.IsReady);
    }

    [Fact]
    public void Batches_of_a_differently_defined_table_are_ignored_and_counted()
    {
        var s = Start();
        s.Actor.Tell(new Batch("t", 1, _peer, 1, 0, [Item(Source(), "a", "1")]));
        s.Writers[0].ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        s.Writers[1].ExpectNoMsg(TimeSpan.Zero);
        Assert.Equal(1, s.Status.Mismatched);
    }

    [Fact]
    public void Malformed_items_are_dropped_and_counted()
    {
        var s = Start();
        var good = Item(Source(), "a", "1");
        s.Actor.Tell(new Batch("t", TableFingerprint.Of(s.Table.Options), _peer, 1, 0, [new byte[5], good]));
        var merge = s.Writers[s.Table.PartitionOfItem(good)].ExpectMsg<Merge>(Wait);
        Assert.Same(good, Assert.Single(merge.Items));
        Assert.Equal(1, s.Status.Malformed);
    }

    [Fact]
    public async Task Sync_command_without_peers_succeeds_at_once()
    {
        var s = Start();
        Assert.Null((await s.Actor.Ask<SyncResult>(new SyncCommand(null), Wait)).Error);
        Assert.Null((await s.Actor.Ask<SyncResult>(new SyncCommand("nope"), Wait)).Error);
    }
}
