using System.Buffers;
using System.Text;
using HTableCluster.Node.Resp;

namespace HTableCluster.Node.Tests.Resp;

/// <summary>
/// The Redis protocol endpoint's wire: requests as redis-cli, telnet users and pipelining clients
/// send them, protocol errors, and the connection commands, each compared with redis-server 7.0.
/// </summary>
public sealed class RespWireTests(RespNodeFixture node) : IClassFixture<RespNodeFixture>
{
    [Fact]
    public async Task Ping_echo_and_errors_print_as_redis_server_prints_them()
    {
        await node.Redis.AssertSameAsync(node.RespPort, """
            PING
            PING hello
            PING a b
            ECHO "two words"
            ECHO
            ECHO ""
            NOSUCH a b
            nosuch
            PiNg
            """ + "\n");
    }

    [Fact]
    public async Task Ping_and_echo_in_resp3_print_as_redis_server_prints_them()
    {
        await node.Redis.AssertSameAsync(node.RespPort, "PING\nECHO x\n", "-3");
    }

    [Fact]
    public async Task Pipelined_multibulk_and_inline_commands_are_answered_in_order()
    {
        await node.Redis.AssertSameBytesAsync(node.RespPort,
            "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$5\r\na\r\nb\n\r\n" +
            "PING\r\nECHO  'single quoted'   \"esc\\x41\\n\\\"\"\r\n\r\n*0\r\n*-1\r\nECHO plain\n" +
            "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n" +
            "ECHO ab\"c d\"\r\n" +
            "QUIT\r\n");
    }

    [Theory]
    [InlineData("*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$-2\r\n")]
    [InlineData("*1\r\n*4\r\nPING\r\n")]
    [InlineData("PING \"a\r\n")]
    [InlineData("ECHO \"a\"b\r\n")]
    [InlineData("ECHO 'a'b\r\n")]
    [InlineData("*x\r\n")]
    [InlineData("*\r\n")]
    [InlineData("*1\r\n$\r\n")]
    [InlineData("*1\r\n$1x\r\n")]
    [InlineData("*1\r\n$-1\r\n")]
    [InlineData("*1\r\n$+4\r\nPING\r\n")]
    [InlineData("*01\r\n$4\r\nPING\r\n")]
    [InlineData("*1\r\n$99999999999\r\n")]
    [InlineData("*9999999999\r\n")]
    [InlineData("*1\r\n:4\r\n")]
    public async Task Malformed_frames_get_redis_protocol_error_and_the_connection_closes(string request)
    {
        await node.Redis.AssertSameBytesAsync(node.RespPort, request);
    }

    [Fact]
    public async Task A_command_split_at_every_byte_is_read_whole()
    {
        var reader = new RespReader(new RespLimits());
        var frame = "*3\r\n$4\r\nECHO\r\n$3\r\nabc\r\n$0\r\n\r\nPING 'x y'\r\n"u8.ToArray();
        var words = new List<string>();
        var pending = Array.Empty<byte>();
        foreach (var b in frame)
        {
            pending = [.. pending, b];
            var buffer = new ReadOnlySequence<byte>(pending);
            while (reader.TryRead(ref buffer, false, out var command) == RespReadStatus.Command)
                words.Add(string.Join('|', command.Select(c => Encoding.UTF8.GetString(c.Span))));
            pending = buffer.ToArray();
        }
        Assert.Equal(["ECHO|abc|", "PING|x y"], words);
        Assert.Empty(pending);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Subscribed_resp2_clients_may_only_run_pubsub_commands_and_reset_drops_subscriptions()
    {
        await node.Redis.AssertSameBytesAsync(node.RespPort,
            "SUBSCRIBE ch1 ch2\r\nECHO x\r\nCONFIG GET timeout\r\nPING\r\nPING hi\r\nNOSUCH\r\nRESET\r\nECHO after\r\nPUBLISH ch1 m\r\nQUIT\r\n");
    }
}
