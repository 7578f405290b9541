using System.Globalization;
using System.Net;
using System.Net.Sockets;
using HTableCluster.Node.Configuration;

namespace HTableCluster.Node;

/// <summary>
/// Start-up check that the cluster and RPC ports are free (see <see cref="EnsureFree"/>), run before
/// the actor system starts: a taken port stops the node before it joins a cluster, with one line
/// naming the key and the port.
/// </summary>
internal static class PortProbe
{
    /// <summary>Throws <see cref="OptionsException"/> naming the key when a port cannot be listened on.</summary>
    public static void EnsureFree(NodeOptions node)
    {
        // The cluster transport listens with SO_REUSEPORT, so a second node on the same port would start
        // and silently share incoming connections with the first. A plain listener (without it) fails
        // when the port is taken, which turns that mistake into a start-up error.
        if (node.ClusterPort != 0)
            Probe("Node:ClusterPort", "--cluster-port", Resolve("Node:Host", node.Host), node.ClusterPort);
        // Kestrel binds after the cluster member has started (the web server is the host's last
        // service): without this check a taken RPC port would be found only after the node joined.
        if (node.RpcPort != 0)
        {
            if (node.RpcBind is "0.0.0.0" or "*")
                ProbeAny(node.RpcPort);
            else
                Probe("Node:RpcPort", "--rpc-port", IPAddress.Parse(node.RpcBind == "localhost" ? "127.0.0.1" : node.RpcBind), node.RpcPort);
        }
    }

    /// <summary>Throws <see cref="OptionsException"/> naming <c>Resp:Port</c> when the Redis protocol port is taken.</summary>
    public static void EnsureRespFree(Resp.RespOptions resp)
    {
        if (resp.Port is not { } port || port == 0)
            return;
        if (resp.Address is "0.0.0.0" or "*")
            Probe("Resp:Port", "Resp:Port", IPAddress.Any, port);
        else
            Probe("Resp:Port", "Resp:Port", IPAddress.Parse(resp.Address == "localhost" ? "127.0.0.1" : resp.Address), port);
    }

    /// <summary>The message for a port that is taken (also when the web server finds it at bind time).</summary>
    public static OptionsException Taken(string key, string option, string endpoint, int port, string reason) =>
        new(key, port.ToString(CultureInfo.InvariantCulture), $"cannot listen on {endpoint}: {reason} (set another port with {option} or {key})");

    private static IPAddress Resolve(string key, string host)
    {
        try
        {
            return IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host)[0];
        }
        catch (SocketException ex)
        {
            throw new OptionsException(key, host, "cannot be resolved: " + ex.Message);
        }
    }

    private static void Probe(string key, string option, IPAddress address, int port)
    {
        try
        {
            var probe = new TcpListener(address, port);
            probe.Start();
            probe.Stop();
        }
        catch (SocketException ex)
        {
            throw Taken(key, option, new IPEndPoint(address, port).ToString(), port, ex.Message);
        }
    }

    // Kestrel's ListenAnyIP binds [::] in dual mode, or 0.0.0.0 where IPv6 is off.
    private static void ProbeAny(int port)
    {
        if (Socket.OSSupportsIPv6)
        {
            try
            {
                var probe = new TcpListener(IPAddress.IPv6Any, port);
                probe.Server.DualMode = true;
                probe.Start();
                probe.Stop();
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressFamilyNotSupported)
            {
                // IPv6 disabled at run time: Kestrel falls back to IPv4 too.
            }
            catch (SocketException ex)
            {
                throw Taken("Node:RpcPort", "--rpc-port", $"*:{port}", port, ex.Message);
            }
        }
        Probe("Node:RpcPort", "--rpc-port", IPAddress.Any, port);
    }
}
