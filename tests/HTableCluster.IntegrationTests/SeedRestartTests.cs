using System.Globalization;
using System.Text.Json;

namespace HTableCluster.IntegrationTests;

/// <summary>
/// Every node gets the same seed list (all seeds, same order): a restarted first seed joins the
/// members still running instead of founding a second cluster, and a node none of whose seeds
/// answers keeps trying and stays not ready, saying why.
/// </summary>
public sealed class SeedRestartTests
{
    private const string Table = "r=>size=8;dmqreplicate=1";

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what);
            await Task.Delay(100);
        }
    }

    private static async Task<string?> ValueAsync(NodeProcess n, string key)
    {
        var reply = await n.CallAsync("htable.value", "r", key);
        return reply.GetProperty("result").ValueKind == JsonValueKind.Null ? null : reply.GetProperty("result").ToString();
    }

    private static async Task<List<string>> DumpAsync(NodeProcess n)
    {
        var reply = await n.CallAsync("htable.dump", "r");
        return [.. reply.GetProperty("result").EnumerateArray()
            .SelectMany(slot => slot.GetProperty("slot").EnumerateArray())
            .Select(item => item.GetProperty("name").GetString() + "=" + item.GetProperty("value"))
            .Order(StringComparer.Ordinal)];
    }

    private static List<string> UpMembers(JsonElement reply) =>
        [.. reply.GetProperty("result").GetProperty("members").EnumerateArray()
            .Select(m => (Id: m.GetProperty("node_id").GetString()!, Status: m.GetProperty("status").GetString()))
            .Where(m => m.Status == "up").Select(m => m.Id).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task A_first_seed_killed_and_restarted_with_the_same_command_joins_the_running_members()
    {
        int[] cluster = [PublishedNode.FreePort(), PublishedNode.FreePort(), PublishedNode.FreePort()];
        int[] rpc = [PublishedNode.FreePort(), PublishedNode.FreePort(), PublishedNode.FreePort()];
        var seeds = cluster.SelectMany(p => new[] { "--seed", "akka.tcp://htcluster@127.0.0.1:" + Port(p) }).ToArray();
        string[] Args(int i) => ["--node-id", "n" + Port(i + 1), "--table", Table, .. seeds];

        // The first seed alone forms the cluster once no other seed answers; the others join it.
        var n1 = await NodeProcess.StartOnAsync(rpc[0], cluster[0], Args(0));
        try
        {
            var started = await Task.WhenAll(NodeProcess.StartOnAsync(rpc[1], cluster[1], Args(1)), NodeProcess.StartOnAsync(rpc[2], cluster[2], Args(2)));
            await using var n2 = started[0];
            await using var n3 = started[1];
            for (var i = 0; i < 20; i++)
                await (i % 3 == 0 ? n1 : i % 3 == 1 ? n2 : n3).CallAsync("htable.sets", "r", "k" + Port(i), "v" + Port(i));
            await n1.CallAsync("htable.inc", "r", "counter", 1);
            await n2.CallAsync("htable.inc", "r", "counter", 2);
            await n3.CallAsync("htable.inc", "r", "counter", 4);
            await EventuallyAsync(async () => await ValueAsync(n1, "counter") == "7" && await ValueAsync(n2, "counter") == "7" && await ValueAsync(n3, "counter") == "7", "the three counted every increment");

            await n1.KillAsync();
            await n1.DisposeAsync();
            await n2.CallAsync("htable.sets", "r", "while-down", "x");
            await n3.CallAsync("htable.inc", "r", "counter", 8);

            // Same command, same ports: it must not form a cluster of its own (its old incarnation is
            // still an unreachable member of the running cluster at first).
            n1 = await NodeProcess.StartOnAsync(rpc[0], cluster[0], Args(0));
            Assert.Contains("Welcome from", n1.Log, StringComparison.Ordinal);

            // One cluster: writes made on the restarted seed reach the others and the reverse.
            await n1.CallAsync("htable.sets", "r", "after-restart", "on-n1");
            await n3.CallAsync("htable.sets", "r", "to-n1", "on-n3");
            await EventuallyAsync(async () => await ValueAsync(n2, "after-restart") == "on-n1" && await ValueAsync(n3, "after-restart") == "on-n1", "a write on the restarted seed reached the others");
            await EventuallyAsync(async () => await ValueAsync(n1, "to-n1") == "on-n3", "a write on n3 reached the restarted seed");
            await EventuallyAsync(async () =>
            {
                var expected = await DumpAsync(n2);
                return expected.Count == 24 && (await DumpAsync(n1)).SequenceEqual(expected) && (await DumpAsync(n3)).SequenceEqual(expected);
            }, "the three hold the same contents");
            // Every node sees the same three members, all Up (the killed incarnation is gone).
            foreach (var n in new[] { n1, n2, n3 })
                await EventuallyAsync(async () => UpMembers(await n.CallAsync("cluster.members")).SequenceEqual(["n1", "n2", "n3"]), "three Up members seen from every node");
            Assert.Equal("15", await ValueAsync(n1, "counter"));
            Assert.Equal("x", await ValueAsync(n1, "while-down"));
        }
        finally
        {
            await n1.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_node_whose_seeds_do_not_answer_keeps_trying_and_is_not_ready_saying_why()
    {
        int[] absent = [PublishedNode.FreePort(), PublishedNode.FreePort()];
        var rpcPort = PublishedNode.FreePort();
        var clusterPort = PublishedNode.FreePort();
        await using var node = NodeProcess.Launch([], "127.0.0.1", rpcPort, clusterPort, "serve", "--node-id", "lonely",
            "--rpc-port", Port(rpcPort), "--cluster-port", Port(clusterPort), "--table", Table,
            "--seed", "akka.tcp://htcluster@127.0.0.1:" + Port(absent[0]), "--seed", "akka.tcp://htcluster@127.0.0.1:" + Port(absent[1]),
            "--seed", "akka.tcp://htcluster@127.0.0.1:" + Port(clusterPort));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var ready = new Uri($"http://127.0.0.1:{Port(rpcPort)}/health/ready");
        string? body = null;
        await EventuallyAsync(async () =>
        {
            try
            {
                using var r = await http.GetAsync(ready);
                body = await r.Content.ReadAsStringAsync();
                return r.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "the node answers /health/ready", 30);
        // Longer than the seed-node timeout after which a first seed would form its own cluster.
        await Task.Delay(TimeSpan.FromSeconds(8));
        Assert.False(node.HasExited, node.Log);
        using (var r = await http.GetAsync(ready))
        {
            body = await r.Content.ReadAsStringAsync();
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, r.StatusCode);
        }
        Assert.Contains("not an Up cluster member yet: joining through the seed nodes akka.tcp://htcluster@127.0.0.1:" + Port(absent[0]), body, StringComparison.Ordinal);
        // It still serves reads meanwhile.
        var reply = await node.CallAsync("htable.get", "r", "k");
        Assert.True(reply.TryGetProperty("error", out _) || reply.TryGetProperty("result", out _), reply.ToString());
    }
}
