using System.Net.Sockets;
using HTableCluster.Node.Admin;

namespace HTableCluster.Node.Tests.Admin;

/// <summary>A BINRPC node with one more table that no fuzzed request names.</summary>
public sealed class BinRpcFuzzNodeFixture : BinRpcNodeFixture
{
    public const string Guard = "guard_untouched_table";

    protected override IReadOnlyList<string> Tables => [.. base.Tables, Guard + "=>size=4;autoexpire=0;dmqreplicate=1"];
}

/// <summary>
/// Byte-level mutations of valid BINRPC requests (fixed seed), each on its own connection: every
/// answer is a well-formed reply or fault packet, or the connection closes; the node stays live and
/// a table that no request names keeps its content.
/// </summary>
public sealed class BinRpcFuzzTests(BinRpcFuzzNodeFixture node) : IClassFixture<BinRpcFuzzNodeFixture>
{
    private const int Requests = 1500;

    private static readonly byte[][] Seeds =
    [
        BinRpcTestClient.Request(1, "htable.sets", BinRpcValue.OfStr("a"), BinRpcValue.OfStr("fk1"), BinRpcValue.OfStr("value")),
        BinRpcTestClient.Request(2, "htable.seti", BinRpcValue.OfStr("a"), BinRpcValue.OfStr("fk2"), BinRpcValue.OfInt(42)),
        BinRpcTestClient.Request(3, "htable.get", BinRpcValue.OfStr("a"), BinRpcValue.OfStr("fk1")),
        BinRpcTestClient.Request(0x123456, "htable.setex", BinRpcValue.OfStr("e"), BinRpcValue.OfStr("fk1"), BinRpcValue.OfInt(30)),
        BinRpcTestClient.Request(5, "htable.setxs", BinRpcValue.OfStr("e"), BinRpcValue.OfStr("fk3"), BinRpcValue.OfStr("v"), BinRpcValue.OfDouble(30.5)),
        BinRpcTestClient.Request(6, "htable.delete", BinRpcValue.OfStr("a"), BinRpcValue.OfStr("fk2")),
        BinRpcTestClient.Request(7, "htable.dump", BinRpcValue.OfStr("i")),
        BinRpcTestClient.Request(8, "htable.inc", BinRpcValue.OfStr("i"), BinRpcValue.OfStr("fk4"), BinRpcValue.OfInt(-3)),
        BinRpcTestClient.Request(9, "htable.stats"),
        BinRpcTestClient.Request(10, "htable.listTables"),
        BinRpcTestClient.Request(11, "htable.flush", BinRpcValue.OfStr("e")),
        BinRpcTestClient.Request(12, "system.methodHelp", BinRpcValue.OfStr("htable.get")),
        BinRpcTestClient.Request(13, "htable.sets", BinRpcValue.OfStr("a"), BinRpcValue.OfStr("fk6"), BinRpcValue.OfStr("é😀" + new string('x', 300))),
        BinRpcTestClient.Request(14, "htable.get", BinRpcValue.OfStr("a"), BinRpcValue.OfList(BinRpcType.Struct, [BinRpcValue.OfInt(1, "n"), BinRpcValue.OfList(BinRpcType.Array, [BinRpcValue.OfBytes([1, 2])], "l")])),
        BinRpcTestClient.Request(15, "htable.iterate", BinRpcValue.OfStr("a"), BinRpcValue.OfStr(""), BinRpcValue.OfInt(10)),
    ];

    private static readonly byte[] Interesting = [0x00, 0x03, 0x04, 0x05, 0x83, 0x84, 0xA1, 0xFF, 0x7F, 0x80, 0x91, 0xB1, 0x0C, 0x25];

    [Fact]
    public async Task Mutated_packets_never_break_the_node()
    {
        for (var i = 0; i < 50; i++)
            await node.ResultAsync("htable.sets", BinRpcFuzzNodeFixture.Guard, "g" + i, "guarded value " + i);
        var random = new Random(23);
        int replies = 0, faults = 0, closed = 0;
        for (var n = 0; n < Requests; n++)
        {
            var packet = Mutate(random, Seeds[random.Next(Seeds.Length)]);
            using var client = n % 2 == 0
                ? await BinRpcTestClient.ConnectUnixAsync(node.SocketPath)
                : await BinRpcTestClient.ConnectTcpAsync(node.TcpEndpoint);
            try
            {
                await client.SendAsync(packet);
                // Nothing more comes: a packet still incomplete ends here, so the node sees the end.
                client.Socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // The node refused the packet at its header and closed before all of it was sent.
            }
            // Every packet the node answers parses (ReadAsync asserts it), whatever came in.
            while (await client.ReadAsync() is { } reply)
            {
                if (reply.Header.Type == BinRpcPacketType.Fault)
                {
                    faults++;
                    Assert.Equal(BinRpcType.Int, reply.Records[0].Type);
                    Assert.Equal(BinRpcType.Str, reply.Records[1].Type);
                }
                else
                {
                    Assert.Equal(BinRpcPacketType.Reply, reply.Header.Type);
                    replies++;
                }
            }
            closed++;
        }
        Assert.Equal(Requests, closed);
        Assert.True(replies > 0 && faults > 0, $"{replies} replies and {faults} faults: the mutations reach neither the methods nor the checks");

        // Still serving, over BINRPC and JSON-RPC, and the guarded table is intact.
        var (stdout, _, exit) = await BinRpcNodeFixture.KamcmdAsync(node.UnixAddress, "htable.get", BinRpcFuzzNodeFixture.Guard, "g7");
        Assert.Equal(0, exit);
        Assert.Contains("value: guarded value 7", stdout, StringComparison.Ordinal);
        var stats = await node.ResultAsync("htable.stats");
        var guard = stats.EnumerateArray().Single(t => t.GetProperty("name").GetString() == BinRpcFuzzNodeFixture.Guard);
        Assert.Equal(50, guard.GetProperty("all").GetInt32());
    }

    private static byte[] Mutate(Random random, byte[] seed)
    {
        var bytes = new List<byte>(seed);
        var edits = 1 + random.Next(4);
        for (var e = 0; e < edits; e++)
        {
            var at = random.Next(bytes.Count + 1);
            switch (random.Next(6))
            {
                case 0 when at < bytes.Count: bytes[at] = (byte)random.Next(256); break;
                case 1 when at < bytes.Count: bytes[at] = Interesting[random.Next(Interesting.Length)]; break;
                case 2: bytes.Insert(at, Interesting[random.Next(Interesting.Length)]); break;
                case 3 when at < bytes.Count: bytes.RemoveAt(at); break;
                case 4: bytes.RemoveRange(at, bytes.Count - at); break;
                default:
                    // A whole copy of another seed's body appended: two packets, or a longer body.
                    bytes.AddRange(Seeds[random.Next(Seeds.Length)]);
                    break;
            }
        }
        return [.. bytes];
    }
}
