namespace HTableCluster.Node.Resp;

/// <summary>
/// Runs one command. <paramref name="args"/> holds the command name first, then its arguments, as
/// the client sent them (binary-safe). Arity has been checked against <see cref="RespCommand.Arity"/>
/// before the call. The reply is written in the order the commands arrived (pipelining).
/// </summary>
public delegate ValueTask<RespReply> RespHandler(RespContext context, ReadOnlyMemory<byte>[] args);

/// <summary>Flags as Redis's COMMAND INFO lists them (the subset we answer with).</summary>
[Flags]
public enum RespCommandFlags
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary><c>write</c>: changes data.</summary>
    Write = 1,

    /// <summary><c>readonly</c>: only reads data.</summary>
    ReadOnly = 2,

    /// <summary><c>fast</c>: O(1) or O(log n).</summary>
    Fast = 4,

    /// <summary><c>noauth</c>: allowed before AUTH.</summary>
    NoAuth = 8,

    /// <summary><c>pubsub</c>: allowed in a RESP2 connection that is subscribed.</summary>
    PubSub = 16,

    /// <summary><c>loading</c>, <c>stale</c>: allowed while the node is not ready.</summary>
    Loading = 32,

    /// <summary><c>denyoom</c>: may grow memory.</summary>
    DenyOom = 64,

    /// <summary><c>admin</c>.</summary>
    Admin = 128,
}

/// <summary>
/// A command the endpoint serves: its name (lower case), Redis's arity (positive: exactly that many
/// words counting the name; negative: at least that many), flags, and key positions for COMMAND INFO
/// (first key, last key (-1: the last argument), step; all 0 when it takes no key).
/// </summary>
public sealed record RespCommand(
    string Name,
    int Arity,
    RespCommandFlags Flags,
    int FirstKey,
    int LastKey,
    int Step,
    RespHandler Handler)
{
    /// <summary>
    /// True when a connection may start this command while earlier pipelined writes of the same
    /// connection are still in flight (and start the next command before this one completes). Off
    /// unless set on a handler checked for it: every message it sends to a partition writer is sent
    /// synchronously, before its first await, and what it sends depends on its arguments and the
    /// connection's state only, never on what Storage holds. Such writes reach each partition's
    /// single writer in the order the client sent them (one sender, FIFO mailbox), so they apply
    /// in that order, exactly as one at a time. A command without it (reads, commands that read
    /// Storage before writing or send a second message after an await) first waits for every
    /// write in flight on the connection.
    /// </summary>
    public bool Pipelined { get; init; }
}
