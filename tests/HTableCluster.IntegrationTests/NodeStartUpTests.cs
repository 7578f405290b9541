using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace HTableCluster.IntegrationTests;

/// <summary>
/// Start-up as an operator sees it: mistakes stop the binary early with one line and exit 2; a
/// normal start logs each line once and nothing that reads like a fault.
/// </summary>
public sealed partial class NodeStartUpTests
{
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_taken_rpc_port_stops_start_up_before_the_node_joins_a_cluster()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        try
        {
            var r = await PublishedNode.RunAsync(CliTimeout, "serve", "--rpc-port", Port(port), "--cluster-port", Port(PublishedNode.FreePort()));
            Assert.Equal(2, r.Code);
            var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains($"'Node:RpcPort' = '{port}'", line, StringComparison.Ordinal);
            Assert.Contains($"127.0.0.1:{port}", line, StringComparison.Ordinal);
            // Nothing started: no remoting, no cluster, no stack trace, no critical line.
            Assert.DoesNotContain("Remoting", r.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("JOINING", r.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("crit:", r.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", r.Stdout + r.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            taken.Stop();
        }
    }

    [Fact]
    public async Task A_key_under_an_unknown_section_in_the_environment_is_refused()
    {
        var r = await RunWithEnvironmentAsync(new Dictionary<string, string> { ["HTABLE_Replcation__WriteConcern"] = "1" },
            "serve", "--rpc-port", Port(PublishedNode.FreePort()), "--cluster-port", Port(PublishedNode.FreePort()));
        Assert.Equal(2, r.Code);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("'Replcation:WriteConcern' = '1'", line, StringComparison.Ordinal);
        Assert.Contains("did you mean 'Replication'", line, StringComparison.Ordinal);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public async Task A_bad_log_level_is_refused_and_command_line_mistakes_exit_64()
    {
        var level = await PublishedNode.RunAsync(CliTimeout, "serve", "--log-level", "verbose");
        Assert.Equal(2, level.Code);
        Assert.Contains("'Logging:LogLevel:Default' = 'verbose'", level.Stderr, StringComparison.Ordinal);
        var unknown = await PublishedNode.RunAsync(CliTimeout, "serve", "--rpcport", "1");
        Assert.Equal(64, unknown.Code);
        var noMethod = await PublishedNode.RunAsync(CliTimeout, "rpc");
        Assert.Equal(64, noMethod.Code);
        var badArgument = await PublishedNode.RunAsync(CliTimeout, "rpc", "htable.sets", "t", "k", "j:[1");
        Assert.Equal(64, badArgument.Code);
        Assert.StartsWith("htcluster rpc: argument 3 'j:[1': j: needs one JSON value", badArgument.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_texts_list_the_typed_arguments_and_every_exit_code()
    {
        var rpc = await PublishedNode.RunAsync(CliTimeout, "rpc", "--help");
        Assert.Equal(0, rpc.Code);
        foreach (var text in new[] { "s:TEXT", "i:N", "j:JSON", "null", "--raw", "Exit codes:", "  0   ", "  1   ", "  2   ", "  64  " })
            Assert.Contains(text, rpc.Stdout, StringComparison.Ordinal);
        var serve = await PublishedNode.RunAsync(CliTimeout, "serve", "--help");
        Assert.Equal(0, serve.Code);
        foreach (var text in new[] { "--log-level", "Exit codes:", "  0   ", "  2   ", "  3   ", "  4   ", "  5   ", "  64  " })
            Assert.Contains(text, serve.Stdout, StringComparison.Ordinal);
        var db = await PublishedNode.RunAsync(CliTimeout, "db", "init", "--help");
        Assert.Equal(0, db.Code);
        foreach (var text in new[] { "Exit codes:", "  0   ", "  1   ", "  64  " })
            Assert.Contains(text, db.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_single_node_logs_each_start_up_line_once_and_nothing_that_reads_like_a_fault()
    {
        // A replicated dbtable table starts the store singleton (and its proxy) too.
        await using var node = await NodeProcess.StartAsync("--table", "s=>size=4;dbtable=s;dmqreplicate=1");
        Assert.Equal(0, await node.TerminateAsync());
        var lines = StartUpLines(node.Log);
        Assert.Equal(lines.Count, lines.Distinct(StringComparer.Ordinal).Count());
        Assert.Single(lines, l => l.Contains("Content root path", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("Application started", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("manual cluster join required", StringComparison.Ordinal));
        Assert.Empty(Faults(lines));
    }

    [Fact]
    public async Task Two_nodes_started_with_both_seeds_log_nothing_that_reads_like_a_fault()
    {
        var (clusterA, clusterB) = (PublishedNode.FreePort(), PublishedNode.FreePort());
        string[] seeds = ["--seed", $"akka.tcp://htcluster@127.0.0.1:{clusterA}", "--seed", $"akka.tcp://htcluster@127.0.0.1:{clusterB}",
            "--table", "s=>size=4;dbtable=s;dmqreplicate=1"];
        // The first seed starts alone: its peer refuses connections until it is up.
        await using var a = await NodeProcess.StartOnAsync(PublishedNode.FreePort(), clusterA, seeds);
        await using var b = await NodeProcess.StartOnAsync(PublishedNode.FreePort(), clusterB, seeds);
        var set = await b.CallAsync("htable.sets", "s", "k", "v");
        Assert.True(set.TryGetProperty("result", out _), set.ToString());
        // The start: both are up and serve (what stopping one member logs on the other is not a start).
        string[] logs = [a.Log, b.Log];
        Assert.Equal(0, await b.TerminateAsync());
        Assert.Equal(0, await a.TerminateAsync());
        foreach (var log in logs)
        {
            var lines = StartUpLines(log);
            Assert.Single(lines, l => l.Contains("Content root path", StringComparison.Ordinal));
            Assert.Empty(Faults(lines));
        }
        Assert.Contains("Welcome from", b.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Log_level_option_and_logging_keys_set_what_is_logged()
    {
        await using (var quiet = await NodeProcess.StartAsync("--log-level", "Warning"))
        {
            Assert.Equal(0, await quiet.TerminateAsync());
            Assert.DoesNotContain("info:", quiet.Log, StringComparison.Ordinal);
        }
        // The environment form, per category: the node's own lines stay, Akka's go.
        var rpc = PublishedNode.FreePort();
        var psi = StartInfo(new Dictionary<string, string> { ["HTABLE_Logging__LogLevel__Akka"] = "Warning" },
            "serve", "--rpc-port", Port(rpc), "--cluster-port", Port(PublishedNode.FreePort()));
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var ready = false;
            for (var i = 0; i < 300 && !ready && !p.HasExited; i++)
            {
                try
                {
                    ready = (await http.GetAsync(new Uri($"http://127.0.0.1:{rpc}/health/ready"))).IsSuccessStatusCode;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                }
                if (!ready)
                    await Task.Delay(200);
            }
            Assert.True(ready, "node not ready");
        }
        finally
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
        }
        var log = await stdout;
        Assert.Equal("", await stderr);
        Assert.Contains("info: htcluster[0] Node 127.0.0.1:", log, StringComparison.Ordinal);
        Assert.DoesNotContain("info: Akka", log, StringComparison.Ordinal);
    }

    // The log up to the stop, without timestamps.
    private static List<string> StartUpLines(string log)
    {
        var lines = new List<string>();
        foreach (var line in log.Split('\n'))
        {
            if (line.Contains("Application is shutting down", StringComparison.Ordinal))
                break;
            if (line.Trim().Length > 0)
                lines.Add(Timestamp().Replace(line.TrimEnd('\r'), ""));
        }
        return lines;
    }

    private static IEnumerable<string> Faults(List<string> lines) =>
        lines.Where(l => (l.StartsWith("warn:", StringComparison.Ordinal) || l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal))
            // The one expected warning: this test's table has a dbtable and no database.
            && !l.Contains("Htable:DbUrl (db_url) is empty", StringComparison.Ordinal));

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} ")]
    private static partial Regex Timestamp();

    private static ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo(PublishedNode.Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("HTABLE_", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(key);
        foreach (var (k, v) in environment)
            psi.Environment[k] = v;
        return psi;
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunWithEnvironmentAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var p = Process.Start(StartInfo(environment, args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(CliTimeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }
        return (p.ExitCode, await stdout, await stderr);
    }
}
