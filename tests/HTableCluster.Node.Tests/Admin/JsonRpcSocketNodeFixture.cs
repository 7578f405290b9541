using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using HTableCluster.Node.Admin;
using Microsoft.Extensions.DependencyInjection;

namespace HTableCluster.Node.Tests.Admin;

/// <summary>
/// An in-process node with the tables of the Kamailio recording (a, e, i), JSON-RPC on a unix
/// datagram socket (mode 0640) and on a free loopback TCP port with a 2 s timeout; and the clients:
/// Debian's kamcli with an ini naming the socket, and raw datagram and TCP calls.
/// </summary>
public class JsonRpcSocketNodeFixture : NodeFixture, IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("htc-jsonrpc-").FullName;

    public string SocketPath => Path.Combine(_dir, "kamailio_rpc.sock");

    public IPEndPoint TcpEndpoint => Services.GetRequiredService<JsonRpcTcpServer>().LocalEndPoint!;

    protected override IReadOnlyList<string> Tables =>
    [
        "a=>size=8;autoexpire=0;dmqreplicate=1",
        "e=>size=8;autoexpire=5;dmqreplicate=1",
        "i=>size=4;initval=7;dmqreplicate=1",
    ];

    protected override IDictionary<string, string?> Extra => new Dictionary<string, string?>(base.Extra)
    {
        ["Admin:JsonRpcDgram"] = "unix:" + SocketPath,
        ["Admin:JsonRpcDgramMode"] = "0640",
        ["Admin:JsonRpcTcp"] = "tcp:127.0.0.1:0",
        ["Admin:JsonRpcTcpTimeoutSeconds"] = "2",
    };

    /// <summary>Runs Debian's kamcli with an ini naming <paramref name="srvaddr"/> and <paramref name="outformat"/>.</summary>
    public async Task<(string Stdout, string Stderr, int Exit)> KamcliAsync(string srvaddr, string outformat, params string[] args)
    {
        var ini = Path.Combine(_dir, $"kamcli-{outformat}.ini");
        await File.WriteAllTextAsync(ini, $"""
            [main]
            domain=test.com

            [jsonrpc]
            transport=socket
            path=/run/kamailio/kamailio_rpc.fifo
            rplnamebase=kamailio_rpc_reply.fifo
            rpldir=/tmp
            srvaddr={srvaddr}
            rcvaddr={Path.Combine(_dir, "kamcli_reply.sock")}
            outformat={outformat}

            """);
        var start = new ProcessStartInfo("kamcli") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["--no-default-configs", "-c", ini, .. args])
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (await stdout, await stderr, process.ExitCode);
    }

    /// <summary>The request kamcli 2.0.0 sends for <c>rpc METHOD PARAMS</c> (iorpc.command_jsonrpc_socket), with a fixed id.</summary>
    public static string KamcliRequest(string method, IEnumerable<string> parameters, int id = 4242)
    {
        var text = new StringBuilder("{\n  \"jsonrpc\": \"2.0\",\n  \"method\": \"").Append(method).Append("\",\n");
        var list = parameters.ToList();
        if (list.Count > 0)
        {
            text.Append("  \"params\": [");
            text.AppendJoin(",\n", list.Select(p => p.StartsWith("i:", StringComparison.Ordinal) ? p[2..]
                : p.StartsWith("s:", StringComparison.Ordinal) ? "\"" + p[2..] + "\"" : "\"" + p + "\""));
            text.Append("],\n");
        }
        return text.Append("  \"id\": ").Append(id.ToString(CultureInfo.InvariantCulture)).Append("\n}\n").ToString();
    }

    /// <summary>One call over TCP: sends, reads to the end. Null when the node closed without a reply.</summary>
    public async Task<byte[]?> TcpCallAsync(byte[] request, bool halfClose = false)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await client.ConnectAsync(TcpEndpoint, timeout.Token);
        try
        {
            await client.SendAsync(request, SocketFlags.None, timeout.Token);
            if (halfClose)
                client.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The node closed first (an oversized request): what it answered, if anything, follows.
        }
        var reply = new MemoryStream();
        var buffer = new byte[65536];
        try
        {
            for (var i = 0; i < 100_000; i++)
            {
                var n = await client.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (n == 0)
                    break;
                reply.Write(buffer, 0, n);
            }
        }
        catch (SocketException)
        {
            // Reset by the node.
        }
        return reply.Length == 0 ? null : reply.ToArray();
    }

    /// <summary>
    /// One datagram call from a client bound to its own socket path (as kamcli binds one); null when
    /// no reply came within <paramref name="wait"/>.
    /// </summary>
    public async Task<byte[]?> DgramCallAsync(EndPoint server, byte[] request, TimeSpan wait)
    {
        var unix = server is UnixDomainSocketEndPoint;
        using var client = unix
            ? new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified)
            : new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var replyPath = Path.Combine(_dir, "client-" + Guid.NewGuid().ToString("N")[..12] + ".sock");
        client.Bind(unix ? new UnixDomainSocketEndPoint(replyPath) : new IPEndPoint(IPAddress.Loopback, 0));
        try
        {
            await client.SendToAsync(request, SocketFlags.None, server);
            var buffer = new byte[256 * 1024];
            using var timeout = new CancellationTokenSource(wait);
            try
            {
                var n = await client.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                return buffer[..n];
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
        finally
        {
            if (unix)
                File.Delete(replyPath);
        }
    }

    Task IAsyncLifetime.InitializeAsync() => InitializeAsync();

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
