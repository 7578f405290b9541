using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Prometheus;

namespace HTableCluster.Node.Resp;

/// <summary>
/// Serves the Redis protocol on a Kestrel endpoint (<c>ListenOptions.UseConnectionHandler</c>): no
/// thread per connection. Each connection reads commands as they arrive (<see cref="RespReader"/>),
/// runs them in order (<see cref="RespDispatcher"/>) and writes their replies in the same order,
/// flushed once per batch of pipelined commands. Consecutive writes marked
/// <see cref="RespCommand.Pipelined"/> are started without waiting for the previous one (up to
/// 128 in flight); any other command first waits for them, so it sees their effects. Out-of-band messages (<see cref="RespContext.Push"/>)
/// go into the same output between two replies. A protocol error is answered and closes the connection.
/// Replies that the client does not read stay bounded: while the socket is full the connection stops
/// reading commands, and past <see cref="RespOptions.MaxOutputBytes"/> waiting (pushed messages pile up
/// there) the client is disconnected, as Redis's client-output-buffer-limit does.
/// </summary>
public sealed class RespConnectionHandler(RespServer server, RespOptions options, ILogger<RespConnectionHandler> logger) : ConnectionHandler
{
    private static readonly Counter Commands = Metrics.CreateCounter("htcluster_resp_commands_total", "Commands run on the Redis protocol endpoint.");
    private static readonly Counter Connections = Metrics.CreateCounter("htcluster_resp_connections_total", "Connections accepted by the Redis protocol endpoint.");
    private static readonly Gauge Connected = Metrics.CreateGauge("htcluster_resp_clients", "Clients connected to the Redis protocol endpoint now.");
    private static readonly Counter Dropped = Metrics.CreateCounter("htcluster_resp_disconnected_total",
        "Redis protocol clients disconnected by the node: protocol errors and output over Resp:MaxOutputBytes.", "reason");

    private readonly RespServer _server = server;
    private readonly RespOptions _options = options;
    private readonly ILogger _logger = logger;
    private readonly RespDispatcher _dispatcher = new(server, logger);
    private readonly RespLimits _limits = options.Limits;

    // Pipelined writes one connection keeps in flight at most: past it, the connection waits for the
    // oldest before it starts the next (memory stays bounded whatever one read holds).
    private const int MaxInFlight = 128;

    /// <inheritdoc/>
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (_server.Clients.Count >= _server.MaxClients)
        {
            _server.CountRejected();
            await connection.Transport.Output.WriteAsync("-ERR max number of clients reached\r\n"u8.ToArray());
            return;
        }
        _server.CountConnection();
        Connections.Inc();
        Connected.Inc();
        using var closed = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        var context = new RespContext(_server, _server.NextClientId())
        {
            Authenticated = _server.Password is null,
            Closed = closed.Token,
            RemoteAddress = connection.RemoteEndPoint?.ToString() ?? "",
            LocalAddress = connection.LocalEndPoint?.ToString() ?? "",
        };
        var session = new Session(this, connection, context);
        context.Push = session.Push;
        _server.Clients[context.ClientId] = context;
        try
        {
            await session.RunAsync();
        }
        finally
        {
            _server.Clients.TryRemove(context.ClientId, out _);
            session.Close();
            await closed.CancelAsync();
            Connected.Dec();
        }
    }

    private sealed class Session(RespConnectionHandler handler, ConnectionContext connection, RespContext context)
    {
        private readonly RespReader _reader = new(handler._limits);
        private readonly PipeWriter _output = connection.Transport.Output;
        private readonly Lock _gate = new();
        private readonly SemaphoreSlim _flushing = new(1, 1);

        // Pipelined writes started and not yet answered, oldest first (RespCommand.Pipelined).
        private readonly Queue<ValueTask<RespReply>> _inFlight = new();
        private ArrayBufferWriter<byte> _pending = new(4096);
        private ArrayBufferWriter<byte> _spare = new(4096);
        private bool _closed;
        private int _flushQueued;

        // Bytes of pushed messages in _pending (not yet handed to the transport).
        private long _pushed;

        public async Task RunAsync()
        {
            var input = connection.Transport.Input;
            try
            {
                while (true)
                {
                    var result = await input.ReadAsync(context.Closed);
                    var buffer = result.Buffer;
                    var stop = false;
                    var ran = 0;
                    try
                    {
                        while (true)
                        {
                            var status = _reader.TryRead(ref buffer, !context.Authenticated, out var args);
                            if (status == RespReadStatus.Incomplete)
                                break;
                            if (status == RespReadStatus.Error)
                            {
                                if (!await DrainAsync(0))
                                {
                                    stop = true;
                                    break;
                                }
                                Dropped.WithLabels("protocol").Inc();
                                handler._logger.LogDebug("RESP client {Client} ({Address}): {Error}; closing", context.ClientId, context.RemoteAddress, _reader.Error);
                                Write(RespReply.Error(_reader.Error));
                                stop = true;
                                break;
                            }
                            var command = handler._dispatcher.Find(args);
                            var pipelined = command is { Pipelined: true } && !handler._server.NotifiesKeyspace;
                            if (!pipelined && _inFlight.Count > 0 && !await DrainAsync(0))
                            {
                                stop = true;
                                break;
                            }
                            var pending = handler._dispatcher.ExecuteAsync(context, args, command);
                            ran++;
                            if (pipelined && (_inFlight.Count > 0 || !pending.IsCompletedSuccessfully))
                            {
                                // In flight: the next command may start now; replies go out in order.
                                _inFlight.Enqueue(pending);
                                if (!WriteCompleted() || !await DrainAsync(MaxInFlight - 1))
                                {
                                    stop = true;
                                    break;
                                }
                                continue;
                            }
                            var reply = pending.IsCompletedSuccessfully ? pending.Result : await pending;
                            if (!Write(reply) || context.CloseAfterReply)
                            {
                                stop = true;
                                break;
                            }
                        }
                        // Every reply of the batch is written before it is flushed and more is read.
                        if (!stop && !await DrainAsync(0))
                            stop = true;
                    }
                    finally
                    {
                        input.AdvanceTo(buffer.Start, buffer.End);
                        if (ran > 0)
                        {
                            handler._server.CountCommands(ran);
                            Commands.Inc(ran);
                        }
                    }
                    await FlushAsync();
                    if (stop || result.IsCompleted)
                        break;
                }
            }
            catch (OperationCanceledException)
            {
                // The client left or the node is stopping.
            }
            catch (ConnectionResetException)
            {
            }
            catch (IOException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }

        /// <summary>
        /// Awaits the oldest commands in flight and writes their replies, in order, until at most
        /// <paramref name="keep"/> are left; false when the connection is closing. Their tasks do not
        /// fail (the dispatcher turns a handler's exception, a failed or cancelled write, into that
        /// command's error reply), so one failure loses no other reply.
        /// </summary>
        private async ValueTask<bool> DrainAsync(int keep)
        {
            while (_inFlight.Count > keep)
            {
                var reply = await _inFlight.Dequeue();
                if (!Write(reply))
                    return false;
            }
            return true;
        }

        // Writes the replies of the oldest commands in flight that have completed; false when closing.
        private bool WriteCompleted()
        {
            while (_inFlight.TryPeek(out var head) && head.IsCompleted)
            {
                if (!Write(_inFlight.Dequeue().Result))
                    return false;
            }
            return true;
        }

        /// <summary>
        /// Appends a command's reply; false when the connection is closing. Replies are not bounded
        /// here: the loop waits for each batch's replies to reach the socket before it reads more.
        /// </summary>
        private bool Write(RespReply reply)
        {
            lock (_gate)
            {
                if (_closed)
                    return false;
                RespWriter.Write(_pending, reply, context.Protocol);
                return true;
            }
        }

        /// <summary><see cref="RespContext.Push"/>: from any thread, in order with the replies.</summary>
        public void Push(RespReply message)
        {
            lock (_gate)
            {
                if (_closed)
                    return;
                var before = _pending.WrittenCount;
                RespWriter.Write(_pending, message, context.Protocol);
                _pushed += _pending.WrittenCount - before;
                if (!WithinLimit())
                    return;
            }
            if (Interlocked.Exchange(ref _flushQueued, 1) == 0)
                _ = FlushQueuedAsync();
        }

        // Under _gate.
        private bool WithinLimit()
        {
            if (_pushed <= handler._options.MaxOutputBytes)
                return true;
            _closed = true;
            Dropped.WithLabels("output").Inc();
            handler._logger.LogWarning("RESP client {Client} ({Address}) disconnected: {Bytes} reply bytes wait for it, over Resp:MaxOutputBytes {Limit} (it does not read its replies)",
                context.ClientId, context.RemoteAddress, _pending.WrittenCount, handler._options.MaxOutputBytes);
            _pending = new ArrayBufferWriter<byte>(16);
            connection.Abort(new ConnectionAbortedException("output buffer over Resp:MaxOutputBytes"));
            return false;
        }

        private async Task FlushQueuedAsync()
        {
            try
            {
                Volatile.Write(ref _flushQueued, 0);
                await FlushAsync();
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException or ConnectionResetException)
            {
                // The connection is closing; its loop ends it.
            }
        }

        /// <summary>Moves what was written to the transport and flushes it (one flush at a time).</summary>
        private async ValueTask FlushAsync()
        {
            await _flushing.WaitAsync(context.Closed);
            try
            {
                ArrayBufferWriter<byte> ready;
                lock (_gate)
                {
                    if (_closed || _pending.WrittenCount == 0)
                        return;
                    ready = _pending;
                    _pending = _spare;
                    _pushed = 0;
                }
                _output.Write(ready.WrittenSpan);
                // A large reply's buffer is not kept for the connection's life.
                if (ready.Capacity > 1 << 20)
                    ready = new ArrayBufferWriter<byte>(4096);
                else
                    ready.ResetWrittenCount();
                lock (_gate)
                    _spare = ready;
                await _output.FlushAsync(context.Closed);
            }
            finally
            {
                _flushing.Release();
            }
        }

        public void Close()
        {
            lock (_gate)
                _closed = true;
        }
    }
}
