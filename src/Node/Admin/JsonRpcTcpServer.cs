using System.Net;
using System.Net.Sockets;
using HTableCluster.Node.Configuration;
using HTableCluster.Node.Rpc;

namespace HTableCluster.Node.Admin;

/// <summary>
/// JSON-RPC over TCP as jsonrpcs' <c>tcp_socket</c> (Kamailio 5.7+) serves it: a client connects,
/// sends one JSON document (at most 65455 bytes), reads the reply, which has no size limit (large
/// dumps fit), and the connection is closed. A request that is not JSON, too long, or not complete
/// within <c>Admin:JsonRpcTcpTimeoutSeconds</c> closes the connection without a reply. At most
/// <c>Admin:JsonRpcTcpMaxConnections</c> are open at once.
/// </summary>
public sealed partial class JsonRpcTcpServer(NodeSettings settings, RpcDispatcher dispatcher, ILogger<JsonRpcTcpServer> logger) : IHostedService, IDisposable
{
    /// <summary>Largest request (jsonrpcs reads at most JSONRPC_DGRAM_BUF_SIZE - 1 bytes).</summary>
    public const int MaxRequestBytes = JsonRpcSocketCall.MaxDatagramBytes - 1;

    private readonly CancellationTokenSource _stopping = new();
    private Socket? _listener;
    private Task _loop = Task.CompletedTask;
    private int _connections;

    /// <summary>The endpoint actually bound (port 0 resolved), for tests and logs.</summary>
    public IPEndPoint? LocalEndPoint => (IPEndPoint?)_listener?.LocalEndPoint;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var endpoint = settings.JsonRpcTcpAddress?.Endpoint;
        if (endpoint is null)
            return Task.CompletedTask;
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(endpoint);
            socket.Listen(64);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new OptionsException("Admin:JsonRpcTcp", settings.Admin.JsonRpcTcp, "cannot listen: " + ex.Message);
        }
        _listener = socket;
        LogListening(logger, "tcp:" + socket.LocalEndPoint);
        if (!IPAddress.IsLoopback(endpoint.Address))
            LogOpen(logger, "tcp:" + socket.LocalEndPoint);
        _loop = AcceptAsync(socket);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_listener is null)
            return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose() => _stopping.Dispose();

    private async Task AcceptAsync(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            if (Interlocked.Increment(ref _connections) > settings.Admin.JsonRpcTcpMaxConnections)
            {
                Interlocked.Decrement(ref _connections);
                LogTooMany(logger, settings.Admin.JsonRpcTcpMaxConnections);
                client.Dispose();
                continue;
            }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var peer = socket.RemoteEndPoint?.ToString() ?? "?";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(settings.Admin.JsonRpcTcpTimeoutSeconds));
        try
        {
            var request = await ReadRequestAsync(socket, peer, timeout.Token).ConfigureAwait(false);
            if (request is null)
                return;
            var (reply, problem) = await JsonRpcSocketCall.AnswerAsync(dispatcher, request, 0).ConfigureAwait(false);
            if (problem is not null)
                LogRefused(logger, peer, problem);
            if (reply is not null)
                await socket.SendAsync(reply, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            LogRefused(logger, peer, $"no complete request or reply read within {settings.Admin.JsonRpcTcpTimeoutSeconds} s (Admin:JsonRpcTcpTimeoutSeconds)");
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The node is stopping or the peer went away.
        }
        finally
        {
            socket.Dispose();
            Interlocked.Decrement(ref _connections);
        }
    }

    // The first JSON document on the connection (jsonrpcs takes what one read returns; a document
    // split over several segments is read whole here). Null: nothing to answer.
    private async Task<byte[]?> ReadRequestAsync(Socket socket, string peer, CancellationToken cancellationToken)
    {
        var splitter = new JsonDocumentSplitter(MaxRequestBytes);
        var buffer = new byte[4096];
        var total = 0;
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
                return null;
            total += n;
            byte[]? document = null;
            var oversized = false;
            splitter.Feed(buffer.AsSpan(0, n), d => document ??= d, () => oversized = true);
            if (document is not null)
                return document;
            if (oversized || total > MaxRequestBytes)
            {
                LogRefused(logger, peer, $"request longer than {MaxRequestBytes} bytes");
                return null;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "JSON-RPC TCP listening on {Address}")]
    private static partial void LogListening(ILogger logger, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "JSON-RPC TCP {Address} is reachable from the network and has no authentication: anyone who reaches it can read and change every table")]
    private static partial void LogOpen(ILogger logger, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "JSON-RPC TCP: {Limit} connections open (Admin:JsonRpcTcpMaxConnections); a new one was closed")]
    private static partial void LogTooMany(ILogger logger, int limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "JSON-RPC TCP from {Peer}: {Problem}; connection closed")]
    private static partial void LogRefused(ILogger logger, string peer, string problem);
}
