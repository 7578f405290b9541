using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace HTableCluster.Node.Resp;

/// <summary>
/// Where the Redis protocol endpoint listens, once Kestrel has bound it (port 0 picks a free port:
/// this gives the one chosen). A node without the endpoint has no <see cref="Listen"/>.
/// </summary>
public sealed class RespEndpoint
{
    /// <summary>Kestrel's listen options of the endpoint (null: the endpoint is off).</summary>
    public ListenOptions? Listen { get; set; }

    /// <summary>The bound address and port (null: off).</summary>
    public IPEndPoint? EndPoint => Listen?.IPEndPoint;
}
