using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace HTableCluster.Node.Tests.Admin;

/// <summary>
/// The JSON-RPC datagram and TCP sockets against bad clients: an oversized or malformed datagram,
/// a client with no reply path or whose path is gone, a TCP client that sends too much, nothing, or
/// no JSON; a fuzz from a fixed seed over both. Each is a drop or an error, and the node keeps serving.
/// </summary>
public sealed class JsonRpcSocketBadInputTests(JsonRpcSocketNodeFixture node) : IClassFixture<JsonRpcSocketNodeFixture>
{
    private static readonly TimeSpan Reply = TimeSpan.FromSeconds(10);

    private UnixDomainSocketEndPoint Server => new(node.SocketPath);

    private static byte[] Get(string key, int id = 7) => Encoding.UTF8.GetBytes(JsonRpcSocketNodeFixture.KamcliRequest("htable.get", ["a", key], id));

    // The node still answers over both sockets, in order: what was sent before has been handled.
    private async Task AssertServingAsync(string key)
    {
        await node.ResultAsync("htable.sets", "a", key, "still here");
        var reply = await node.DgramCallAsync(Server, Get(key), Reply);
        Assert.NotNull(reply);
        using (var doc = JsonDocument.Parse(reply))
            Assert.Equal("still here", doc.RootElement.GetProperty("result").GetProperty("item").GetProperty("value").GetString());
        var tcp = await node.TcpCallAsync(Get(key));
        Assert.NotNull(tcp);
        using (var doc = JsonDocument.Parse(tcp))
            Assert.Equal("still here", doc.RootElement.GetProperty("result").GetProperty("item").GetProperty("value").GetString());
    }

    [Fact]
    public async Task Oversized_and_malformed_datagrams_get_no_reply()
    {
        var oversized = Encoding.UTF8.GetBytes("{\"jsonrpc\": \"2.0\", \"method\": \"htable.sets\", \"params\": [\"a\", \"k\", \"" + new string('x', 70_000) + "\"], \"id\": 1}");
        byte[][] bad =
        [
            oversized,
            "{ this is not json }"u8.ToArray(),
            "{\"jsonrpc\": \"2.0\", \"method\": \"htable.get\", \"params\": [\"a\""u8.ToArray(),
            [0xff, 0xfe, 0x00, 0x7b],
            // A notification (no id) is run and not answered, as in jsonrpcs.
            "{\"jsonrpc\": \"2.0\", \"method\": \"htable.sets\", \"params\": [\"a\", \"note\", \"v\"]}"u8.ToArray(),
        ];
        // From one client: the node answers datagrams in order, so the first reply it gets must be
        // the one to the valid request sent last; any reply to a bad one would come before it.
        var path = Path.Combine(Path.GetTempPath(), "htc-bad-" + Guid.NewGuid().ToString("N")[..12] + ".sock");
        using (var client = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified))
        {
            client.Bind(new UnixDomainSocketEndPoint(path));
            try
            {
                foreach (var datagram in bad)
                    await client.SendToAsync(datagram, SocketFlags.None, Server);
                await client.SendToAsync(Get("note", 99), SocketFlags.None, Server);
                var buffer = new byte[256 * 1024];
                using var timeout = new CancellationTokenSource(Reply);
                var n = await client.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                using var first = JsonDocument.Parse(buffer.AsMemory(0, n));
                Assert.Equal(99, first.RootElement.GetProperty("id").GetInt32());
                Assert.Equal("v", first.RootElement.GetProperty("result").GetProperty("item").GetProperty("value").GetString());
            }
            finally
            {
                File.Delete(path);
            }
        }
        await AssertServingAsync("after-bad-datagrams");
    }

    [Fact]
    public async Task A_client_without_a_reply_path_or_whose_path_is_gone_gets_nothing()
    {
        // Unbound: the node sees no address to answer.
        using (var unbound = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified))
            await unbound.SendToAsync(Get("x"), SocketFlags.None, Server);

        // Bound, then gone before the reply is sent: the request is handled, the reply dropped.
        var path = Path.Combine(Path.GetTempPath(), "htc-gone-" + Guid.NewGuid().ToString("N")[..12] + ".sock");
        for (var i = 0; i < 20; i++)
        {
            using var client = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            client.Bind(new UnixDomainSocketEndPoint(path));
            await client.SendToAsync(Get("gone"), SocketFlags.None, Server);
            client.Close();
            File.Delete(path);
        }

        // A reply path that is now a regular file: not a socket, nothing is written into it.
        using (var client = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified))
        {
            client.Bind(new UnixDomainSocketEndPoint(path));
            await client.SendToAsync(Get("file"), SocketFlags.None, Server);
            client.Close();
        }
        File.Delete(path);
        await File.WriteAllTextAsync(path, "");
        try
        {
            await AssertServingAsync("after-gone-clients");
            Assert.Equal(0, new FileInfo(path).Length);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Tcp_clients_that_send_too_much_nothing_or_no_json_are_closed_without_a_reply()
    {
        var oversized = Encoding.UTF8.GetBytes("{\"jsonrpc\": \"2.0\", \"params\": [\"" + new string('x', 70_000));
        Assert.Null(await node.TcpCallAsync(oversized));
        Assert.Null(await node.TcpCallAsync("{ this is not json }"u8.ToArray()));
        Assert.Null(await node.TcpCallAsync("no braces at all"u8.ToArray(), halfClose: true));
        // Half a document, then silence: closed after Admin:JsonRpcTcpTimeoutSeconds (2 s here).
        Assert.Null(await node.TcpCallAsync("{\"jsonrpc\": \"2.0\""u8.ToArray()));
        await AssertServingAsync("after-bad-tcp");
    }

    [Fact]
    public async Task Fuzzed_datagrams_and_tcp_requests_from_a_fixed_seed_never_stop_the_node()
    {
        var random = new Random(20231);
        var valid = Get("fuzz");
        byte[] Mutate()
        {
            var bytes = random.Next(4) switch
            {
                0 => valid[..random.Next(valid.Length)],                // truncated
                1 => [.. valid],                                         // bit flips below
                2 => new byte[random.Next(1, 2000)],                     // random bytes
                _ => Encoding.UTF8.GetBytes(new string('{', random.Next(1, 5000)) + new string('[', random.Next(1, 5000))), // deep nesting
            };
            if (bytes.Length > 0 && bytes.All(b => b == 0))
                random.NextBytes(bytes);
            for (var i = 0; i < random.Next(1, 6) && bytes.Length > 0; i++)
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            return bytes;
        }

        var path = Path.Combine(Path.GetTempPath(), "htc-fuzz-" + Guid.NewGuid().ToString("N")[..12] + ".sock");
        using (var client = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified))
        {
            client.Bind(new UnixDomainSocketEndPoint(path));
            client.ReceiveBufferSize = 4 << 20;
            for (var i = 0; i < 400; i++)
            {
                var datagram = Mutate();
                if (datagram.Length > 0)
                    await client.SendToAsync(datagram, SocketFlags.None, Server);
            }
        }
        File.Delete(path);
        for (var i = 0; i < 60; i++)
            await node.TcpCallAsync(Mutate(), halfClose: true);
        await AssertServingAsync("after-fuzz");
    }
}
