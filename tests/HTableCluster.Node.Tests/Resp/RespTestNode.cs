using System.Text;
using HTableCluster.Node.Resp;

namespace HTableCluster.Node.Tests.Resp;

/// <summary>
/// An in-process node with a Redis endpoint's command table, driven by calling the handlers (as the
/// connection's dispatcher does, arity check included). Databases: 0 <c>s</c> (local), 1 <c>t</c>
/// (replicated), 2 <c>e</c> (autoexpire=5), 3 <c>i</c> (initval=7).
/// </summary>
public sealed class RespTestNode : NodeFixture
{
    private long _clients;
    private RespServer? _server;

    protected override IReadOnlyList<string> Tables =>
    [
        "s=>size=8;autoexpire=0",
        "t=>size=8;dmqreplicate=1",
        "e=>size=4;autoexpire=5",
        "i=>size=4;initval=7",
    ];

    /// <summary>The endpoint's shared state (MaxReplyKeys 50, so the bound is easy to reach).</summary>
    public RespServer Server => _server ??= new RespServer(Node, RespCommandTable.CreateDefault()) { MaxReplyKeys = 50 };

    /// <summary>A new connection's context, on database <paramref name="database"/>.</summary>
    public RespContext Connect(int database = 0) =>
        new(Server, Interlocked.Increment(ref _clients)) { Database = database, Authenticated = true };

    /// <summary>Runs one command given as words.</summary>
    public static async Task<RespReply> RunAsync(RespContext context, params string[] words) =>
        await RunAsync(context, Array.ConvertAll(words, w => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(w)));

    /// <summary>Runs one command given as binary arguments, checking Redis's arity first.</summary>
    public static async Task<RespReply> RunAsync(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        var command = context.Server.Commands.Find(args[0].Span);
        if (command is null)
            return RespErrors.UnknownCommand(args);
        if ((command.Arity > 0 && args.Length != command.Arity) || (command.Arity < 0 && args.Length < -command.Arity))
            return RespErrors.WrongArity(command.Name);
        return await command.Handler(context, args);
    }

    /// <summary>Runs one command and shows its reply (<see cref="RespText.Show"/>).</summary>
    public static async Task<string> ShowAsync(RespContext context, params string[] words) => RespText.Show(await RunAsync(context, words));
}
