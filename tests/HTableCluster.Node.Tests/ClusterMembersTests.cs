using System.Globalization;
using System.Text.Json;

namespace HTableCluster.Node.Tests;

/// <summary>
/// Membership over RPC on three in-process nodes: <c>cluster.members</c> (members, sync state, last
/// batch per peer) and <c>dmq.list_nodes</c> against Kamailio 5.6's recorded shape.
/// </summary>
public sealed class ClusterMembersTests(ThreeNodeCluster cluster) : IClassFixture<ThreeNodeCluster>
{
    private ClusterNode[] Nodes => cluster.Nodes;

    [Fact]
    public async Task Cluster_members_lists_every_member_and_per_replicated_table_the_last_batch_from_each_peer()
    {
        await Nodes[1].ResultAsync("htable.sets", "r", "members:from-n2", "x");
        await Nodes[2].ResultAsync("htable.sets", "r", "members:from-n3", "y");
        await ClusterNode.EventuallyAsync(() =>
        {
            Assert.NotNull(Nodes[0].Node.Table("r").Get("members:from-n2"));
            Assert.NotNull(Nodes[0].Node.Table("r").Get("members:from-n3"));
            return Task.CompletedTask;
        });

        var result = await Nodes[0].ResultAsync("cluster.members");
        Assert.Equal(["node_id", "members", "tables"], result.EnumerateObject().Select(p => p.Name));
        Assert.Equal("n1", result.GetProperty("node_id").GetString());

        var members = result.GetProperty("members").EnumerateArray().ToList();
        Assert.Equal(["n1", "n2", "n3"], members.Select(m => m.GetProperty("node_id").GetString()).Order(StringComparer.Ordinal));
        foreach (var m in members)
        {
            Assert.Equal(["node_id", "address", "status", "up_since", "self"], m.EnumerateObject().Select(p => p.Name));
            var node = Nodes.Single(n => n.NodeId == m.GetProperty("node_id").GetString());
            Assert.Equal(node.ClusterAddress, m.GetProperty("address").GetString());
            Assert.Equal("up", m.GetProperty("status").GetString());
            Assert.True(DateTimeOffset.TryParseExact(m.GetProperty("up_since").GetString(), "yyyy-MM-dd'T'HH:mm:ss.fff'Z'",
                CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _), m.ToString());
            Assert.Equal(node == Nodes[0], m.GetProperty("self").GetBoolean());
        }

        // The replicated tables only (l is local), each synced, with one row per peer.
        var tables = result.GetProperty("tables").EnumerateArray().ToList();
        Assert.Equal(["c", "r"], tables.Select(t => t.GetProperty("name").GetString()));
        Assert.All(tables, t => Assert.Equal("synced", t.GetProperty("sync").GetString()));
        var peers = tables[1].GetProperty("peers").EnumerateArray().ToList();
        Assert.Equal(["n2", "n3"], peers.Select(p => p.GetProperty("node_id").GetString()).Order(StringComparer.Ordinal));
        foreach (var p in peers)
        {
            Assert.Equal(["node_id", "last_batch", "applied_at", "lag_us", "batches_applied"], p.EnumerateObject().Select(x => x.Name));
            Assert.True(p.GetProperty("last_batch").GetInt64() >= 1, p.ToString());
            Assert.True(p.GetProperty("batches_applied").GetInt64() >= 1, p.ToString());
            Assert.Equal(JsonValueKind.String, p.GetProperty("applied_at").ValueKind);
            Assert.True(p.GetProperty("lag_us").GetInt64() >= 0, p.ToString());
        }

        // The same figures as the replication layer keeps them, and the readable form of the CLI.
        var fromN2 = Nodes[0].Replication.Tables.Single(t => t.Name == "r").Peers.Single(p => p.Origin.NodeId == "n2");
        Assert.True(fromN2.LastSeq >= peers.Single(p => p.GetProperty("node_id").GetString() == "n2").GetProperty("last_batch").GetInt64());
        var text = ClusterMembersText.Format(System.Text.Json.Nodes.JsonNode.Parse(result.GetRawText()))!;
        Assert.Contains("n1 (this node)", text, StringComparison.Ordinal);
        Assert.Contains(Nodes[2].ClusterAddress, text, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^r\s+synced\s+n3\s+\d+\s+\S+Z\s+[\d.]+ ms$", text);
    }

    [Fact]
    public async Task Dmq_list_nodes_answers_in_kamailios_shape_with_this_node_last()
    {
        var recorded = Recordings.Load("dmq-list-nodes.json").GetProperty("cases")[0].GetProperty("steps")[0].GetProperty("response").GetProperty("result");
        var rows = (await Nodes[1].ResultAsync("dmq.list_nodes")).EnumerateArray().ToList();
        Assert.Equal(recorded.GetArrayLength(), rows.Count);
        var shape = recorded[0].EnumerateObject().Select(p => (p.Name, p.Value.ValueKind)).ToList();
        foreach (var row in rows)
            Assert.Equal(shape, row.EnumerateObject().Select(p => (p.Name, p.Value.ValueKind)));

        // As in Kamailio, this node comes last and alone has local 1.
        Assert.Equal([0, 0, 1], rows.Select(r => r.GetProperty("local").GetInt32()));
        Assert.Equal(Nodes[1].ClusterAddress, $"akka.tcp://htcluster@{rows[2].GetProperty("host").GetString()}:{rows[2].GetProperty("port").GetString()}");
        Assert.Equal(Nodes.Select(n => n.ClusterAddress).Order(StringComparer.Ordinal),
            rows.Select(r => $"akka.tcp://htcluster@{r.GetProperty("host").GetString()}:{r.GetProperty("port").GetString()}").Order(StringComparer.Ordinal));
        foreach (var row in rows)
        {
            Assert.Equal("active", row.GetProperty("status").GetString());
            Assert.Equal("127.0.0.1", row.GetProperty("resolved_ip").GetString());
            Assert.Equal("tcp", row.GetProperty("proto").GetString());
            Assert.Equal(0, row.GetProperty("last_notification").GetInt32());
        }
        // Kamailio ignores parameters.
        Assert.Equal(3, (await Nodes[1].ResultAsync("dmq.list_nodes", "ignored")).GetArrayLength());
    }
}
