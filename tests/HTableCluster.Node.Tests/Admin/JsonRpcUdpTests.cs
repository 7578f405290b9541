using System.Text;
using System.Text.Json;

namespace HTableCluster.Node.Tests.Admin;

/// <summary>
/// The datagram socket on UDP (jsonrpcs' <c>dgram_socket=udp:host:port</c>): kamcli's request gets the
/// reply Kamailio sent over its datagram socket (kamcli 2.0.0's own UDP path fails on Python 3 before
/// sending: it passes a str to sendto), a bad datagram gets nothing, and the node keeps answering.
/// </summary>
public sealed class JsonRpcUdpTests(JsonRpcUdpNodeFixture node) : IClassFixture<JsonRpcUdpNodeFixture>
{
    [Fact]
    public async Task Kamclis_request_over_udp_gets_kamailios_reply_and_bad_datagrams_get_none()
    {
        await node.ResultAsync("htable.flush", "a");
        var set = await node.DgramCallAsync(node.UdpEndpoint, Encoding.UTF8.GetBytes(JsonRpcSocketNodeFixture.KamcliRequest("htable.sets", ["a", "k1", "hello"], 9608)), TimeSpan.FromSeconds(10));
        Assert.NotNull(set);
        // Kamailio 5.6 over its datagram socket (jsonrpc-kamcli.json, "sets then get", raw; kamcli's id was 9608).
        Assert.Equal("{\n\t\"jsonrpc\":\t\"2.0\",\n\t\"result\":\t\"Ok. Key set to new value.\",\n\t\"id\":\t9608\n}", Encoding.UTF8.GetString(set));

        Assert.Null(await node.DgramCallAsync(node.UdpEndpoint, "{ not json"u8.ToArray(), TimeSpan.FromSeconds(1)));
        var oversized = new byte[65_500]; // more than jsonrpcs reads (65456), less than UDP carries
        oversized.AsSpan().Fill((byte)'{');
        Assert.Null(await node.DgramCallAsync(node.UdpEndpoint, oversized, TimeSpan.FromSeconds(1)));

        var get = await node.DgramCallAsync(node.UdpEndpoint, Encoding.UTF8.GetBytes(JsonRpcSocketNodeFixture.KamcliRequest("htable.get", ["a", "k1"])), TimeSpan.FromSeconds(10));
        Assert.NotNull(get);
        using var doc = JsonDocument.Parse(get);
        Assert.Equal("hello", doc.RootElement.GetProperty("result").GetProperty("item").GetProperty("value").GetString());
    }
}
