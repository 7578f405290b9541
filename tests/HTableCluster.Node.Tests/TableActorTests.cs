using Akka.Actor;
using HTableCluster.Node.Tables;
using HTableCluster.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using static HTableCluster.Node.Tables.TableProtocol;

namespace HTableCluster.Node.Tests;

public sealed class TableActorTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly ManualTime _time = new();
    private readonly HTable _table;
    private readonly TableEvents _events = new(NullLogger<TableEvents>.Instance);

    public TableActorTests() =>
        _table = new HTable(TableOptions.Parse("x=>size=4;autoexpire=5"), new HybridClock(_time), 1);

    private IActorRef Writer(TimeSpan? sweep = null) =>
        Sys.ActorOf(TableActor.Props(_table.Partition(0), sweep ?? TimeSpan.FromHours(1), _events));

    private static async Task<WriteResult[]> Apply(IActorRef writer, params WriteOp[] ops)
    {
        var applied = await writer.Ask<Applied>(new Apply("x", 0, ops, 41), TimeSpan.FromSeconds(5));
        Assert.Equal(41, applied.Id);
        return applied.Results;
    }

    [Fact]
    public async Task Applies_writes_in_order_and_readers_see_them()
    {
        var w = Writer();
        var k = HTable.MakeKey("k");
        var r = await Apply(w,
            new WriteOp(WriteKind.SetInteger, k, null, 5),
            new WriteOp(WriteKind.Add, k, null, 2),
            new WriteOp(WriteKind.Delete, HTable.MakeKey("missing")));
        Assert.Equal(WriteStatus.Applied, r[0].Status);
        Assert.Equal(7, r[1].Value);
        Assert.Equal(WriteStatus.NotFound, r[2].Status);
        Assert.Equal(7, _table.Get("k")!.IntValue);
    }

    [Fact]
    public async Task Atomic_update_runs_on_the_writer()
    {
        var w = Writer();
        var done = await w.Ask<AtomicDone>(new Atomic("x", 0, p =>
        {
            var key = HTable.MakeKey("a");
            var current = _table.Get("a")?.IntValue ?? 0;
            return p.SetInteger(key, current + 10).IntValue;
        }, 3), TimeSpan.FromSeconds(5));
        Assert.Equal((3L, (object?)10L), (done.Id, done.Result));
    }

    [Fact]
    public async Task Sweep_collects_expired_items_and_raises_the_event()
    {
        var expired = new List<string>();
        _events.Expired += (_, e) => { lock (expired) expired.Add(e.Key); };
        var w = Writer(TimeSpan.FromMilliseconds(50));
        await Apply(w, new WriteOp(WriteKind.SetString, HTable.MakeKey("old"), "v"u8.ToArray()));
        _time.Advance(TimeSpan.FromSeconds(6));
        await AwaitAssertAsync(() =>
        {
            lock (expired)
                Assert.Equal(["old"], expired);
        }, TimeSpan.FromSeconds(5));
        Assert.Equal(0, _table.RawCount);
        Assert.Equal(1, _events.ExpiredCount);
    }

    [Fact]
    public async Task A_failing_atomic_update_fails_its_caller_and_the_writer_goes_on()
    {
        var w = Writer();
        w.Tell(new Atomic("x", 0, _ => throw new InvalidOperationException("boom"), 5));
        var failed = ExpectMsg<WriteFailed>();
        Assert.Equal(5, failed.Id);
        Assert.IsType<InvalidOperationException>(failed.Error);
        var r = await Apply(w, new WriteOp(WriteKind.SetInteger, HTable.MakeKey("after"), null, 1));
        Assert.Equal(WriteStatus.Applied, r[0].Status);
    }

    [Fact]
    public void Database_rows_are_loaded_at_version_zero_and_contents_swapped_in_by_the_writer()
    {
        var w = Writer();
        w.Tell(new TableProtocol.Load(7, [LoadedItem.OfString("a", "1"), LoadedItem.OfInteger("b", 2)]));
        Assert.Equal(new TableProtocol.Loaded(7, 2), ExpectMsg<TableProtocol.Loaded>());
        Assert.Equal(0, _table.Get("a")!.Version);
        Assert.Null(_table.Partition(0).TakeChanges());

        var staged = _table.StageContents();
        staged.Add(LoadedItem.OfString("c", "3"));
        w.Tell(new TableProtocol.Swap(8, staged));
        Assert.Equal(new TableProtocol.Swapped(8, 1), ExpectMsg<TableProtocol.Swapped>());
        Assert.Null(_table.Get("a"));
        Assert.Equal("3", _table.Get("c")!.StringValue);

        // The same contents a second time: refused with the reason, nothing changes.
        w.Tell(new TableProtocol.Swap(9, staged));
        Assert.NotNull(ExpectMsg<TableProtocol.Swapped>().Error);
        Assert.Equal("3", _table.Get("c")!.StringValue);
    }

    [Fact]
    public async Task Replies_reach_their_caller_by_id_and_the_rest_fail_when_the_writers_are_gone()
    {
        var replies = new WriteReplies(((ExtendedActorSystem)Sys).Provider);
        var (first, firstReply) = replies.Expect<WriteResult>(completeInline: false);
        var (second, secondReply) = replies.Expect<WriteResult[]>(completeInline: false);
        var (third, thirdReply) = replies.Expect<object?>(completeInline: false);
        var (_, fourthReply) = replies.Expect<object?>(completeInline: false);

        replies.Tell(new Applied(second, [new WriteResult(WriteStatus.NotFound)]));
        replies.Tell(new AppliedOne(first, new WriteResult(WriteStatus.Applied, null, 7)));
        replies.Tell(new WriteFailed(third, new WriteConcernException("late")));
        replies.Tell(new AppliedOne(999, default)); // nobody waits for it

        Assert.Equal(7, (await firstReply.WaitAsync(TimeSpan.FromSeconds(5))).Value);
        Assert.Equal(WriteStatus.NotFound, (await secondReply.WaitAsync(TimeSpan.FromSeconds(5)))[0].Status);
        await Assert.ThrowsAsync<WriteConcernException>(() => thirdReply.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(1, replies.Pending);
        replies.FailAll(new NodeUnavailableException());
        await Assert.ThrowsAsync<NodeUnavailableException>(() => fourthReply.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, replies.Pending);
    }
}
