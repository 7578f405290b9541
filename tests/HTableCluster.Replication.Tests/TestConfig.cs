namespace HTableCluster.Replication.Tests;

/// <summary>A single cluster member on a loopback port chosen by the OS, with the wire serializer bound.</summary>
internal static class TestConfig
{
    public const string Cluster = """
        akka.loglevel = INFO
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp.hostname = 127.0.0.1
        akka.remote.dot-netty.tcp.port = 0
        akka.cluster.run-coordinated-shutdown-when-down = off
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        """ + "\n" + Serialization;

    /// <summary>The serializer binding alone (a local actor system).</summary>
    public const string Serialization = """
        akka.actor.serializers.htable = "HTableCluster.Replication.ReplicationSerializer, HTableCluster.Replication"
        akka.actor.serialization-bindings {
          "HTableCluster.Replication.IHTableWireMessage, HTableCluster.Replication" = htable
        }
        akka.actor.serialization-identifiers {
          "HTableCluster.Replication.ReplicationSerializer, HTableCluster.Replication" = 7401
        }
        """;
}
