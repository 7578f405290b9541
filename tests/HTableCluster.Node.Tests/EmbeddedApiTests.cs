using Microsoft.Extensions.DependencyInjection;
using HTableCluster.Node.Tables;
using HTableCluster.Storage;
using static HTableCluster.Node.Tables.TableProtocol;

namespace HTableCluster.Node.Tests;

/// <summary>The typed API a .NET application uses when it hosts a node.</summary>
public sealed class EmbeddedApiTests(NodeFixture node) : IClassFixture<NodeFixture>
{
    [Fact]
    public async Task Typed_reads_and_writes()
    {
        var t = node.Node.Table("a");
        await t.ResetAsync();
        var e = await t.SetStringAsync("user", "alice");
        Assert.Equal("alice", t.Get("user")!.StringValue);
        Assert.True(e.Version > 0);
        await t.SetIntegerAsync("n", 41);
        Assert.Equal(42, (await t.AddAsync("n", 1)).Value);
        Assert.Equal(WriteStatus.NotInteger, (await t.AddAsync("user", 1)).Status);
        Assert.True(await t.SetExpireAsync("user", 30));
        Assert.InRange(t.Table.SecondsToLive("user")!.Value, 29, 30);
        Assert.True(await t.DeleteAsync("user"));
        Assert.False(await t.DeleteAsync("user"));
        Assert.Equal(1, await t.RemoveWhereAsync(Matcher.Create(MatchOperator.StartsWith, "n"), byValue: false));
        Assert.Throws<ArgumentException>(() => node.Node.Table("nosuch"));
    }

    [Fact]
    public async Task A_cancelled_wait_ends_the_wait_and_the_write_still_applies()
    {
        var t = node.Node.Table("a");
        // Hold the partition's writer so the write waits in its mailbox.
        using var hold = new SemaphoreSlim(0);
        var blocker = t.UpdateAsync("cancel-blocker", (_, _) => hold.Wait(TimeSpan.FromSeconds(10)));
        var partition = t.Table.PartitionOf(HTable.MakeKey("cancel-blocker"));
        var key = Enumerable.Range(0, 10_000).Select(i => "cancelled-wait-" + i).First(k => t.Table.PartitionOf(HTable.MakeKey(k)) == partition);
        using var cts = new CancellationTokenSource();
        var write = t.SetStringAsync(key, "v", cancellationToken: cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write);
        Assert.Null(t.Get(key));

        hold.Release();
        Assert.True(await blocker.WaitAsync(TimeSpan.FromSeconds(10)));
        // Queued behind the cancelled write on the same writer: once it ran, so had that write.
        using var live = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.True(await t.UpdateAsync(key, (_, _) => true, live.Token));
        Assert.Equal("v", t.Get(key)!.StringValue);
    }

    [Fact]
    public async Task Concurrent_atomic_updates_lose_nothing()
    {
        var t = node.Node.Table("a");
        var tasks = Enumerable.Range(0, 200).Select(_ => t.UpdateAsync("counter", (p, k) =>
        {
            var current = p.Table.Get("counter")?.IntValue ?? 0;
            return p.SetInteger(k, current + 1).IntValue;
        }));
        await Task.WhenAll(tasks);
        Assert.Equal(200, t.Get("counter")!.IntValue);
    }

    [Fact]
    public async Task Batch_apply_returns_results_in_input_order()
    {
        var t = node.Node.Table("i");
        var ops = Enumerable.Range(0, 64).Select(n => new WriteOp(WriteKind.Add, HTable.MakeKey($"c{n % 8}"), null, 1)).ToList();
        var results = await t.ApplyAsync(ops);
        for (var n = 0; n < 64; n++)
            Assert.Equal(7 + 1 + (n / 8), results[n].Value);
    }

    [Fact]
    public async Task Apply_refuses_writes_that_span_every_partition()
    {
        var t = node.Node.Table("a");
        await Assert.ThrowsAsync<ArgumentException>(() => t.ApplyAsync([new WriteOp(WriteKind.Reset, default)]));
    }

    [Fact]
    public async Task A_failing_expired_subscriber_does_not_stop_the_others()
    {
        var events = node.Services.GetRequiredService<TableEvents>();
        var seen = new List<string>();
        void Throws(HTable table, Entry e) => throw new InvalidOperationException("subscriber bug");
        void Records(HTable table, Entry e)
        {
            if (table.Name == "e")
            {
                lock (seen)
                    seen.Add(e.Key);
            }
        }
        events.Expired += Throws;
        events.Expired += Records;
        try
        {
            var t = node.Node.Table("e");
            await t.SetStringAsync("x1", "v");
            await t.SetStringAsync("x2", "v");
            node.Time.Advance(TimeSpan.FromSeconds(6));
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (DateTime.UtcNow < deadline)
            {
                lock (seen)
                {
                    if (seen.Count >= 2)
                        break;
                }
                await Task.Delay(100);
            }
            lock (seen)
                Assert.Equal(["x1", "x2"], seen.Order(StringComparer.Ordinal));
        }
        finally
        {
            events.Expired -= Throws;
            events.Expired -= Records;
        }
    }
}

/// <summary>While the actor system stops (or is rebuilt after a downing), writes are refused and reads go on.</summary>
public sealed class SuspendedNodeTests
{
    [Fact]
    public async Task Queued_writes_are_answered_then_new_ones_are_refused_and_reads_go_on()
    {
        var node = new NodeFixture();
        await node.InitializeAsync();
        try
        {
            await SuspendAndCheckAsync(node);
        }
        finally
        {
            await node.DisposeAsync();
        }
    }

    private static async Task SuspendAndCheckAsync(NodeFixture node)
    {
        var t = node.Node.Table("a");
        var queued = Enumerable.Range(0, 100).Select(i => t.SetIntegerAsync("k" + i, i)).ToList();

        await node.Node.SuspendAsync();

        await Task.WhenAll(queued); // everything sent before was applied and answered
        Assert.Equal(99, t.Get("k99")!.IntValue);
        await Assert.ThrowsAsync<NodeUnavailableException>(() => t.SetStringAsync("late", "x"));
        Assert.Equal((-32603, "Internal error: the node is rejoining the cluster and takes no writes right now; retry shortly"),
            await node.ErrorAsync("htable.sets", "a", "late", "x"));
        Assert.Equal(5, (await node.ResultAsync("htable.value", "a", "k5")).GetInt64());
    }
}
