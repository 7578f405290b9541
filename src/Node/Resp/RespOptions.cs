namespace HTableCluster.Node.Resp;

/// <summary>
/// The Redis protocol endpoint (configuration section <c>Resp</c>). Off unless <see cref="Port"/> is
/// set. A password is required (AUTH) when the node has a token (<c>Rpc:Token</c> or <c>Rpc:TokenFile</c>).
/// </summary>
public sealed class RespOptions
{
    /// <summary>TCP port of the endpoint (default unset: no endpoint; 0 picks a free port).</summary>
    public int? Port { get; set; }

    /// <summary>Address the endpoint binds (default 127.0.0.1; 0.0.0.0 or * for all).</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>
    /// Table names in the order SELECT numbers them from 0 (default empty: the tables in definition
    /// order); the tables not listed follow in definition order.
    /// </summary>
    public List<string> Databases { get; set; } = [];

    /// <summary>Most keys or fields one KEYS, HKEYS, HVALS or HGETALL reply lists (default 100000).</summary>
    public int MaxReplyKeys { get; set; } = 100_000;

    /// <summary>Longest bulk string a client may send, Redis's proto-max-bulk-len (default 64 MiB).</summary>
    public int MaxBulkBytes { get; set; } = 64 << 20;

    /// <summary>Most words in one command (default 1048576).</summary>
    public int MaxArgs { get; set; } = 1 << 20;

    /// <summary>Longest inline command line (default 65536, Redis's limit).</summary>
    public int MaxInlineBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Most reply bytes waiting for a client that does not read them (pub/sub messages pile up
    /// there); past it the client is disconnected, as Redis's client-output-buffer-limit does
    /// (default 32 MiB).
    /// </summary>
    public int MaxOutputBytes { get; set; } = 32 << 20;

    /// <summary>Most clients connected at once (Redis's maxclients; default 10000).</summary>
    public int MaxClients { get; set; } = 10_000;

    /// <summary>True when the endpoint is on.</summary>
    public bool Enabled => Port is not null;

    /// <summary>The limits of the request reader.</summary>
    public RespLimits Limits => new(MaxBulkBytes, MaxArgs, MaxInlineBytes);
}
