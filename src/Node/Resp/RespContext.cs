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
}
