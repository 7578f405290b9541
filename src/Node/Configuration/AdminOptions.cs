namespace HTableCluster.Node.Configuration;

/// <summary>
/// Kamailio's local admin protocols (configuration section <c>Admin</c>): BINRPC as the ctl module
/// serves it to <c>kamcmd</c> and kamailio_exporter, and JSON-RPC over a FIFO, a datagram socket and
/// TCP as jsonrpcs serves it to <c>kamctl rpc</c> and <c>kamcli</c>. Each is off unless its address is set.
/// </summary>
public sealed class AdminOptions
{
    /// <summary>
    /// BINRPC listen addresses in ctl's forms: <c>unix:/path</c> (or a bare <c>/path</c>), <c>tcp:host:port</c>,
    /// <c>tcp:port</c> (loopback) and <c>tcp:*:port</c> (every interface); several separated by
    /// commas. Default empty: no BINRPC listener.
    /// </summary>
    public string BinRpc { get; set; } = "";

    /// <summary>File mode of the BINRPC unix socket, octal as ctl's <c>mode</c> (default <c>0600</c>).</summary>
    public string BinRpcMode { get; set; } = "0600";

    /// <summary>Owner of the unix socket, a user name or uid as ctl's <c>user</c> (default empty: the node's user).</summary>
    public string BinRpcUser { get; set; } = "";

    /// <summary>Group of the unix socket, a group name or gid as ctl's <c>group</c> (default empty: the node's group).</summary>
    public string BinRpcGroup { get; set; } = "";

    /// <summary>Largest request packet in bytes (default 65535, ctl's stream buffer).</summary>
    public int BinRpcMaxRequestBytes { get; set; } = 65535;

    /// <summary>Largest reply body in bytes; a larger answer is a fault (default 16 MiB; kamcmd itself reads at most 128 KiB).</summary>
    public int BinRpcMaxReplyBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Most open BINRPC connections; more are closed at once (default 128, ctl's limit).</summary>
    public int BinRpcMaxConnections { get; set; } = 128;

    /// <summary>Seconds a connection may stay without a complete request before it is closed (default 300).</summary>
    public int BinRpcIdleTimeoutSeconds { get; set; } = 300;

    /// <summary>Seconds a reply may take to be written (a client that stops reading) before the connection is closed (default 10).</summary>
    public int BinRpcWriteTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// Path of the JSON-RPC FIFO (jsonrpcs' <c>fifo_name</c>; kamctl's <c>RPCFIFOPATH</c>, by default
    /// <c>/run/kamailio/kamailio_rpc.fifo</c>). Default empty: no FIFO.
    /// </summary>
    public string JsonRpcFifo { get; set; } = "";

    /// <summary>File mode of the FIFO, octal as jsonrpcs' <c>fifo_mode</c> (default <c>0660</c>).</summary>
    public string JsonRpcFifoMode { get; set; } = "0660";

    /// <summary>Directory the reply FIFOs must be in, as jsonrpcs' <c>fifo_reply_dir</c> (default <c>/tmp/</c>, where kamctl creates them).</summary>
    public string JsonRpcFifoReplyDir { get; set; } = "/tmp/";

    /// <summary>Seconds a reply may take to be read from its FIFO before it is dropped (default 10).</summary>
    public int JsonRpcFifoWriteTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// JSON-RPC datagram socket as jsonrpcs' <c>dgram_socket</c> (kamcli's <c>socket</c> transport):
    /// <c>unix:/path</c> (or a bare <c>/path</c>), <c>udp:host:port</c> or <c>udp:port</c> (loopback).
    /// Default empty: none.
    /// </summary>
    public string JsonRpcDgram { get; set; } = "";

    /// <summary>File mode of the datagram unix socket, octal as jsonrpcs' <c>dgram_mode</c> (default <c>0660</c>).</summary>
    public string JsonRpcDgramMode { get; set; } = "0660";

    /// <summary>Owner of the datagram unix socket, a user name or uid as jsonrpcs' <c>dgram_user</c> (default empty: the node's user).</summary>
    public string JsonRpcDgramUser { get; set; } = "";

    /// <summary>Group of the datagram unix socket, a group name or gid as jsonrpcs' <c>dgram_group</c> (default empty: the node's group).</summary>
    public string JsonRpcDgramGroup { get; set; } = "";

    /// <summary>Milliseconds a reply datagram may wait for room at the client before it is dropped, as jsonrpcs' <c>dgram_timeout</c> (default 2000).</summary>
    public int JsonRpcDgramTimeoutMilliseconds { get; set; } = 2000;

    /// <summary>
    /// JSON-RPC over TCP as jsonrpcs' <c>tcp_socket</c> (Kamailio 5.7+): <c>tcp:host:port</c> or
    /// <c>tcp:port</c> (loopback); one request per connection, answered, then closed. Default empty: none.
    /// </summary>
    public string JsonRpcTcp { get; set; } = "";

    /// <summary>Seconds a TCP client may take to send its request or read the reply before it is disconnected (default 10).</summary>
    public int JsonRpcTcpTimeoutSeconds { get; set; } = 10;

    /// <summary>Most open JSON-RPC TCP connections; more are closed at once (default 64).</summary>
    public int JsonRpcTcpMaxConnections { get; set; } = 64;
}
