using System.Diagnostics;
using System.Net;
using HTableCluster.Node.Admin;
using Microsoft.Extensions.DependencyInjection;

namespace HTableCluster.Node.Tests.Admin;

/// <summary>
/// An in-process node with the BINRPC listener on a unix socket (in a temporary directory) and on
/// a free loopback TCP port, with the tables of the Kamailio recording (a, e, i) and short
/// connection timeouts, so the bad-client tests finish quickly.
/// </summary>
public class BinRpcNodeFixture : NodeFixture, IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("htc-binrpc-").FullName;

    public string SocketPath => Path.Combine(_dir, "ctl.sock");

    public string UnixAddress => "unix:" + SocketPath;

    public string FifoPath => Path.Combine(_dir, "rpc.fifo");

    public IPEndPoint TcpEndpoint => Services.GetRequiredService<BinRpcListener>().TcpEndpoints[0];

    public string TcpAddress => $"tcp:127.0.0.1:{TcpEndpoint.Port}";

    protected override IReadOnlyList<string> Tables =>
    [
        "a=>size=8;autoexpire=0;dmqreplicate=1",
        "e=>size=8;autoexpire=5;dmqreplicate=1",
        "i=>size=4;initval=7;dmqreplicate=1",
    ];

    protected override IDictionary<string, string?> Extra => new Dictionary<string, string?>(base.Extra)
    {
        ["Admin:BinRpc"] = $"unix:{SocketPath}, tcp:127.0.0.1:0",
        ["Admin:BinRpcIdleTimeoutSeconds"] = "2",
        ["Admin:BinRpcWriteTimeoutSeconds"] = "2",
        ["Admin:BinRpcMaxRequestBytes"] = "4096",
        ["Admin:BinRpcMaxReplyBytes"] = "1048576",
        ["Admin:JsonRpcFifo"] = FifoPath,
        ["Admin:JsonRpcFifoWriteTimeoutSeconds"] = "2",
    };

    /// <summary>Runs Debian's kamcmd against <paramref name="address"/>; returns its output and exit code.</summary>
    public static async Task<(string Stdout, string Stderr, int Exit)> KamcmdAsync(string address, params string[] args)
    {
        var start = new ProcessStartInfo("kamcmd") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-s");
        start.ArgumentList.Add(address);
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (await stdout, await stderr, process.ExitCode);
    }

    /// <summary>Runs Debian's kamctl rpc against the node's FIFO (kamctl's RPCFIFOPATH).</summary>
    public async Task<(string Stdout, string Stderr, int Exit)> KamctlAsync(params string[] args)
    {
        var start = new ProcessStartInfo("kamctl") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("rpc");
        foreach (var a in args)
            start.ArgumentList.Add(a);
        start.Environment["RPCFIFOPATH"] = FifoPath;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (await stdout, await stderr, process.ExitCode);
    }

    Task IAsyncLifetime.InitializeAsync() => InitializeAsync();

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
