using System.Globalization;
using System.Net;
using System.Net.Sockets;
using HTableCluster.Node.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HTableCluster.Node.Tests;

/// <summary>A taken RPC port stops start-up before the actor system starts, or, found at bind time, cleanly.</summary>
public sealed class StartUpTests
{
    private static NodeSettings Settings(int rpcPort, int clusterPort = 0) => NodeSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Node:ClusterPort"] = clusterPort.ToString(CultureInfo.InvariantCulture),
        ["Node:RpcPort"] = rpcPort.ToString(CultureInfo.InvariantCulture),
        ["Node:CompactAfterMiB"] = "0",
        ["Htable:Tables:0"] = "a=>size=4;dmqreplicate=1",
    }).Build());

    private static TcpListener Occupy(int port = 0)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        return listener;
    }

    [Fact]
    public void A_taken_rpc_port_is_refused_before_anything_starts()
    {
        var taken = Occupy();
        try
        {
            var port = ((IPEndPoint)taken.LocalEndpoint).Port;
            var ex = Assert.Throws<OptionsException>(() => NodeHost.Build(Settings(port)));
            Assert.Equal("Node:RpcPort", ex.Key);
            Assert.Contains($"'Node:RpcPort' = '{port}'", ex.Message, StringComparison.Ordinal);
            Assert.Contains($"127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
            Assert.Contains("--rpc-port", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            taken.Stop();
        }
    }

    [Fact]
    public async Task A_port_taken_after_the_check_stops_what_started_and_exits_2_in_one_line()
    {
        var free = Occupy();
        var port = ((IPEndPoint)free.LocalEndpoint).Port;
        free.Stop();
        var app = NodeHost.Build(Settings(port));
        var member = app.Services.GetRequiredService<ClusterMember>();
        // Another process takes the port between the start-up check and Kestrel's bind.
        var taken = Occupy(port);
        try
        {
            using var error = new StringWriter();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var code = await ServeCommand.RunAsync(app, error, timeout.Token);
            Assert.Equal(ServeCommand.BadConfiguration, code);
            var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("htcluster: invalid configuration 'Node:RpcPort'", line, StringComparison.Ordinal);
            Assert.Contains($"127.0.0.1:{port}", line, StringComparison.Ordinal);
            // The cluster member that had started was stopped, not left running.
            Assert.NotNull(member.System);
            Assert.True(member.System.WhenTerminated.IsCompleted, "the actor system is still running");
        }
        finally
        {
            taken.Stop();
        }
    }

    [Fact]
    public async Task A_cluster_port_taken_after_the_check_exits_2_in_one_line()
    {
        var free = Occupy();
        var port = ((IPEndPoint)free.LocalEndpoint).Port;
        free.Stop();
        var app = NodeHost.Build(Settings(0, port));
        // The cluster transport listens with SO_REUSEPORT; a listener without it still makes its bind fail.
        var taken = Occupy(port);
        try
        {
            using var error = new StringWriter();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var code = await ServeCommand.RunAsync(app, error, timeout.Token);
            Assert.Equal(ServeCommand.BadConfiguration, code);
            var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"htcluster: invalid configuration 'Node:ClusterPort' = '{port}'", line, StringComparison.Ordinal);
            Assert.Contains("--cluster-port", line, StringComparison.Ordinal);
        }
        finally
        {
            taken.Stop();
        }
    }
}
