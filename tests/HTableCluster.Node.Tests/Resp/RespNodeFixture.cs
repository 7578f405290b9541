using HTableCluster.Node.Resp;
using Microsoft.Extensions.DependencyInjection;

namespace HTableCluster.Node.Tests.Resp;

/// <summary>A node with the Redis protocol endpoint on a free loopback port, and redis-server beside it.</summary>
public class RespNodeFixture : NodeFixture, IAsyncLifetime
{
    public RedisReference Redis { get; private set; } = null!;

    /// <summary>The password of both (the node's Rpc:Token); null: none.</summary>
    protected virtual string? Password => null;

    protected override IReadOnlyList<string> Tables =>
    [
        "a=>size=8;autoexpire=0;dmqreplicate=1",
        "e=>size=8;autoexpire=5;dmqreplicate=1",
    ];

    protected override IDictionary<string, string?> Extra
    {
        get
        {
            var extra = base.Extra;
            extra["Resp:Port"] = "0";
            if (Password is not null)
                extra["Rpc:Token"] = Password;
            return extra;
        }
    }

    /// <summary>The node's Redis protocol port.</summary>
    public int RespPort => Services.GetRequiredService<RespEndpoint>().EndPoint!.Port;

    /// <summary>The node's endpoint state (clients, counters, commands).</summary>
    public RespServer Server => Services.GetRequiredService<RespServer>();

    public new async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Redis = new RedisReference { Password = Password };
        await Redis.InitializeAsync();
    }

    public new async Task DisposeAsync()
    {
        if (Redis is not null)
            await Redis.DisposeAsync();
        await base.DisposeAsync();
    }
}
