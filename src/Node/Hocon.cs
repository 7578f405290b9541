using System.Globalization;
using HTableCluster.Node.Configuration;

namespace HTableCluster.Node;

/// <summary>The raw HOCON the node needs beyond what Akka.Hosting's typed options cover.</summary>
internal static class Hocon
{
    /// <summary>
    /// Akka.Remote's frame limit (128000 bytes by default) raised to fit the largest replication
    /// message: a full batch plus one item of the largest key and value, with room for framing.
    /// </summary>
    public static string Remote(NodeSettings settings)
    {
        long frame = settings.Replication.MaxBatchBytes + settings.Rpc.MaxKeyBytes + (long)settings.Rpc.MaxValueBytes + (64 * 1024);
        var bytes = frame.ToString(CultureInfo.InvariantCulture);
        return $$"""
            akka.remote.dot-netty.tcp.maximum-frame-size = {{bytes}}b
            akka.remote.dot-netty.tcp.send-buffer-size = {{bytes}}b
            akka.remote.dot-netty.tcp.receive-buffer-size = {{bytes}}b
            """;
    }
}
