using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using HTableCluster.Node.Resp;

namespace HTableCluster.Node.Tests.Resp;

/// <summary>A node with a small output bound and a test command that floods its client with pushes.</summary>
public sealed class RespBadInputFixture : RespNodeFixture, IAsyncLifetime
{
    public const int MaxOutput = 64 * 1024;

    protected override IDictionary<string, string?> Extra
    {
        get
        {
            var extra = base.Extra;
            extra["Resp:MaxOutputBytes"] = MaxOutput.ToString(System.Globalization.CultureInfo.InvariantCulture);
            extra["Resp:MaxBulkBytes"] = "1048576";
            return extra;
        }
    }

    public new async Task InitializeAsync()
    {
        await base.InitializeAsync();
        // FLOOD n size: n out-of-band messages of size bytes, as a busy pub/sub channel sends them.
        Server.Commands.Add(new("flood", 3, RespCommandFlags.Loading, 0, 0, 0, (context, args) =>
        {
            var n = int.Parse(Encoding.ASCII.GetString(args[1].Span), System.Globalization.CultureInfo.InvariantCulture);
            var size = int.Parse(Encoding.ASCII.GetString(args[2].Span), System.Globalization.CultureInfo.InvariantCulture);
            var message = new RespPush([RespReply.Bulk("message"), RespReply.Bulk("flood"), RespReply.Bulk(new byte[size])]);
            for (var i = 0; i < n; i++)
                context.Push(message);
            return new(RespReply.Ok);
        }));
    }

    public new Task DisposeAsync() => base.DisposeAsync();
}

/// <summary>
/// Bad input: bulk lengths that claim more than arrives, over the bound, deep arrays, cut frames, a
/// client that does not read: the client gets Redis's protocol error or is disconnected, memory stays
/// bounded, and the node keeps serving other clients.
/// </summary>
public sealed class RespBadInputTests(RespBadInputFixture node) : IClassFixture<RespBadInputFixture>
{
    [Fact]
    public void A_bulk_header_claiming_megabytes_allocates_only_what_arrived()
    {
        var reader = new RespReader(new RespLimits(MaxBulkBytes: 512L << 20));
        var frame = Encoding.ASCII.GetBytes("*2\r\n$4\r\nECHO\r\n$500000000\r\n").Concat(new byte[100_000]).ToArray();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var buffer = new ReadOnlySequence<byte>(frame);
        Assert.Equal(RespReadStatus.Incomplete, reader.TryRead(ref buffer, false, out _));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1_000_000, $"allocated {allocated} bytes for 100000 that arrived");
        // What arrived was taken into the reader (the transport's buffer does not fill up with it).
        Assert.Equal(0, buffer.Length);
    }

    [Fact]
    public async Task A_bulk_arriving_in_pieces_over_many_reads_is_read_whole()
    {
        var value = new byte[300_000];
        new Random(7).NextBytes(value);
        using var client = await ConnectAsync();
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"*2\r\n$4\r\nECHO\r\n${value.Length}\r\n"));
        for (var i = 0; i < value.Length; i += 7000)
        {
            await stream.WriteAsync(value.AsMemory(i, Math.Min(7000, value.Length - i)));
            await stream.FlushAsync();
        }
        await stream.WriteAsync("\r\nPING\r\n"u8.ToArray());
        var expected = Encoding.Latin1.GetBytes($"${value.Length}\r\n").Concat(value).Concat("\r\n+PONG\r\n"u8.ToArray()).ToArray();
        var received = await ReadExactlyAsync(stream, expected.Length);
        Assert.True(expected.AsSpan().SequenceEqual(received));
    }

    [Theory]
    [InlineData("*1\r\n$1048577\r\n", "-ERR Protocol error: invalid bulk length\r\n")]
    [InlineData("*2\r\n$4\r\nECHO\r\n$2000000\r\n", "-ERR Protocol error: invalid bulk length\r\n")]
    [InlineData("*2000000\r\n", "-ERR Protocol error: invalid multibulk length\r\n")]
    public async Task Lengths_over_the_bounds_get_redis_errors_and_close(string request, string expected)
    {
        Assert.Equal(expected, await RedisReference.ExchangeAsync(node.RespPort, Encoding.ASCII.GetBytes(request)));
        await AssertServingAsync();
    }

    [Fact]
    public async Task Deep_arrays_get_redis_error_like_redis_server()
    {
        var deep = string.Concat(Enumerable.Repeat("*1\r\n", 100_000));
        await node.Redis.AssertSameBytesAsync(node.RespPort, deep);
        await node.Redis.AssertSameBytesAsync(node.RespPort, "*3\r\n$4\r\nECHO\r\n*2\r\n*1\r\n");
        await AssertServingAsync();
    }

    [Fact]
    public async Task Long_lines_without_an_end_get_redis_errors_and_close()
    {
        var inline = new string('a', 70_000);
        await node.Redis.AssertSameBytesAsync(node.RespPort, inline);
        await node.Redis.AssertSameBytesAsync(node.RespPort, "*" + new string('1', 70_000));
        await node.Redis.AssertSameBytesAsync(node.RespPort, "*1\r\n$" + new string('1', 70_000));
        await AssertServingAsync();
    }

    [Fact]
    public async Task Cut_frames_and_vanishing_clients_leave_the_node_serving()
    {
        foreach (var cut in (string[])["*3\r\n$3\r\nSET", "*2\r\n$4\r\nECHO\r\n$10\r\nabc", "PING", "*1\r\n$4\r\nPI", "*"])
        {
            using var client = await ConnectAsync();
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(cut));
            client.Client.Shutdown(SocketShutdown.Send);
            var buffer = new byte[256];
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            // The node answers nothing for a cut frame and closes when the client's side ends.
            Assert.Equal(0, await stream.ReadAsync(buffer, cts.Token));
        }
        await AssertServingAsync();
        await ClusterNode.EventuallyAsync(() =>
        {
            Assert.Empty(node.Server.Clients);
            return Task.CompletedTask;
        });
    }

    [Fact]
    public async Task A_client_that_does_not_read_is_disconnected_past_the_output_bound()
    {
        using var slow = await ConnectAsync();
        slow.ReceiveBufferSize = 4096;
        var stream = slow.GetStream();
        await stream.WriteAsync("CLIENT ID\r\n"u8.ToArray());
        var idReply = new byte[32];
        var idLength = 0;
        while (idLength < 3 || idReply[idLength - 1] != (byte)'\n')
            idLength += await stream.ReadAsync(idReply.AsMemory(idLength));
        var id = long.Parse(Encoding.ASCII.GetString(idReply, 1, idLength - 3), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(id, node.Server.Clients.Keys);
        // 32 MiB of pushes for a client that reads nothing: far over the 64 KiB bound plus what the
        // socket buffers hold. The node drops the client (it is no longer among the clients)
        // before the test reads anything.
        await stream.WriteAsync("FLOOD 4096 8192\r\n"u8.ToArray());
        await ClusterNode.EventuallyAsync(() =>
        {
            Assert.DoesNotContain(id, node.Server.Clients.Keys);
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(30));
        // Draining what the socket held ends with the connection closed, not with every message.
        var total = 0L;
        var buffer = new byte[65536];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, cts.Token)) > 0)
                total += n;
        }
        catch (IOException)
        {
            // Reset: the node closed with bytes still unsent.
        }
        Assert.True(total < 4096L * 8192, $"received {total} bytes");
        await AssertServingAsync();
    }

    [Fact]
    public async Task A_client_that_pipelines_without_reading_does_not_stop_the_others()
    {
        using var flood = await ConnectAsync();
        var stream = flood.GetStream();
        var line = Encoding.ASCII.GetBytes("ECHO " + new string('x', 4000) + "\r\n");
        var batch = Enumerable.Repeat(line, 64).SelectMany(b => b).ToArray();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        // Writes until the node stops reading (its replies are not read: the socket is full).
        var sent = 0L;
        try
        {
            for (var i = 0; i < 2000; i++)
            {
                await stream.WriteAsync(batch, cts.Token);
                sent += batch.Length;
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }
        await AssertServingAsync();
        Assert.True(sent > 0);
    }

    private async Task AssertServingAsync()
    {
        var reply = await RedisReference.ExchangeAsync(node.RespPort, "PING\r\nECHO alive\r\nQUIT\r\n"u8.ToArray());
        Assert.Equal("+PONG\r\n$5\r\nalive\r\n+OK\r\n", reply);
    }

    private async Task<TcpClient> ConnectAsync()
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, node.RespPort);
        return client;
    }

    private static async Task<byte[]> ReadExactlyAsync(NetworkStream stream, int length)
    {
        var buffer = new byte[length];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await stream.ReadExactlyAsync(buffer, cts.Token);
        return buffer;
    }
}
