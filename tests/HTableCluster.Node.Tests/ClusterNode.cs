using System.Globalization;
using Akka.Actor;
using Akka.Cluster;
using HTableCluster.Replication;
using Microsoft.Extensions.DependencyInjection;

namespace HTableCluster.Node.Tests;

/// <summary>One in-process cluster member with its own tables and settings.</summary>
public sealed class ClusterNode(string nodeId, IReadOnlyList<string> tables, IDictionary<string, string?> settings) : NodeFixture
{
    public string NodeId { get; } = nodeId;

    protected override IReadOnlyList<string> Tables => tables;

    protected override IDictionary<string, string?> Extra => new Dictionary<string, string?>(settings) { ["Node:NodeId"] = NodeId };

    public ClusterMember Member => Services.GetRequiredService<ClusterMember>();

    public ActorSystem System => Member.System!;

    public string ClusterAddress => "akka.tcp://htcluster@127.0.0.1:" + Cluster.Get(System).SelfAddress.Port!.Value.ToString(CultureInfo.InvariantCulture);

    public ReplicationStatus Replication => Member.Replication;

    public bool IsReady => Services.GetRequiredService<Readiness>().IsReady;

    /// <summary>Starts a node that joins through <paramref name="seed"/> (none: it forms a cluster alone).</summary>
    public static async Task<ClusterNode> StartAsync(string nodeId, IReadOnlyList<string> tables, ClusterNode? seed = null, IDictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>());
        if (seed is not null)
            values["Cluster:Seeds:0"] = seed.ClusterAddress;
        var node = new ClusterNode(nodeId, tables, values);
        await node.InitializeAsync();
        return node;
    }

    /// <summary>Waits until /health/ready would answer ready.</summary>
    public async Task WaitReadyAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!IsReady)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{NodeId} not ready in time");
            await Task.Delay(50);
        }
    }

    /// <summary>Retries <paramref name="check"/> until it passes or the time is up (then its last failure is thrown).</summary>
    public static async Task EventuallyAsync(Func<Task> check, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            try
            {
                await check();
                return;
            }
            catch (Exception ex) when (ex is Xunit.Sdk.XunitException or InvalidOperationException or KeyNotFoundException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
