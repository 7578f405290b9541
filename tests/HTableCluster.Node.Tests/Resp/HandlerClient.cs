using System.Text;
using System.Threading.Channels;
using HTableCluster.Node.Resp;

namespace HTableCluster.Node.Tests.Resp;

/// <summary>
/// One connection of a <see cref="RespServer"/> without a socket: runs commands through the
/// command table (arity checked as the dispatcher does) and collects what is pushed to it.
/// </summary>
public sealed class HandlerClient : IDisposable
{
    private static long LastId;
    private readonly CancellationTokenSource _closed = new();
    private readonly Channel<RespReply> _pushes = Channel.CreateUnbounded<RespReply>();

    public HandlerClient(RespServer server, int protocol = 2, Action<RespReply>? push = null)
    {
        Server = server;
        Context = new RespContext(server, Interlocked.Increment(ref LastId))
        {
            Protocol = protocol,
            Authenticated = true,
            Closed = _closed.Token,
            Push = push ?? (r => _pushes.Writer.TryWrite(r)),
        };
    }

    public RespServer Server { get; }

    public RespContext Context { get; }

    /// <summary>Runs a command given as words (UTF-8; Latin-1 when <paramref name="latin1"/>).</summary>
    public Task<RespReply> RunAsync(params string[] words) => RunAsync(words.Select(w => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(w)).ToArray());

    public async Task<RespReply> RunAsync(ReadOnlyMemory<byte>[] args)
    {
        var command = Server.Commands.Find(args[0].Span) ?? throw new InvalidOperationException("no command " + Encoding.UTF8.GetString(args[0].Span));
        if (command.Arity > 0 ? args.Length != command.Arity : args.Length < -command.Arity)
            return RespErrors.WrongArity(command.Name);
        return await command.Handler(Context, args);
    }

    /// <summary>
    /// Runs a command and returns what reaches the client for it, as the wire carries it: what it
    /// pushed while running, then its reply.
    /// </summary>
    public async Task<string> WireAsync(params string[] words)
    {
        var reply = await RunAsync(words);
        var sb = new StringBuilder();
        while (_pushes.Reader.TryRead(out var pushed))
            sb.Append(ReplyText.Encode(pushed, Context.Protocol));
        return sb.Append(ReplyText.Encode(reply, Context.Protocol)).ToString();
    }

    /// <summary>The next pushed message as the wire carries it (30 s at most).</summary>
    public async Task<string> NextPushAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return ReplyText.Encode(await _pushes.Reader.ReadAsync(cts.Token), Context.Protocol);
    }

    /// <summary>True when nothing was pushed (and not yet read).</summary>
    public bool NothingPushed => !_pushes.Reader.TryPeek(out _);

    /// <summary>Closes the connection (<see cref="RespContext.Closed"/>).</summary>
    public void Close() => _closed.Cancel();

    public void Dispose()
    {
        _closed.Cancel();
        _closed.Dispose();
    }
}
