using HTableCluster.Replication;

namespace HTableCluster.Node.Tests;

/// <summary>/health/ready's inputs and the reasons it gives.</summary>
public sealed class ReadinessTests(NodeFixture node) : IClassFixture<NodeFixture>
{
    [Fact]
    public void Every_missing_input_is_a_reason()
    {
        var r = new Readiness();
        Assert.Equal(["not an Up cluster member yet", "table writers not started"], r.Reasons());
        r.Use(new ReplicationStatus());
        r.MarkJoined();
        r.MarkTablesStarted();
        r.SetLoading("users", true);
        r.SetLoading("acl", true);
        Assert.Equal(["initial sync of replicated tables not done", "table acl still loading", "table users still loading"], r.Reasons());
        r.Use(null);
        r.MarkJoined();
        r.SetLoading("users", false);
        r.SetLoading("acl", false);
        Assert.True(r.IsReady);
        r.MarkLeft();
        Assert.False(r.IsReady);
    }

    [Fact]
    public async Task Ready_node_answers_ready()
    {
        using var response = await node.Http.GetAsync(new Uri(node.RpcUrl, "/health/ready"));
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("ready\n", await response.Content.ReadAsStringAsync());
    }
}
