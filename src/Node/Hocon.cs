using System.Globalization;
using HTableCluster.Node.Configuration;

namespace HTableCluster.Node;

/// <summary>The raw HOCON the node needs beyond what Akka.Hosting's typed options cover.</summary>
internal static class Hocon
{
    /// <summary>
    /// Largest item buffer the RPC limits allow (header, key, value, and room for a counter's
    /// per-origin totals): the replication limit per item.
    /// </summary>
    public static int MaxItemBytes(NodeSettings settings) => 24 + settings.Rpc.MaxKeyBytes + settings.Rpc.MaxValueBytes + 1024;

    /// <summary>
    /// Akka.Remote's frame limit (128000 bytes by default) raised to fit the largest replication
    /// message: a full batch plus one item of the largest size, with room for framing; and the
    /// split-brain resolver's stable-after. Every Akka log event goes through the host's logging
    /// (<see cref="AkkaLogForwarder"/>, and <see cref="AkkaStdoutLogger"/> before it starts and after
    /// it stops). Akka's CLR exit hook is off too: the host stops the actor system, so a SIGTERM is
    /// a graceful stop (exit 0) and never mistaken for the cluster downing this node. The singleton
    /// proxy's identification warning is off: Akka.NET fires it the moment a proxy starts looking
    /// ("failed to find ... after 30 seconds" at every normal start), not after the period.
    /// </summary>
    public static string Remote(NodeSettings settings)
    {
        long frame = settings.Replication.MaxBatchBytes + MaxItemBytes(settings) + (64 * 1024);
        var bytes = frame.ToString(CultureInfo.InvariantCulture);
        return $$"""
            akka.remote.dot-netty.tcp.maximum-frame-size = {{bytes}}b
            akka.remote.dot-netty.tcp.send-buffer-size = {{bytes}}b
            akka.remote.dot-netty.tcp.receive-buffer-size = {{bytes}}b
            akka.cluster.split-brain-resolver.stable-after = {{settings.Cluster.DownAfterSeconds.ToString(CultureInfo.InvariantCulture)}}s
            akka.coordinated-shutdown.phases.before-actor-system-terminate.timeout = 15s
            akka.stdout-logger-class = "{{typeof(AkkaStdoutLogger).AssemblyQualifiedName}}"
            akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
            akka.cluster.singleton-proxy.log-singleton-identification-failure = off
            """;
    }
}
