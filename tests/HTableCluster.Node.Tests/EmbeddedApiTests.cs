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
}
