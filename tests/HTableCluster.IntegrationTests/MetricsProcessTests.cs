using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace HTableCluster.IntegrationTests;

/// <summary>
/// A live node's <c>/metrics</c> after RPC traffic (a hit, a miss, a replicated write) passes
/// <c>promtool check metrics</c> (Debian's <c>prometheus</c> package) without a warning and says
/// what happened; <c>htcluster rpc cluster.members</c> prints the membership as tables.
/// </summary>
public sealed class MetricsProcessTests
{
    private const string Table = "r=>size=8;dmqreplicate=1";

    [Fact]
    public async Task Metrics_of_a_live_node_pass_promtool_and_count_what_happened()
    {
        await using var n1 = await NodeProcess.StartAsync("--node-id", "n1", "--table", Table);
        var seed = "akka.tcp://htcluster@127.0.0.1:" + n1.ClusterPort.ToString(CultureInfo.InvariantCulture);
        await using var n2 = await NodeProcess.StartAsync("--node-id", "n2", "--table", Table, "--seed", seed);

        await n2.CallAsync("htable.sets", "r", "from-n2", "v");
        await EventuallyAsync(async () => (await n1.CallAsync("htable.value", "r", "from-n2")).GetProperty("result").ToString() == "v", "n1 got n2's write");
        Assert.Equal(500, (await n1.CallAsync("htable.get", "r", "missing")).GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal("v", (await n1.CallAsync("htable.get", "r", "from-n2")).GetProperty("result").GetProperty("item").GetProperty("value").GetString());
        Assert.Equal(404, (await n1.CallAsync("htable.delete", "r", "missing")).GetProperty("error").GetProperty("code").GetInt32());
        var all = (await n1.CallAsync("htable.stats")).GetProperty("result")[0].GetProperty("all").GetInt64();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{n1.RpcPort}/metrics"));
        var (code, output) = await PromtoolAsync(text);
        Assert.True(code == 0 && output.Length == 0, $"promtool check metrics exited {code}:\n{output}");

        Assert.Equal(1, Sample(text, "htcluster_rpc_calls_total{method=\"htable.get\",outcome=\"miss\"}"));
        Assert.Equal(1, Sample(text, "htcluster_rpc_calls_total{method=\"htable.get\",outcome=\"ok\"}"));
        Assert.Equal(1, Sample(text, "htcluster_rpc_calls_total{method=\"htable.delete\",outcome=\"miss\"}"));
        Assert.Null(Sample(text, "htcluster_rpc_calls_total{method=\"htable.get\",outcome=\"error\"}"));
        Assert.Equal(2, Sample(text, "htcluster_rpc_duration_seconds_count{method=\"htable.get\"}"));
        Assert.Equal(all, Sample(text, "htcluster_table_items{table=\"r\"}"));
        Assert.Equal(2, Sample(text, "htcluster_cluster_members{status=\"up\"}"));
        Assert.Equal(0, Sample(text, "htcluster_cluster_members{status=\"unreachable\"}"));
        Assert.True(Sample(text, "htcluster_replication_lag_seconds_count{peer=\"n2\"}") >= 1, "a lag sample for n2");
        Assert.True(Sample(text, "htcluster_replication_last_lag_seconds{peer=\"n2\"}") >= 0, "the last lag of n2");
        Assert.True(Sample(text, "htcluster_replication_batches_received_total") >= 1, "batches received");

        var members = await PublishedNode.RunAsync(TimeSpan.FromSeconds(60), "rpc", "--url", n1.Url, "cluster.members");
        Assert.Equal(0, members.Code);
        Assert.Matches(@"(?m)^NODE ID\s+ADDRESS\s+STATUS\s+UP SINCE$", members.Stdout);
        Assert.Matches(@"(?m)^n1 \(this node\)\s+akka\.tcp://htcluster@127\.0\.0\.1:\d+\s+up\s+\S+Z$", members.Stdout);
        Assert.Matches(@"(?m)^r\s+synced\s+n2\s+\d+\s+\S+Z\s+[\d.]+ ms$", members.Stdout);

        // A crashed peer is unreachable (Kamailio's timeout) until the cluster downs it (20 s by default).
        await n2.KillAsync();
        await EventuallyAsync(async () =>
        {
            var rows = (await n1.CallAsync("cluster.members")).GetProperty("result").GetProperty("members").EnumerateArray();
            return rows.Any(m => m.GetProperty("node_id").GetString() == "n2" && m.GetProperty("status").GetString() == "unreachable");
        }, "n2 unreachable in cluster.members");
        var nodes = (await n1.CallAsync("dmq.list_nodes")).GetProperty("result");
        Assert.Equal(["timeout", "active"], nodes.EnumerateArray().Select(r => r.GetProperty("status").GetString()));
        text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{n1.RpcPort}/metrics"));
        Assert.Equal(1, Sample(text, "htcluster_cluster_members{status=\"unreachable\"}"));
        Assert.Equal(1, Sample(text, "htcluster_cluster_members{status=\"up\"}"));
    }

    // A sample's value, or null when the series is absent.
    private static double? Sample(string text, string series)
    {
        var m = Regex.Match(text, "^" + Regex.Escape(series) + " (\\S+)$", RegexOptions.Multiline);
        return m.Success ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    // promtool reads the exposition from stdin; any lint problem is printed (and fails the check).
    private static async Task<(int Code, string Output)> PromtoolAsync(string exposition)
    {
        var psi = new ProcessStartInfo("promtool") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add("check");
        psi.ArgumentList.Add("metrics");
        using var p = Process.Start(psi)!;
        await p.StandardInput.WriteAsync(exposition);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        return (p.ExitCode, (await stdout + await stderr).Trim());
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what);
            await Task.Delay(100);
        }
    }
}
