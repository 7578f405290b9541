using System.Net.Sockets;
using HTableCluster.Node.Admin;

namespace HTableCluster.Node.Tests.Admin;

/// <summary>
/// Clients that break the protocol get a fault and a closed connection; clients that stall are
/// disconnected; through all of it the node keeps serving and its data stays intact.
/// </summary>
public sealed class BinRpcBadInputTests(BinRpcNodeFixture node) : IClassFixture<BinRpcNodeFixture>
{
    private async Task<BinRpcTestClient> ConnectAsync(string transport) =>
        transport == "unix" ? await BinRpcTestClient.ConnectUnixAsync(node.SocketPath) : await BinRpcTestClient.ConnectTcpAsync(node.TcpEndpoint);

    private async Task StillServesAsync()
    {
        await node.ResultAsync("htable.sets", "a", "alive", "yes");
        var (stdout, _, exit) = await BinRpcNodeFixture.KamcmdAsync(node.UnixAddress, "htable.get", "a", "alive");
        Assert.Equal(0, exit);
        Assert.Contains("value: yes", stdout, StringComparison.Ordinal);
    }

    private static async Task ExpectFaultThenCloseAsync(BinRpcTestClient client, string reason)
    {
        var reply = await client.ReadAsync();
        Assert.NotNull(reply);
        Assert.Equal(BinRpcPacketType.Fault, reply.Value.Header.Type);
        Assert.Equal(400, reply.Value.Records[0].Int);
        Assert.Contains(reason, reply.Value.Records[1].Str, StringComparison.Ordinal);
        Assert.True(await client.ClosedByPeerAsync(), "the connection stayed open after a protocol error");
    }

    [Theory]
    [InlineData("unix")]
    [InlineData("tcp")]
    public async Task A_foreign_protocol_gets_a_fault_and_is_closed(string transport)
    {
        using var client = await ConnectAsync(transport);
        await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        await ExpectFaultThenCloseAsync(client, "not a BINRPC packet (first byte 0x47");
        await StillServesAsync();
    }

    [Fact]
    public async Task A_wrong_version_gets_a_fault_and_is_closed()
    {
        using var client = await ConnectAsync("unix");
        var packet = BinRpcTestClient.Request(7, "htable.get", BinRpcValue.OfStr("a"), BinRpcValue.OfStr("k"));
        packet[0] = 0xA2;
        await client.SendAsync(packet);
        await ExpectFaultThenCloseAsync(client, "unsupported BINRPC version 2");
        await StillServesAsync();
    }

    [Fact]
    public async Task A_reply_sent_as_a_request_is_refused()
    {
        using var client = await ConnectAsync("unix");
        var packet = BinRpcTestClient.Request(7, "htable.get", BinRpcValue.OfStr("a"), BinRpcValue.OfStr("k"));
        packet[1] |= 0x10;
        await client.SendAsync(packet);
        await ExpectFaultThenCloseAsync(client, "not a request");
    }

    [Theory]
    [InlineData("unix")]
    [InlineData("tcp")]
    public async Task An_oversized_packet_is_refused_before_it_is_read(string transport)
    {
        using var client = await ConnectAsync(transport);
        // Header only: a 16 MiB body announced (the fixture's limit is 4096 bytes), never sent.
        await client.SendAsync([0xA1, 0x0C, 0x01, 0x00, 0x00, 0x00, 0x2A]);
        await ExpectFaultThenCloseAsync(client, "packet of 16777216 bytes is larger than 4096 (Admin:BinRpcMaxRequestBytes)");
        await StillServesAsync();
    }

    [Fact]
    public async Task Deep_nesting_is_a_protocol_error()
    {
        using var client = await ConnectAsync("unix");
        var deep = BinRpcValue.OfStr("x");
        for (var i = 0; i < 40; i++)
            deep = BinRpcValue.OfList(BinRpcType.Array, [deep]);
        await client.SendAsync(BinRpcTestClient.Request(9, "htable.get", BinRpcValue.OfStr("a"), deep));
        await ExpectFaultThenCloseAsync(client, "nesting deeper than 16 levels");
        await StillServesAsync();
    }

    [Fact]
    public async Task A_malformed_body_is_a_protocol_error_and_a_missing_method_name_too()
    {
        using (var client = await ConnectAsync("unix"))
        {
            await client.SendAsync([0xA1, 0x00, 0x02, 0x05, 0x71, 0x61]);
            await ExpectFaultThenCloseAsync(client, "longer");
        }
        using (var client = await ConnectAsync("unix"))
        {
            await client.SendAsync([0xA1, 0x00, 0x02, 0x05, 0x10, 0x01]);
            await ExpectFaultThenCloseAsync(client, "bad request method");
        }
        await StillServesAsync();
    }

    [Theory]
    [InlineData("unix")]
    [InlineData("tcp")]
    public async Task A_truncated_packet_then_a_hang_up_leaves_the_node_serving(string transport)
    {
        using (var client = await ConnectAsync(transport))
        {
            var packet = BinRpcTestClient.Request(11, "htable.sets", BinRpcValue.OfStr("a"), BinRpcValue.OfStr("t"), BinRpcValue.OfStr("never"));
            await client.SendAsync(packet[..^4]);
            client.Socket.Shutdown(SocketShutdown.Send);
            Assert.Null(await client.ReadAsync());
        }
        Assert.Equal(500, (await node.ErrorAsync("htable.get", "a", "t")).Code);
        await StillServesAsync();
    }

    [Fact]
    public async Task A_client_that_never_completes_a_request_is_disconnected()
    {
        using var silent = await ConnectAsync("unix");
        using var partial = await ConnectAsync("tcp");
        await partial.SendAsync([0xA1, 0x00, 0x30]);
        // Idle timeout of the fixture: 2 s; the wait is bounded by the client (20 s).
        Assert.True(await silent.ClosedByPeerAsync(), "a silent client stayed connected");
        Assert.True(await partial.ClosedByPeerAsync(), "a client with half a header stayed connected");
        await StillServesAsync();
    }

    [Fact]
    public async Task A_client_that_never_reads_is_disconnected()
    {
        // About 300 KB per dump: far more than the socket buffers hold after a few replies.
        var value = new string('v', 300);
        for (var i = 0; i < 1000; i++)
            await node.ResultAsync("htable.sets", "i", "big" + i, value);
        using var client = await ConnectAsync("unix");
        client.Socket.ReceiveBufferSize = 4096;
        // Requests padded to about 3 KB (dump ignores the extra parameter), so the node's receive
        // buffer fills once it stops reading.
        var request = BinRpcTestClient.Request(13, "htable.dump", BinRpcValue.OfStr("i"), BinRpcValue.OfStr(new string('p', 3000)));
        var sent = 0;
        Exception? refused = null;
        try
        {
            // The node stops reading while its reply write is stuck, so these sends block too,
            // until the node gives up on the connection (write timeout of the fixture: 2 s).
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            for (; sent < 2000; sent++)
                await client.Socket.SendAsync(request, SocketFlags.None, bound.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            refused = ex;
        }
        Assert.True(refused is SocketException, $"sent {sent} requests without the node closing the connection ({refused?.GetType().Name})");
        await StillServesAsync();
        var replies = 0;
        while (await client.ReadAsync() is not null)
            replies++;
        Assert.True(replies < sent, $"{replies} replies for {sent} requests");
        await node.ResultAsync("htable.flush", "i");
    }

    [Fact]
    public async Task Several_requests_on_one_connection_are_answered_in_order()
    {
        using var client = await ConnectAsync("tcp");
        var packets = new List<byte>();
        for (var i = 0; i < 20; i++)
            packets.AddRange(BinRpcTestClient.Request((uint)(100 + i), "htable.sets", BinRpcValue.OfStr("a"), BinRpcValue.OfStr("p" + i), BinRpcValue.OfInt(i)));
        packets.AddRange(BinRpcTestClient.Request(999, "no.such"));
        await client.SendAsync([.. packets]);
        for (var i = 0; i < 20; i++)
        {
            var reply = await client.ReadAsync();
            Assert.Equal((uint)(100 + i), reply!.Value.Header.Cookie);
            Assert.Equal("Ok. Key set to new value.", reply.Value.Records[0].Str);
        }
        var fault = await client.ReadAsync();
        Assert.Equal(BinRpcPacketType.Fault, fault!.Value.Header.Type);
        Assert.Equal("command no.such not found", fault.Value.Records[1].Str);
        // An unknown method is an answer, not a protocol error: the connection stays usable.
        var (header, records) = await client.CallAsync("htable.get", BinRpcValue.OfStr("a"), BinRpcValue.OfStr("p19"));
        Assert.Equal(BinRpcPacketType.Reply, header.Type);
        Assert.Equal("19", records[0].Items[0].Items[1].Str);
    }
}
