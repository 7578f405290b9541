using System.Text.Json;

namespace HTableCluster.IntegrationTests;

/// <summary>End to end: the published binary started as a user starts it, driven through its CLI and RPC.</summary>
public sealed class NodeProcessTests
{
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Serve_with_defaults_answers_the_rpc_cli()
    {
        await using var node = await NodeProcess.StartAsync();
        var set = await PublishedNode.RunAsync(CliTimeout, "rpc", "--url", node.Url, "htable.sets", "t", "k", "v");
        Assert.Equal(0, set.Code);
        Assert.Equal("\"Ok. Key set to new value.\"", set.Stdout.Trim());

        var get = await PublishedNode.RunAsync(CliTimeout, "rpc", "--url", node.Url, "htable.get", "t", "k");
        Assert.Equal(0, get.Code);
        using var doc = JsonDocument.Parse(get.Stdout);
        Assert.Equal("v", doc.RootElement.GetProperty("item").GetProperty("value").GetString());

        var inc = await PublishedNode.RunAsync(CliTimeout, "rpc", "--url", node.Url, "htable.inc", "t", "n", "5");
        Assert.Equal("5", inc.Stdout.Trim());
    }

    [Fact]
    public async Task Serve_without_options_is_the_documented_single_node()
    {
        // README command 1: no options at all (RPC on 127.0.0.1:7080, cluster on 4053, table t).
        using var process = PublishedNode.Start("serve");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            (int Code, string Stdout, string Stderr) set = (-1, "", "");
            while (DateTime.UtcNow < deadline && !process.HasExited)
            {
                set = await PublishedNode.RunAsync(CliTimeout, "rpc", "htable.sets", "t", "k", "v");
                if (set.Code == 0)
                    break;
                await Task.Delay(300);
            }
            Assert.True(set.Code == 0, $"htcluster rpc htable.sets t k v: {set.Code} {set.Stderr}");
            var get = await PublishedNode.RunAsync(CliTimeout, "rpc", "htable.get", "t", "k");
            Assert.Contains("\"v\"", get.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
        }
    }

    [Fact]
    public async Task Sigterm_is_a_graceful_stop_and_akka_logs_through_the_host()
    {
        await using var node = await NodeProcess.StartAsync();
        Assert.Equal(0, await node.TerminateAsync());
        var log = node.Log;
        Assert.DoesNotContain("downed", log, StringComparison.OrdinalIgnoreCase);
        // One timestamp and one level per line: Akka's own rendering ("[INFO][date][Thread n]") is gone.
        Assert.Contains("Akka[0] [Cluster (akka://htcluster)]", log, StringComparison.Ordinal);
        Assert.DoesNotContain("[INFO]", log, StringComparison.Ordinal);
        Assert.DoesNotContain("[Thread ", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rpc_cli_exits_non_zero_with_the_error_message()
    {
        await using var node = await NodeProcess.StartAsync();
        var r = await PublishedNode.RunAsync(CliTimeout, "rpc", "--url", node.Url, "htable.get", "nosuch", "k");
        Assert.Equal(1, r.Code);
        Assert.Contains("No such htable", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tables_from_command_line_and_health_endpoints()
    {
        await using var node = await NodeProcess.StartAsync("--table", "x=>size=4;initval=3", "--table", "y=>autoexpire=60");
        using var http = new HttpClient();
        Assert.Equal("live\n", await http.GetStringAsync(new Uri($"http://127.0.0.1:{node.RpcPort}/health/live")));
        var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{node.RpcPort}/metrics"));
        Assert.Contains("htcluster_table_items{table=\"x\"}", metrics, StringComparison.Ordinal);
        var list = await PublishedNode.RunAsync(CliTimeout, "rpc", "--url", node.Url, "htable.listTables");
        using var doc = JsonDocument.Parse(list.Stdout);
        Assert.Equal(["y", "x"], doc.RootElement.EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        var value = await PublishedNode.RunAsync(CliTimeout, "rpc", "--url", node.Url, "htable.value", "x", "missing");
        Assert.Equal("3", value.Stdout.Trim());
    }

    [Theory]
    [InlineData("--rpc-port", "notaport", "Node:RpcPort")]
    [InlineData("--table", "bad=>size=abc", "Htable:Tables:0")]
    [InlineData("--seed", "http://x:1", "Cluster:Seeds:0")]
    [InlineData("--table", "a=>colour=red", "colour")]
    public async Task Bad_configuration_stops_start_up_naming_the_key(string option, string value, string named)
    {
        // Validation runs before anything binds a port.
        var r = await PublishedNode.RunAsync(CliTimeout, "serve", option, value);
        Assert.NotEqual(0, r.Code);
        Assert.Contains(named, r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_node_on_a_taken_cluster_port_refuses_to_start()
    {
        await using var first = await NodeProcess.StartAsync();
        var r = await PublishedNode.RunAsync(CliTimeout, "serve", "--rpc-port", PublishedNode.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--cluster-port", first.ClusterPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(2, r.Code);
        Assert.Contains("Node:ClusterPort", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Imports_tables_from_a_kamailio_cfg()
    {
        var cfg = Path.Combine(Path.GetTempPath(), $"kam-{Guid.NewGuid():N}.cfg");
        await File.WriteAllTextAsync(cfg, """
            loadmodule "htable.so"
            modparam("htable", "htable", "ipban=>size=8;autoexpire=300;")  # banned addresses
            modparam("htable", "htable", "cnt=>size=4;initval=0;dmqreplicate=1")
            modparam("htable", "timer_interval", 10)
            modparam("htable", "timer_procs", 2)
            """);
        try
        {
            await using var node = await NodeProcess.StartAsync("--kamailio-cfg", cfg);
            var list = await PublishedNode.RunAsync(CliTimeout, "rpc", "--url", node.Url, "htable.listTables");
            using var doc = JsonDocument.Parse(list.Stdout);
            var ipban = doc.RootElement.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "ipban");
            Assert.Equal(300, ipban.GetProperty("expire").GetInt32());
            Assert.Contains("timer_procs", node.Log, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(cfg);
        }
    }

    [Fact]
    public async Task Environment_overrides_appsettings_and_command_line_overrides_environment()
    {
        var rpc = PublishedNode.FreePort();
        // The child gets HTABLE_* variables; --rpc-port on the command line beats HTABLE_Node__RpcPort.
        var psi = new System.Diagnostics.ProcessStartInfo(PublishedNode.Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "serve", "--rpc-port", rpc.ToString(System.Globalization.CultureInfo.InvariantCulture), "--cluster-port", PublishedNode.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        psi.Environment["HTABLE_Htable__Tables__0"] = "fromenv=>size=4";
        psi.Environment["HTABLE_Node__RpcPort"] = "1";
        using var p = System.Diagnostics.Process.Start(psi)!;
        try
        {
            var url = $"http://127.0.0.1:{rpc}/RPC";
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var deadline = DateTime.UtcNow.AddSeconds(60);
            string? tables = null;
            while (DateTime.UtcNow < deadline && tables is null)
            {
                try
                {
                    using var content = new StringContent("""{"jsonrpc":"2.0","method":"htable.listTables","id":1}""");
                    using var r = await http.PostAsync(new Uri(url), content);
                    tables = await r.Content.ReadAsStringAsync();
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(200);
                }
                catch (TaskCanceledException)
                {
                    await Task.Delay(200);
                }
            }
            Assert.NotNull(tables);
            Assert.Contains("\"fromenv\"", tables, StringComparison.Ordinal);
        }
        finally
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
        }
    }
}
