using System.Globalization;
using HTableCluster.Node.Configuration;

namespace HTableCluster.Node;

/// <summary>Start-up check that the cluster port is free (see <see cref="EnsureFree"/>).</summary>
internal static class ClusterPortProbe
{
    // The cluster transport listens with SO_REUSEPORT, so a second node on the same port would start
    // and silently share incoming connections with the first. A plain listener (without it) fails
    // when the port is taken, which turns that mistake into a start-up error.
    public static void EnsureFree(NodeOptions node)
    {
        if (node.ClusterPort == 0)
            return;
        System.Net.IPAddress address;
        try
        {
            address = System.Net.IPAddress.TryParse(node.Host, out var ip) ? ip : System.Net.Dns.GetHostAddresses(node.Host)[0];
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new OptionsException("Node:Host", node.Host, "cannot be resolved: " + ex.Message);
        }
        try
        {
            var probe = new System.Net.Sockets.TcpListener(address, node.ClusterPort);
            probe.Start();
            probe.Stop();
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new OptionsException("Node:ClusterPort", node.ClusterPort.ToString(CultureInfo.InvariantCulture),
                $"cannot listen on {address}: {ex.Message}");
        }
    }

}
