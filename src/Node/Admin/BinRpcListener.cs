using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using HTableCluster.Node.Configuration;

namespace HTableCluster.Node.Admin;

/// <summary>
/// Serves BINRPC (kamcmd, kamailio_exporter) on the unix and TCP sockets of <c>Admin:BinRpc</c>.
/// Thin: it frames packets and hands each to the <see cref="BinRpcProcessor"/>. Connections are
/// async (no thread each) and bounded: at most <c>BinRpcMaxConnections</c>, a request of at most
/// <c>BinRpcMaxRequestBytes</c>, one reply in flight. A protocol error is answered with a fault and
/// the connection is closed; a client that sends nothing for <c>BinRpcIdleTimeoutSeconds</c> or
/// reads no reply for <c>BinRpcWriteTimeoutSeconds</c> is disconnected. The unix socket gets its
/// mode and owner before it listens, so no client can connect through a wider mode meanwhile. Local
/// sockets are not subject to the HTTP bearer token: their file mode is the access control.
/// </summary>
public sealed partial class BinRpcListener(NodeSettings settings, BinRpcProcessor processor, ILogger<BinRpcListener> logger) : IHostedService, IDisposable
{
    private readonly List<(Socket Socket, BinRpcAddress Address)> _listeners = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private int _connections;

    /// <summary>The TCP endpoints actually bound (port 0 resolved), for tests and logs.</summary>
    public IReadOnlyList<IPEndPoint> TcpEndpoints => [.. _listeners.Where(l => l.Address.Tcp is not null).Select(l => (IPEndPoint)l.Socket.LocalEndPoint!)];

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            foreach (var address in settings.BinRpcAddresses)
            {
                var socket = address.Path is not null ? BindUnix(address.Path) : BindTcp(address.Tcp!);
                _listeners.Add((socket, address));
                LogListening(logger, address.Path is not null ? address.ToString() : "tcp:" + socket.LocalEndPoint);
                if (address.Tcp is { } tcp && !IPAddress.IsLoopback(tcp.Address))
                    LogOpenTcp(logger, address.ToString());
            }
        }
        catch (OptionsException)
        {
            foreach (var (socket, _) in _listeners)
                socket.Dispose();
            throw;
        }
        foreach (var (socket, address) in _listeners)
            _loops.Add(AcceptAsync(socket, address));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var (socket, address) in _listeners)
        {
            socket.Dispose();
            if (address.Path is not null)
                LocalSocketFile.TryDelete(address.Path);
        }
        await Task.WhenAll(_loops).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose() => _stopping.Dispose();

    private Socket BindUnix(string path)
    {
        var admin = settings.Admin;
        // Whatever is at the path (a socket left by an earlier run) is replaced, as ctl does.
        if (Directory.Exists(path))
            throw new OptionsException("Admin:BinRpc", "unix:" + path, "the path is a directory");
        LocalSocketFile.TryDelete(path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            // Mode and owner before listen: until then a connect is refused.
            LocalSocketFile.Secure(path, admin.BinRpcMode, admin.BinRpcUser, admin.BinRpcGroup);
            socket.Listen(64);
            return socket;
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException)
        {
            socket.Dispose();
            throw new OptionsException("Admin:BinRpc", "unix:" + path, "cannot listen: " + ex.Message);
        }
    }

    private static Socket BindTcp(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(endpoint);
            socket.Listen(64);
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new OptionsException("Admin:BinRpc", "tcp:" + endpoint, "cannot listen: " + ex.Message);
        }
    }


    private async Task AcceptAsync(Socket listener, BinRpcAddress address)
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
            catch (SocketException ex)
            {
                LogAcceptFailed(logger, ex, address.ToString());
                continue;
            }
            if (Interlocked.Increment(ref _connections) > settings.Admin.BinRpcMaxConnections)
            {
                Interlocked.Decrement(ref _connections);
                LogTooMany(logger, address.ToString(), settings.Admin.BinRpcMaxConnections);
                client.Dispose();
                continue;
            }
            if (address.Tcp is not null)
                client.NoDelay = true;
            _ = ServeAsync(client, address);
        }
    }

    private async Task ServeAsync(Socket socket, BinRpcAddress address)
    {
        var admin = settings.Admin;
        var stream = new NetworkStream(socket, ownsSocket: true);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 1024));
        var encoder = new BinRpcEncoder();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        try
        {
            while (true)
            {
                timeout.CancelAfter(TimeSpan.FromSeconds(admin.BinRpcIdleTimeoutSeconds));
                var read = await reader.ReadAsync(timeout.Token).ConfigureAwait(false);
                var buffer = read.Buffer;
                var close = false;
                while (!close)
                {
                    var (status, header, error) = Header(buffer);
                    if (status == BinRpcHeaderStatus.NeedMore)
                        break;
                    if (status == BinRpcHeaderStatus.Invalid || header.BodyLength > admin.BinRpcMaxRequestBytes)
                    {
                        if (status == BinRpcHeaderStatus.Done)
                            error = $"packet of {header.BodyLength} bytes is larger than {admin.BinRpcMaxRequestBytes} (Admin:BinRpcMaxRequestBytes)";
                        LogProtocolError(logger, address.ToString(), error);
                        encoder.Reset();
                        encoder.Fault(400, "bad request: " + error);
                        await SendAsync(stream, encoder.Finish(BinRpcPacketType.Fault, header.Cookie), timeout).ConfigureAwait(false);
                        return;
                    }
                    var total = header.HeaderLength + (long)header.BodyLength;
                    if (buffer.Length < total)
                        break;
                    var packet = buffer.Slice(header.HeaderLength, header.BodyLength);
                    var ok = await processor.ProcessAsync(header, packet.IsSingleSegment ? packet.First : packet.ToArray(), encoder).ConfigureAwait(false);
                    if (!ok)
                        LogProtocolError(logger, address.ToString(), "malformed request body");
                    await SendAsync(stream, encoder.Finish(encoder.IsFault ? BinRpcPacketType.Fault : BinRpcPacketType.Reply, header.Cookie), timeout).ConfigureAwait(false);
                    close = !ok;
                    buffer = buffer.Slice(total);
                    if (encoder.Capacity > 1 << 20)
                        encoder = new BinRpcEncoder(); // a large dump's buffer is not kept for the connection's life
                    // Each complete request restarts the idle clock.
                    timeout.CancelAfter(TimeSpan.FromSeconds(admin.BinRpcIdleTimeoutSeconds));
                }
                if (close)
                    return;
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                    return;
            }
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            LogTimedOut(logger, address.ToString());
        }
        catch (OperationCanceledException)
        {
            // Node stopping.
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // The peer went away.
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
            Interlocked.Decrement(ref _connections);
        }
    }

    private async Task SendAsync(NetworkStream stream, ReadOnlyMemory<byte> packet, CancellationTokenSource timeout)
    {
        timeout.CancelAfter(TimeSpan.FromSeconds(settings.Admin.BinRpcWriteTimeoutSeconds));
        await stream.WriteAsync(packet, timeout.Token).ConfigureAwait(false);
    }

    private static (BinRpcHeaderStatus Status, BinRpcHeader Header, string Error) Header(ReadOnlySequence<byte> buffer)
    {
        Span<byte> first = stackalloc byte[BinRpcEncoder.MaxHeaderBytes];
        var n = (int)Math.Min(buffer.Length, first.Length);
        buffer.Slice(0, n).CopyTo(first);
        var status = BinRpcDecoder.TryReadHeader(first[..n], out var header, out var error);
        return (status, header, error);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "BINRPC listening on {Address}")]
    private static partial void LogListening(ILogger logger, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "BINRPC on {Address} is reachable from the network and has no authentication: anyone who reaches it can read and change every table")]
    private static partial void LogOpenTcp(ILogger logger, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "BINRPC {Address}: accept failed")]
    private static partial void LogAcceptFailed(ILogger logger, Exception exception, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "BINRPC {Address}: {Limit} connections open (Admin:BinRpcMaxConnections); a new one was closed")]
    private static partial void LogTooMany(ILogger logger, string address, int limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "BINRPC {Address}: protocol error, connection closed: {Error}")]
    private static partial void LogProtocolError(ILogger logger, string address, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "BINRPC {Address}: connection closed after a timeout (no request, or the reply was not read)")]
    private static partial void LogTimedOut(ILogger logger, string address);
}
