using HTableCluster.Node.Resp;
using HTableCluster.Node.Tables;
using Microsoft.Extensions.DependencyInjection;

namespace HTableCluster.Node.Tests.Resp;

/// <summary>
/// An in-process node whose tables are the hashes the hash and pub/sub tests use (SELECT order:
/// h, p, i, x), with a <see cref="RespServer"/> over it whose handlers the tests call directly.
/// </summary>
public sealed class RespHashNode : NodeFixture
{
    protected override IReadOnlyList<string> Tables =>
    [
        "h=>size=8;autoexpire=0;dmqreplicate=1",
        "p=>size=4;autoexpire=0",
        "i=>size=4;initval=7",
        "x=>size=4;autoexpire=3",
    ];

    /// <summary>A new endpoint over the node (each test class or case may use its own).</summary>
    public RespServer NewServer(int maxReplyKeys = 100_000) =>
        new(Node, RespCommandTable.CreateDefault()) { Events = Services.GetRequiredService<TableEvents>(), MaxReplyKeys = maxReplyKeys };
}
