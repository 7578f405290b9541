using HTableCluster.Node.Tables;

namespace HTableCluster.Node.Resp;

/// <summary>
/// Runs one command the way Redis 7.0's processCommand checks it, in its order: the command must
/// exist (Redis's unknown command error), have its arity, the client must have authenticated unless
/// the command is allowed before AUTH (NOAUTH), a RESP2 client with subscriptions may only run the
/// pub/sub commands, PING, QUIT and RESET, and until the tables have started only the commands
/// marked for it run (LOADING). A handler's unexpected exception is logged and answered with an error;
/// the connection stays open.
/// </summary>
public sealed class RespDispatcher(RespServer server, ILogger logger)
{
    private static readonly RespReply Loading = RespReply.Error("LOADING Redis is loading the dataset in memory");

    // Commands whose second word is a subcommand: Redis names them "name|sub" in its errors.
    private static readonly HashSet<string> Containers = new(StringComparer.Ordinal)
    {
        "acl", "client", "cluster", "command", "config", "function", "latency", "memory", "module", "object", "pubsub", "script", "slowlog", "xinfo",
    };

    /// <summary>The endpoint this dispatcher serves.</summary>
    public RespServer Server { get; } = server ?? throw new ArgumentNullException(nameof(server));

    /// <summary>Checks and runs the command <paramref name="args"/> (its name first) for <paramref name="context"/>.</summary>
    public ValueTask<RespReply> ExecuteAsync(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return ExecuteAsync(context, args, Find(args));
    }

    /// <summary>The command <paramref name="args"/> names (its first word), or null when unknown.</summary>
    public RespCommand? Find(ReadOnlyMemory<byte>[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return Server.Commands.Find(args[0].Span);
    }

    /// <summary>
    /// As <see cref="ExecuteAsync(RespContext, ReadOnlyMemory{byte}[])"/>, for the command
    /// <see cref="Find"/> gave (null: unknown). The returned task never fails: a handler's exception
    /// becomes its error reply.
    /// </summary>
    public ValueTask<RespReply> ExecuteAsync(RespContext context, ReadOnlyMemory<byte>[] args, RespCommand? command)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(args);
        if (command is null)
            return new(RespErrors.UnknownCommand(args));
        if ((command.Arity > 0 && command.Arity != args.Length) || args.Length < -command.Arity)
            return new(RespErrors.WrongArity(command.Name));
        if (!context.Authenticated && (command.Flags & RespCommandFlags.NoAuth) == 0)
            return new(RespErrors.NoAuth);
        if (context.Subscriptions > 0 && context.Protocol == 2 && (command.Flags & RespCommandFlags.PubSub) == 0)
        {
            return new(RespReply.Error($"ERR Can't execute '{FullName(command, args)}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"));
        }
        if ((command.Flags & RespCommandFlags.Loading) == 0 && !Server.Node.IsStarted)
            return new(Loading);
        context.LastCommand = FullName(command, args);
        context.LastCommandAtMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        try
        {
            var reply = command.Handler(context, args);
            return reply.IsCompletedSuccessfully ? reply : AwaitAsync(reply, command);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return new(Failed(ex, command));
        }
    }

    private async ValueTask<RespReply> AwaitAsync(ValueTask<RespReply> pending, RespCommand command)
    {
        try
        {
            return await pending;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return Failed(ex, command);
        }
    }

    // Expected refusals (a node rejoining its cluster, a write concern not met, a closed connection)
    // answer with their message; anything else is a bug, logged with its stack, and the client gets
    // an error instead of a dropped connection.
    private RespReply Failed(Exception ex, RespCommand command)
    {
        switch (ex)
        {
            case NodeUnavailableException or WriteConcernException:
                return RespReply.Error("ERR " + ex.Message);
            case OperationCanceledException:
                return RespReply.Error("ERR the command was cancelled (the node is stopping or the client left)");
            default:
                logger.LogError(ex, "RESP command {Command} failed", command.Name);
                return RespReply.Error($"ERR internal error in '{command.Name}': {ex.GetType().Name}");
        }
    }

    private static string FullName(RespCommand command, ReadOnlyMemory<byte>[] args) =>
        Containers.Contains(command.Name) && args.Length > 1
            ? command.Name + "|" + RespErrors.Printable(args[1].Span).ToLowerInvariant()
            : command.Name;
}
