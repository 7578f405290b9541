using HTableCluster.Node.Configuration;
using Microsoft.Extensions.Configuration;

namespace HTableCluster.Node.Tests.Admin;

/// <summary>Admin:JsonRpcDgram and Admin:JsonRpcTcp: off unless set, jsonrpcs' address forms, loopback by default, bad values name their key.</summary>
public sealed class JsonRpcSocketOptionsTests
{
    private static NodeSettings Load(params (string Key, string Value)[] values) =>
        NodeSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(v => v.Key, v => (string?)v.Value)).Build());

    [Fact]
    public void The_sockets_are_off_unless_set_and_take_jsonrpcs_address_forms()
    {
        var none = Load();
        Assert.Null(none.JsonRpcDgramAddress);
        Assert.Null(none.JsonRpcTcpAddress);
        Assert.Equal("0660", none.Admin.JsonRpcDgramMode);
        Assert.Equal("/run/htc/kamailio_rpc.sock", Load(("Admin:JsonRpcDgram", "unix:/run/htc/kamailio_rpc.sock")).JsonRpcDgramAddress!.Path);
        Assert.Equal("/run/htc/kamailio_rpc.sock", Load(("Admin:JsonRpcDgram", "/run/htc/kamailio_rpc.sock")).JsonRpcDgramAddress!.Path);
        Assert.Equal("127.0.0.1:9062", Load(("Admin:JsonRpcDgram", "udp:127.0.0.1:9062")).JsonRpcDgramAddress!.Endpoint!.ToString());
        Assert.Equal("127.0.0.1:9062", Load(("Admin:JsonRpcDgram", "udp:9062")).JsonRpcDgramAddress!.Endpoint!.ToString());
        Assert.Equal("[::1]:9062", Load(("Admin:JsonRpcDgram", "udp:[::1]:9062")).JsonRpcDgramAddress!.Endpoint!.ToString());
        Assert.Equal("127.0.0.1:9063", Load(("Admin:JsonRpcTcp", "tcp:9063")).JsonRpcTcpAddress!.Endpoint!.ToString());
        Assert.Equal("0.0.0.0:9063", Load(("Admin:JsonRpcTcp", "tcp:*:9063")).JsonRpcTcpAddress!.Endpoint!.ToString());
    }

    [Theory]
    [InlineData("Admin:JsonRpcDgram", "kamailio_rpc.sock", "expected unix:/path or udp:host:port")]
    [InlineData("Admin:JsonRpcDgram", "unix:relative.sock", "absolute path")]
    [InlineData("Admin:JsonRpcDgram", "tcp:127.0.0.1:9062", "expected unix:/path or udp:host:port")]
    [InlineData("Admin:JsonRpcDgram", "udp:127.0.0.1:x", "bad port")]
    [InlineData("Admin:JsonRpcTcp", "udp:127.0.0.1:9063", "expected tcp:host:port")]
    [InlineData("Admin:JsonRpcTcp", "tcp:example.org:9063", "not an IP address")]
    [InlineData("Admin:JsonRpcDgramMode", "0800", "octal file mode")]
    [InlineData("Admin:JsonRpcDgramUser", "no_such_user_here", "no such user")]
    [InlineData("Admin:JsonRpcDgramGroup", "no_such_group_here", "no such group")]
    [InlineData("Admin:JsonRpcDgramTimeoutMilliseconds", "0", "expected 1..")]
    [InlineData("Admin:JsonRpcTcpTimeoutSeconds", "0", "expected 1..")]
    [InlineData("Admin:JsonRpcTcpMaxConnections", "0", "expected 1..")]
    public void Bad_values_name_their_key(string key, string value, string reason)
    {
        var ex = Assert.Throws<OptionsException>(() => Load((key, value)));
        Assert.Equal(key, ex.Key);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void With_a_bearer_token_the_sockets_stay_off_the_network()
    {
        const string token = "0123456789abcdef0123";
        Assert.NotNull(Load(("Rpc:Token", token), ("Admin:JsonRpcDgram", "udp:127.0.0.1:9062"), ("Admin:JsonRpcTcp", "tcp:127.0.0.1:9063")).JsonRpcTcpAddress);
        var udp = Assert.Throws<OptionsException>(() => Load(("Rpc:Token", token), ("Admin:JsonRpcDgram", "udp:*:9062")));
        Assert.Equal("Admin:JsonRpcDgram", udp.Key);
        Assert.Contains("cannot carry the bearer token", udp.Message, StringComparison.Ordinal);
        var tcp = Assert.Throws<OptionsException>(() => Load(("Rpc:Token", token), ("Admin:JsonRpcTcp", "tcp:0.0.0.0:9063")));
        Assert.Equal("Admin:JsonRpcTcp", tcp.Key);
    }
}
