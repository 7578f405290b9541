using System.Net;
using System.Net.Sockets;
using System.Text;

namespace HTableCluster.Node.Tests.Resp;

/// <summary>
/// Byte-level mutations of valid requests (fixed seed), each on its own connection: every reply is
/// well-formed RESP, the connection always ends (answered, or closed once the client's side ends),
/// and the node keeps serving with no connection left behind.
/// </summary>
public sealed class RespFuzzTests(RespNodeFixture node) : IClassFixture<RespNodeFixture>
{
    private const int Requests = 1500;

    private static readonly string[] Seeds =
    [
        "*1\r\n$4\r\nPING\r\n",
        "*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n",
        "*2\r\n$4\r\nPING\r\n$3\r\nabc\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n",
        "PING\r\nECHO \"quoted \\x41 word\" 'single'\r\n",
        "*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$4\r\nfuzz\r\n",
        "*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$1\r\n*\r\n",
        "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n",
        "*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n",
        "*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n",
        "*3\r\n$7\r\nCOMMAND\r\n$4\r\nINFO\r\n$3\r\nget\r\n",
        "*1\r\n$4\r\nTIME\r\n*1\r\n$5\r\nRESET\r\n",
        "*2\r\n$4\r\nAUTH\r\n$1\r\nx\r\n",
    ];

    private static readonly byte[] Interesting = "*$\r\n-+:0123456789\"'\\ x"u8.ToArray();

    [Fact]
    public async Task Mutated_requests_never_break_the_node()
    {
        var random = new Random(22_2026);
        var answered = 0;
        var errors = 0;
        for (var i = 0; i < Requests; i++)
        {
            var request = Mutate(random, Encoding.ASCII.GetBytes(Seeds[random.Next(Seeds.Length)]));
            var reply = await ExchangeAsync(request);
            AssertWellFormed(reply, request);
            answered += reply.Length > 0 ? 1 : 0;
            errors += reply.Length > 0 && reply[0] == '-' ? 1 : 0;
        }
        // The mutations reach both the commands and the protocol checks.
        Assert.InRange(answered, Requests / 2, Requests);
        Assert.InRange(errors, 1, Requests - 1);
        Assert.Equal("+PONG\r\n$5\r\nalive\r\n+OK\r\n", await RedisReference.ExchangeAsync(node.RespPort, "PING\r\nECHO alive\r\nQUIT\r\n"u8.ToArray()));
        await ClusterNode.EventuallyAsync(() =>
        {
            Assert.Empty(node.Server.Clients);
            return Task.CompletedTask;
        });
    }

    private static byte[] Mutate(Random random, byte[] seed)
    {
        var bytes = new List<byte>(seed);
        var edits = random.Next(1, 4);
        for (var e = 0; e < edits; e++)
        {
            var at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(7))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[at] = Interesting[random.Next(Interesting.Length)];
                    break;
                case 2:
                    bytes.Insert(at, Interesting[random.Next(Interesting.Length)]);
                    break;
                case 3 when bytes.Count > 0:
                    bytes.RemoveAt(at);
                    break;
                case 4:
                    bytes.RemoveRange(at, bytes.Count - at); // truncated
                    break;
                case 5:
                    bytes.InsertRange(at, Encoding.ASCII.GetBytes(random.Next(3) switch
                    {
                        0 => "-1",
                        1 => random.NextInt64(0, long.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture),
                        _ => "999999999",
                    }));
                    break;
                default:
                    bytes.AddRange(seed); // pipelined copy
                    break;
            }
        }
        return [.. bytes];
    }

    // Sends the request, ends the client's side, reads until the node closes.
    private async Task<byte[]> ExchangeAsync(byte[] request)
    {
        using var client = new TcpClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await client.ConnectAsync(IPAddress.Loopback, node.RespPort, cts.Token);
        var stream = client.GetStream();
        var received = new MemoryStream();
        try
        {
            await stream.WriteAsync(request, cts.Token);
            client.Client.Shutdown(SocketShutdown.Send);
            var buffer = new byte[65536];
            int n;
            while ((n = await stream.ReadAsync(buffer, cts.Token)) > 0)
                received.Write(buffer, 0, n);
        }
        catch (IOException)
        {
            // The node closed after a protocol error while the request was still being sent.
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the node neither answered nor closed within 30 s: {RedisReference.Show(Encoding.Latin1.GetString(request))}");
        }
        return received.ToArray();
    }

    private static void AssertWellFormed(byte[] reply, byte[] request)
    {
        var at = 0;
        while (at < reply.Length)
        {
            Assert.True(TryReply(reply, ref at), $"malformed reply at byte {at}: {RedisReference.Show(Encoding.Latin1.GetString(reply))}\nrequest: {RedisReference.Show(Encoding.Latin1.GetString(request))}");
        }
    }

    // One RESP2/RESP3 reply starting at `at`.
    private static bool TryReply(byte[] data, ref int at)
    {
        if (at >= data.Length)
            return false;
        var type = data[at];
        var end = Array.IndexOf(data, (byte)'\r', at);
        if (end < 0 || end + 1 >= data.Length || data[end + 1] != '\n')
            return false;
        var line = Encoding.Latin1.GetString(data, at + 1, end - at - 1);
        at = end + 2;
        switch (type)
        {
            case (byte)'+' or (byte)'-' or (byte)',' or (byte)'#' or (byte)'_':
                return true;
            case (byte)':':
                return long.TryParse(line, out _);
            case (byte)'$' or (byte)'=':
                if (!int.TryParse(line, out var length))
                    return false;
                if (length == -1)
                    return true;
                if (length < 0 || at + length + 2 > data.Length || data[at + length] != '\r')
                    return false;
                at += length + 2;
                return true;
            case (byte)'*' or (byte)'%' or (byte)'~' or (byte)'>':
                if (!int.TryParse(line, out var count))
                    return false;
                if (type == '%' && count > 0)
                    count *= 2;
                for (var i = 0; i < count; i++)
                {
                    if (!TryReply(data, ref at))
                        return false;
                }
                return true;
            default:
                return false;
        }
    }
}
