using HTableCluster.Node.Configuration;
using HTableCluster.Node.Resp;
using Microsoft.Extensions.Configuration;

namespace HTableCluster.Node.Tests.Resp;

/// <summary>The <c>Resp</c> options: defaults, and one clear start-up error naming the key for a bad value.</summary>
public sealed class RespOptionsTests(RespNodeFixture node) : IClassFixture<RespNodeFixture>
{
    private static NodeSettings Load(params (string Key, string Value)[] values)
    {
        var dict = new Dictionary<string, string?> { ["Htable:Tables:0"] = "a=>size=4", ["Htable:Tables:1"] = "b=>size=4" };
        foreach (var (k, v) in values)
            dict[k] = v;
        return NodeSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(dict).Build());
    }

    [Fact]
    public void The_endpoint_is_off_unless_a_port_is_set_and_binds_loopback()
    {
        var s = Load();
        Assert.False(s.Resp.Enabled);
        Assert.Equal("127.0.0.1", s.Resp.Address);
        Assert.Equal(64 << 20, s.Resp.MaxBulkBytes);
        var on = Load(("Resp:Port", "6390"), ("Resp:Databases:0", "b"));
        Assert.True(on.Resp.Enabled);
        Assert.Equal(["b"], on.Resp.Databases);
    }

    [Theory]
    [InlineData("Resp:Port", "70000", "expected 0..65535")]
    [InlineData("Resp:Port", "7080", "is Node:RpcPort too")]
    [InlineData("Resp:Address", "nowhere", "expected an IP address")]
    [InlineData("Resp:Databases:0", "nosuch", "no table 'nosuch' is defined (the tables are a, b)")]
    [InlineData("Resp:MaxBulkBytes", "0", "expected 1..536870912")]
    [InlineData("Resp:MaxOutputBytes", "10", "expected 65536..1073741824")]
    [InlineData("Resp:MaxClients", "0", "expected 1..1000000")]
    [InlineData("Resp:Prot", "1", "not a setting of this section")]
    public void A_bad_value_is_one_error_naming_the_key(string key, string value, string reason)
    {
        var ex = Assert.Throws<OptionsException>(() => Load((key, value)));
        Assert.Contains($"'{key}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_taken_port_stops_the_node_before_it_starts_naming_the_key()
    {
        var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var settings = Load(("Resp:Port", port), ("Node:RpcPort", "0"), ("Node:ClusterPort", "0"));
            var ex = Assert.Throws<OptionsException>(() => NodeHost.Build(settings));
            Assert.Contains($"'Resp:Port' = '{port}': cannot listen on 127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            taken.Stop();
        }
    }

    [Fact]
    public void A_table_listed_twice_is_refused()
    {
        var ex = Assert.Throws<OptionsException>(() => Load(("Resp:Databases:0", "a"), ("Resp:Databases:1", "a")));
        Assert.Contains("'Resp:Databases:1' = 'a': table 'a' is listed twice", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Databases_number_the_listed_tables_first()
    {
        var server = new RespServer(node.Node, RespCommandTable.CreateDefault(), ["e"]);
        Assert.Equal(["e", "a"], server.Databases.Select(t => t.Name));
    }

    [Fact]
    public async Task Metrics_count_connections_and_commands()
    {
        await RedisReference.ExchangeAsync(node.RespPort, "PING\r\nQUIT\r\n"u8.ToArray());
        var metrics = await node.Http.GetStringAsync(new Uri(node.RpcUrl, "/metrics"));
        Assert.Matches(@"htcluster_resp_commands_total [1-9]", metrics);
        Assert.Matches(@"htcluster_resp_connections_total [1-9]", metrics);
        Assert.Contains("htcluster_resp_clients ", metrics, StringComparison.Ordinal);
    }
}
