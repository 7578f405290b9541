using HTableCluster.Node.Tables;

namespace HTableCluster.Node.Resp;

/// <summary>
/// The state of one client connection, handed to every command: the node's tables, the protocol
/// version and selected database (table), the client's name and id, and where out-of-band replies
/// (pub/sub messages) go. One connection runs one command at a time, so nothing here is shared.
/// </summary>
public sealed class RespContext(RespServer server, long clientId)
{
    /// <summary>What all connections of this endpoint share (tables, options, pub/sub, clients).</summary>
    public RespServer Server { get; } = server;

    /// <summary>The node's tables.</summary>
    public HTableNode Node => Server.Node;

    /// <summary>CLIENT ID: unique per endpoint, increasing.</summary>
    public long ClientId { get; } = clientId;

    /// <summary>2 or 3 (HELLO).</summary>
    public int Protocol { get; set; } = 2;

    /// <summary>The selected database: an index into <see cref="RespServer.Databases"/> (SELECT).</summary>
    public int Database { get; set; }

    /// <summary>CLIENT SETNAME (null: none).</summary>
    public string? ClientName { get; set; }

    /// <summary>True once AUTH (or HELLO AUTH) succeeded, or when no token is configured.</summary>
    public bool Authenticated { get; set; }

    /// <summary>
    /// Sends an out-of-band reply (a pub/sub message) to this client, in order with the replies,
    /// without waiting; set by the connection.
    /// </summary>
    public Action<RespReply> Push { get; set; } = static _ => { };

    /// <summary>
    /// Channels and patterns this client is subscribed to (kept by the pub/sub family); in RESP2 a
    /// subscribed client may only run the pub/sub commands, PING, QUIT and RESET.
    /// </summary>
    public int Subscriptions { get; set; }

    /// <summary>Cancelled when the connection closes.</summary>
    public CancellationToken Closed { get; set; }

    /// <summary>
    /// The table a key names and the item's key in it: <c>table:key</c> when the text before the first
    /// <c>:</c> names a table (and is not followed by a second <c>:</c>, so Kamailio's <c>a::b</c> keys
    /// stay whole), otherwise the selected database's table and the whole key.
    /// </summary>
    public RespKey Resolve(ReadOnlyMemory<byte> key) => RespKey.Resolve(Server, Database, key.Span);

    /// <summary>Set by a command (QUIT) to close the connection once its reply is sent.</summary>
    public bool CloseAfterReply { get; set; }

    /// <summary>CLIENT SETINFO LIB-NAME (null: none).</summary>
    public string? LibName { get; set; }

    /// <summary>CLIENT SETINFO LIB-VER (null: none).</summary>
    public string? LibVersion { get; set; }

    /// <summary>The client's address, <c>ip:port</c> (CLIENT LIST's <c>addr</c>).</summary>
    public string RemoteAddress { get; init; } = "";

    /// <summary>The endpoint's address the client reached, <c>ip:port</c> (CLIENT LIST's <c>laddr</c>).</summary>
    public string LocalAddress { get; init; } = "";

    /// <summary>When the client connected (Unix milliseconds).</summary>
    public long ConnectedAtMs { get; init; } = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>When the client's last command started (Unix milliseconds; CLIENT LIST's <c>idle</c>).</summary>
    public long LastCommandAtMs { get; set; } = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>The last command run, lower case (CLIENT LIST's <c>cmd</c>; <c>NULL</c> before the first).</summary>
    public string LastCommand { get; set; } = "NULL";

    /// <summary>
    /// Raised by RESET (and nothing else) before the connection's state goes back to a new
    /// connection's: the pub/sub family drops this client's subscriptions here.
    /// </summary>
    public event Action<RespContext>? Resetting;

    /// <summary>
    /// RESET: RESP2, database 0, no name, subscriptions dropped (<see cref="Resetting"/>), and
    /// unauthenticated again when a password is set.
    /// </summary>
    public void Reset()
    {
        Resetting?.Invoke(this);
        Subscriptions = 0;
        Protocol = 2;
        Database = 0;
        ClientName = null;
        Authenticated = Server.Password is null;
    }
}
