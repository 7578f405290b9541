using System.Net;
using System.Net.Sockets;
using HTableCluster.Node.Configuration;
using HTableCluster.Node.Rpc;

namespace HTableCluster.Node.Admin;

/// <summary>
/// JSON-RPC over a datagram socket as jsonrpcs' <c>dgram_socket</c> serves it to kamcli's
/// <c>socket</c> transport: one request per datagram (at most 65456 bytes), one reply datagram sent
/// back to the sender's address. A unix client binds a socket path of its own to be answered; a
/// client without one, or whose path is gone, gets nothing (logged). A reply longer than one
/// datagram is a JSON-RPC error instead of a truncated document. Calls run one after another,
/// as jsonrpcs' single datagram worker runs them. The unix socket is created with
/// <c>Admin:JsonRpcDgramMode</c> and its owner before the first request can arrive; the HTTP bearer
/// token does not apply to it (its file mode is the access control).
/// </summary>
public sealed partial class JsonRpcDgramServer(NodeSettings settings, RpcDispatcher dispatcher, ILogger<JsonRpcDgramServer> logger) : IHostedService, IDisposable
{
    // Large enough for any unix datagram the kernel delivers by default, so an oversized one is
    // seen whole and refused instead of silently cut.
    private const int ReceiveBufferBytes = 256 * 1024;

    private readonly CancellationTokenSource _stopping = new();
    private Socket? _socket;
    private Task _loop = Task.CompletedTask;

    /// <summary>The address actually bound (a UDP port 0 resolved), for tests and logs.</summary>
    public EndPoint? LocalEndPoint => _socket?.LocalEndPoint;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var address = settings.JsonRpcDgramAddress;
        if (address is null)
            return Task.CompletedTask;
        _socket = address.Path is not null ? BindUnix(address.Path) : BindUdp(address.Endpoint!);
        LogListening(logger, address.Path is not null ? address.ToString() : "udp:" + _socket.LocalEndPoint);
        if (address.Endpoint is { } udp && !IPAddress.IsLoopback(udp.Address))
            LogOpen(logger, address.ToString());
        _loop = ServeAsync(_socket);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_socket is null)
            return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (settings.JsonRpcDgramAddress?.Path is { } path)
            LocalSocketFile.TryDelete(path);
    }

    /// <inheritdoc />
    public void Dispose() => _stopping.Dispose();

    private Socket BindUnix(string path)
    {
        var admin = settings.Admin;
        if (Directory.Exists(path))
            throw new OptionsException("Admin:JsonRpcDgram", "unix:" + path, "the path is a directory");
        LocalSocketFile.TryDelete(path); // a socket left by an earlier run is replaced, as jsonrpcs does
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        try
        {
            // Bound with no permission for anyone until mode and owner are set: a datagram sent
            // meanwhile is refused by the kernel.
            socket.Bind(new UnixDomainSocketEndPoint(path));
            LocalSocketFile.Secure(path, admin.JsonRpcDgramMode, admin.JsonRpcDgramUser, admin.JsonRpcDgramGroup);
            return socket;
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException)
        {
            socket.Dispose();
            throw new OptionsException("Admin:JsonRpcDgram", "unix:" + path, "cannot listen: " + ex.Message);
        }
    }

    private static Socket BindUdp(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(endpoint);
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new OptionsException("Admin:JsonRpcDgram", "udp:" + endpoint, "cannot listen: " + ex.Message);
        }
    }


    private async Task ServeAsync(Socket socket)
    {
        var buffer = new byte[ReceiveBufferBytes];
        EndPoint any = socket.AddressFamily == AddressFamily.Unix
            ? new UnixDomainSocketEndPoint("/")
            : new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!_stopping.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                // A datagram larger than the buffer, or an ICMP error of an earlier reply: go on.
                LogReceiveFailed(logger, ex.SocketErrorCode.ToString());
                continue;
            }
            try
            {
                await AnswerAsync(socket, buffer.AsMemory(0, received.ReceivedBytes), received.RemoteEndPoint).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    private async Task AnswerAsync(Socket socket, ReadOnlyMemory<byte> datagram, EndPoint client)
    {
        if (datagram.Length > JsonRpcSocketCall.MaxDatagramBytes)
        {
            LogDropped(logger, ClientName(client), $"request of {datagram.Length} bytes is larger than {JsonRpcSocketCall.MaxDatagramBytes}");
            return;
        }
        var (reply, problem) = await JsonRpcSocketCall.AnswerAsync(dispatcher, datagram, JsonRpcSocketCall.MaxDatagramBytes).ConfigureAwait(false);
        if (problem is not null)
            LogDropped(logger, ClientName(client), problem);
        if (reply is null)
            return;
        if (client is UnixDomainSocketEndPoint unix && string.IsNullOrEmpty(unix.ToString()))
        {
            LogDropped(logger, "an unbound unix socket", "the client bound no socket path to be answered on");
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(settings.Admin.JsonRpcDgramTimeoutMilliseconds);
        try
        {
            await socket.SendToAsync(reply, SocketFlags.None, client, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            LogDropped(logger, ClientName(client), "the client did not take the reply in time (Admin:JsonRpcDgramTimeoutMilliseconds)");
        }
        catch (SocketException ex)
        {
            LogDropped(logger, ClientName(client), "cannot send the reply: " + ex.Message);
        }
    }

    private static string ClientName(EndPoint client) => client is UnixDomainSocketEndPoint unix ? "unix:" + unix : "udp:" + client;

    [LoggerMessage(Level = LogLevel.Information, Message = "JSON-RPC datagram socket listening on {Address}")]
    private static partial void LogListening(ILogger logger, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "JSON-RPC datagram socket {Address} is reachable from the network and has no authentication: anyone who reaches it can read and change every table")]
    private static partial void LogOpen(ILogger logger, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "JSON-RPC datagram socket: receive failed ({Error}); going on")]
    private static partial void LogReceiveFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "JSON-RPC datagram from {Client}: {Problem}")]
    private static partial void LogDropped(ILogger logger, string client, string problem);
}
