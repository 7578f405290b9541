using System.Text;
using HTableCluster.Node.Resp;

namespace HTableCluster.Node.Tests.Resp;

/// <summary>
/// Pipelined writes kept in flight on one connection (<see cref="RespCommand.Pipelined"/>): every
/// batch is sent in one write, and the replies must be redis-server 7.0's, byte for byte, with each
/// command seeing the commands before it.
/// </summary>
public sealed class RespPipelineTests(RespNodeFixture node) : IClassFixture<RespNodeFixture>
{
    private static string Frame(params string[] words)
    {
        var s = new StringBuilder().Append('*').Append(words.Length).Append("\r\n");
        foreach (var w in words)
            s.Append('$').Append(Encoding.Latin1.GetByteCount(w)).Append("\r\n").Append(w).Append("\r\n");
        return s.ToString();
    }

    [Fact]
    public async Task A_pipelined_batch_mixing_writes_and_reads_on_the_same_keys_answers_as_redis_server()
    {
        var batch = string.Concat(
            Frame("SET", "pk", "1"), Frame("INCR", "pk"), Frame("INCR", "pk"), Frame("GET", "pk"),
            Frame("SET", "pk", "10"), Frame("INCRBY", "pk", "5"), Frame("DECR", "pk"), Frame("DEL", "pk"), Frame("GET", "pk"),
            Frame("INCR", "pk"), Frame("DEL", "pk", "pk", "pnone"), Frame("DEL", "pk"), Frame("EXISTS", "pk"),
            Frame("HSET", "a", "pf", "1"), Frame("HSET", "a", "pf", "2", "pg", "3"), Frame("HGET", "a", "pf"), Frame("HGET", "a", "pg"),
            Frame("SET", "ps", "abc"), Frame("INCR", "ps"), Frame("GET", "ps"), Frame("APPEND", "ps", "def"), Frame("GET", "ps"),
            Frame("SET", "ps", "41"), Frame("APPEND", "ps", "9"), Frame("INCR", "ps"),
            Frame("SET", "pm", "9223372036854775807"), Frame("INCR", "pm"), Frame("GET", "pm"),
            Frame("MSET", "pa", "1", "pb", "2"), Frame("DECRBY", "pa", "3"), Frame("GET", "pb"), Frame("SETNX", "pa", "x"),
            Frame("GETSET", "pb", "7"), Frame("GETDEL", "pb"), Frame("GET", "pb"), Frame("SET", "pa", "z", "GET"),
            Frame("SET", "pa", "y", "NX"), Frame("SET", "pa", "y", "XX"), Frame("SETEX", "pa", "0", "v"), Frame("GET", "pa"),
            Frame("INCRBYFLOAT", "pa", "x"), Frame("DEL", "pa", "ps", "pm"), Frame("HDEL", "a", "pf", "pg"),
            "QUIT\r\n");
        await node.Redis.AssertSameBytesAsync(node.RespPort, batch);
    }

    [Fact]
    public async Task More_pipelined_writes_than_a_connection_keeps_in_flight_are_answered_in_order()
    {
        var batch = new StringBuilder();
        for (var i = 0; i < 600; i++)
            batch.Append(i % 3 == 0 ? Frame("SET", "pn" + (i % 7), i.ToString(System.Globalization.CultureInfo.InvariantCulture)) : Frame("INCR", "pn" + (i % 7)));
        for (var k = 0; k < 7; k++)
            batch.Append(Frame("GET", "pn" + k)).Append(Frame("DEL", "pn" + k));
        batch.Append("QUIT\r\n");
        await node.Redis.AssertSameBytesAsync(node.RespPort, batch.ToString());
    }

    [Fact]
    public async Task A_write_that_fails_in_the_middle_of_a_batch_answers_its_error_and_keeps_the_other_replies()
    {
        // A key over Storage's limit (16 MB): redis-server takes it, the partition writer refuses it
        // (its write fails on the writer), so this is checked against the node alone.
        var huge = new string('k', (1 << 24) + 1);
        var batch = string.Concat(
            Frame("SET", "pw", "1"), Frame("INCR", "pw"), Frame("SET", huge, "v"), Frame("INCR", "pw"), Frame("HSET", "a", "pwf", "x"),
            Frame("GET", "pw"), Frame("EXISTS", huge), Frame("DEL", "pw"), Frame("HDEL", "a", "pwf"), "QUIT\r\n");
        var reply = await RedisReference.ExchangeAsync(node.RespPort, Encoding.Latin1.GetBytes(batch));
        Assert.Equal(
            "+OK\r\n:2\r\n-ERR internal error in 'set': ArgumentException\r\n:3\r\n:1\r\n$1\r\n3\r\n:0\r\n:1\r\n:1\r\n+OK\r\n",
            reply);
    }

    [Fact]
    public async Task With_keyspace_notifications_on_a_pipelined_batch_notifies_in_command_order_as_redis_server()
    {
        var batch = string.Concat(
            Frame("CONFIG", "SET", "notify-keyspace-events", "E$g"),
            Frame("SET", "pe1", "1"), Frame("INCR", "pe2"), Frame("SET", "pe3", "x"), Frame("INCRBY", "pe1", "4"), Frame("DEL", "pe2", "pe3"),
            Frame("SET", "pe4", "y"), Frame("DEL", "pe1", "pe4"), Frame("CONFIG", "SET", "notify-keyspace-events", ""), "QUIT\r\n");
        var redis = await NotificationsAsync(node.Redis.Port, batch);
        var ours = await NotificationsAsync(node.RespPort, batch);
        Assert.True(redis == ours, $"redis-server: {RedisReference.Show(redis)}\nnode:         {RedisReference.Show(ours)}");
    }

    // What a RESP2 subscriber to every keyevent of database 0 receives while another connection
    // sends the batch (until the last event, DEL of pe4, has arrived; bounded to 30 s).
    private static async Task<string> NotificationsAsync(int port, string batch)
    {
        using var subscriber = new System.Net.Sockets.TcpClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await subscriber.ConnectAsync(System.Net.IPAddress.Loopback, port, cts.Token);
        var stream = subscriber.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(Frame("PSUBSCRIBE", "__keyevent@0__:*")), cts.Token);
        var received = new StringBuilder();
        var buffer = new byte[65536];
        const string Confirmed = ":1\r\n";
        while (!received.ToString().EndsWith(Confirmed, StringComparison.Ordinal))
        {
            var n = await stream.ReadAsync(buffer, cts.Token);
            Assert.True(n > 0, "the subscriber was disconnected");
            received.Append(Encoding.Latin1.GetString(buffer, 0, n));
        }
        received.Clear();
        await RedisReference.ExchangeAsync(port, Encoding.Latin1.GetBytes(batch));
        while (!received.ToString().EndsWith("$3\r\npe4\r\n", StringComparison.Ordinal))
        {
            var n = await stream.ReadAsync(buffer, cts.Token);
            Assert.True(n > 0, "the subscriber was disconnected");
            received.Append(Encoding.Latin1.GetString(buffer, 0, n));
        }
        return received.ToString();
    }

    [Fact]
    public void Only_writes_checked_for_it_are_pipelined()
    {
        var pipelined = node.Server.Commands.All.Where(c => c.Pipelined).Select(c => c.Name).Order(StringComparer.Ordinal);
        Assert.Equal(
            [
                "append", "decr", "decrby", "del", "getdel", "getex", "getset", "hmset", "hset", "hsetnx", "incr", "incrby",
                "incrbyfloat", "mset", "psetex", "set", "setex", "setnx", "setrange", "unlink",
            ],
            pipelined);
        Assert.All(node.Server.Commands.All.Where(c => c.Pipelined), c => Assert.True((c.Flags & RespCommandFlags.Write) != 0, c.Name));
    }
}
