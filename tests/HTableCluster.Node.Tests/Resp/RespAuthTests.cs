using System.Net;
using StackExchange.Redis;

namespace HTableCluster.Node.Tests.Resp;

/// <summary>A node whose token (Rpc:Token) is the Redis password, beside redis-server with the same requirepass.</summary>
public sealed class RespPasswordFixture : RespNodeFixture
{
    public const string Secret = "resp-test-password-0123456789";

    protected override string? Password => Secret;
}

/// <summary>
/// AUTH and the NOAUTH gate with a password (the node's token), side by side with redis-server
/// started with the same requirepass, and StackExchange.Redis connecting with and without it.
/// </summary>
public sealed class RespAuthTests(RespPasswordFixture node) : IClassFixture<RespPasswordFixture>
{
    [Fact]
    public async Task Commands_before_auth_get_redis_errors_and_auth_opens_the_connection()
    {
        await node.Redis.AssertSameAsync(node.RespPort, $"""
            PING
            ECHO
            NOSUCH x
            CLIENT ID
            HELLO 3
            HELLO 2 AUTH default wrong
            AUTH wrong
            AUTH nobody {RespPasswordFixture.Secret}
            AUTH a b c
            AUTH default {RespPasswordFixture.Secret}
            PING
            AUTH wrong
            PING
            RESET
            PING
            AUTH {RespPasswordFixture.Secret}
            ECHO in
            """ + "\n");
    }

    [Theory]
    [InlineData("*11\r\n")]
    [InlineData("*1\r\n$16385\r\n")]
    [InlineData("*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\n*1\r\n$4\r\nPING\r\nQUIT\r\n")]
    public async Task Unauthenticated_clients_get_redis_limits(string request)
    {
        await node.Redis.AssertSameBytesAsync(node.RespPort, request);
    }

    [Fact]
    public async Task Hello_with_auth_and_setname_authenticates_and_names_the_client()
    {
        var script = $"HELLO 3 AUTH default {RespPasswordFixture.Secret} SETNAME helloname\r\nCLIENT GETNAME\r\nQUIT\r\n";
        var redis = await RedisReference.ExchangeAsync(node.Redis.Port, System.Text.Encoding.ASCII.GetBytes(script));
        var ours = await RedisReference.ExchangeAsync(node.RespPort, System.Text.Encoding.ASCII.GetBytes(script));
        static string Masked(string s) => System.Text.RegularExpressions.Regex.Replace(s, @"\$2\r\nid\r\n:\d+", "$2\r\nid\r\n:N");
        Assert.Equal(RedisReference.Show(Masked(redis)), RedisReference.Show(Masked(ours)));
    }

    [Fact]
    public async Task StackExchange_redis_connects_with_the_password_and_is_refused_without_it()
    {
        foreach (var protocol in (RedisProtocol[])[RedisProtocol.Resp2, RedisProtocol.Resp3])
        {
            var options = Options(node.RespPort, protocol);
            options.Password = RespPasswordFixture.Secret;
            await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
            var db = redis.GetDatabase();
            Assert.True(await db.PingAsync() >= TimeSpan.Zero);
            Assert.Equal("hello", (string?)await db.ExecuteAsync("ECHO", "hello"));
            Assert.Equal(protocol, redis.GetServer(redis.GetEndPoints()[0]).Protocol);
        }
        var refused = Options(node.RespPort, RedisProtocol.Resp2);
        refused.Password = "not-the-password-at-all";
        await Assert.ThrowsAsync<RedisConnectionException>(() => ConnectionMultiplexer.ConnectAsync(refused));
    }

    /// <summary>Client options for a loopback endpoint: bounded timeouts, failing fast at connect.</summary>
    public static ConfigurationOptions Options(int port, RedisProtocol protocol) => new()
    {
        EndPoints = { new IPEndPoint(IPAddress.Loopback, port) },
        Protocol = protocol,
        AbortOnConnectFail = true,
        ConnectTimeout = 15_000,
        SyncTimeout = 15_000,
        AsyncTimeout = 15_000,
        ConnectRetry = 1,
        AllowAdmin = true,
    };
}
