namespace HTableCluster.Node.Rpc;

/// <summary>
/// Result of one call: a result tree or an error. An error that only says a key is missing
/// (<see cref="IsMiss"/>) is counted as a miss in <c>/metrics</c>, not as an error.
/// </summary>
public readonly record struct RpcReply(object? Result, RpcError? Error)
{
    /// <summary>True when the error is a missing key (a cache miss), not a failure.</summary>
    public bool IsMiss { get; init; }

    /// <summary>A successful reply.</summary>
    public static RpcReply Ok(object? result) => new(result, null);

    /// <summary>An error reply saying that the key is missing (counted as a miss, not as an error).</summary>
    public static RpcReply Miss(int code, string message) => new(null, new RpcError(code, message)) { IsMiss = true };

    /// <summary>An error reply.</summary>
    public static RpcReply Fail(int code, string message) => new(null, new RpcError(code, message));

    /// <summary>An error reply.</summary>
    public static RpcReply Fail(RpcError error) => new(null, error);

    /// <summary>Completed task of this reply.</summary>
    public ValueTask<RpcReply> AsTask() => new(this);
}

/// <summary>Handler of one method.</summary>
public delegate ValueTask<RpcReply> RpcHandler(RpcParams parameters, WriteSink sink);

/// <summary>
/// A method: its name, help text, whether it only writes (so a batch may group it with neighbours),
/// its handler, and whether it scans a whole table (<see cref="Scans"/>: it then runs on the thread
/// pool, never on a socket thread, whose other connections would wait for it).
/// </summary>
public sealed record RpcMethod(string Name, string Help, bool GroupableWrite, RpcHandler Handler, bool Scans = false);
