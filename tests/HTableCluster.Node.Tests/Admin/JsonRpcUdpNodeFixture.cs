using System.Net;
using HTableCluster.Node.Admin;
using Microsoft.Extensions.DependencyInjection;

namespace HTableCluster.Node.Tests.Admin;

/// <summary>The node of <see cref="JsonRpcSocketNodeFixture"/> with its datagram socket on a free loopback UDP port instead.</summary>
public sealed class JsonRpcUdpNodeFixture : JsonRpcSocketNodeFixture
{
    public IPEndPoint UdpEndpoint => (IPEndPoint)Services.GetRequiredService<JsonRpcDgramServer>().LocalEndPoint!;

    protected override IDictionary<string, string?> Extra => new Dictionary<string, string?>(base.Extra)
    {
        ["Admin:JsonRpcDgram"] = "udp:127.0.0.1:0",
    };
}
