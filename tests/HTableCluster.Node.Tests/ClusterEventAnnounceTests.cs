using Microsoft.Extensions.DependencyInjection;
using HTableCluster.Node.Tables;

namespace HTableCluster.Node.Tests;

/// <summary>A reload (and a node's mod-init) reaches the subscribers of every member, once each.</summary>
public sealed class ClusterEventAnnounceTests
{
    private static readonly string[] Tables = ["r=>size=8;dmqreplicate=1"];

    [Fact]
    public async Task A_reload_on_one_node_reaches_the_other_nodes_subscribers_once_with_its_origin()
    {
        await using var n1 = await ClusterNode.StartAsync("n1", Tables);
        await n1.WaitReadyAsync();
        await using var n2 = await ClusterNode.StartAsync("n2", Tables, n1);
        await n2.WaitReadyAsync();
        var on1 = new List<TableEvent>();
        var on2 = new List<TableEvent>();
        var events1 = n1.Services.GetRequiredService<TableEvents>();
        var events2 = n2.Services.GetRequiredService<TableEvents>();
        events1.Raised += e => { lock (on1) on1.Add(e); };
        events2.Raised += e => { lock (on2) on2.Add(e); };

        // What htable.reload raises once the swap is done (the reload itself has its own tests).
        events1.OnReloaded(n1.Node.Table("r").Table);

        await ClusterNode.EventuallyAsync(() =>
        {
            lock (on2)
                Assert.Contains(on2, e => e.Kind == TableEventKind.Reloaded && e.Table == "r" && e.OriginNode == "n1");
            return Task.CompletedTask;
        });
        // Nothing comes twice: n1's own publication back from the topic is not delivered again.
        await Task.Delay(TimeSpan.FromSeconds(1));
        lock (on1)
            Assert.Single(on1, e => e.Kind == TableEventKind.Reloaded);
        lock (on2)
            Assert.Single(on2, e => e.Kind == TableEventKind.Reloaded);
    }

    [Fact]
    public async Task A_joining_nodes_mod_init_reaches_the_running_nodes_subscribers_once()
    {
        await using var n1 = await ClusterNode.StartAsync("n1", Tables);
        await n1.WaitReadyAsync();
        var on1 = new List<TableEvent>();
        n1.Services.GetRequiredService<TableEvents>().Raised += e => { lock (on1) on1.Add(e); };

        // n2's tables start (mod-init) while it is still joining: the announcement waits until the
        // members it joins can hear it.
        await using var n2 = await ClusterNode.StartAsync("n2", Tables, n1);
        await n2.WaitReadyAsync();

        await ClusterNode.EventuallyAsync(() =>
        {
            lock (on1)
                Assert.Contains(on1, e => e.Kind == TableEventKind.ModInit && e.OriginNode == "n2");
            return Task.CompletedTask;
        });
        await Task.Delay(TimeSpan.FromSeconds(1));
        lock (on1)
            Assert.Single(on1, e => e.Kind == TableEventKind.ModInit && e.OriginNode == "n2");
    }
}
