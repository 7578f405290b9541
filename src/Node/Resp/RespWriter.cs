using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace HTableCluster.Node.Resp;

/// <summary>
/// Encodes <see cref="RespReply"/> values as Redis 7.0 sends them: RESP2 (<c>HELLO 2</c>, the default)
/// or RESP3 (<c>HELLO 3</c>). In RESP2 a map is a flat array, a set and a push an array, a double
/// a bulk string, a boolean an integer, verbatim text a bulk string, null <c>$-1</c> or <c>*-1</c>.
/// </summary>
public static class RespWriter
{
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();

    /// <summary>Appends <paramref name="reply"/> to <paramref name="output"/> in protocol <paramref name="protocol"/> (2 or 3).</summary>
    public static void Write(IBufferWriter<byte> output, RespReply reply, int protocol)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(reply);
        var resp3 = protocol >= 3;
        switch (reply)
        {
            case RespSimple simple:
                WriteLine(output, (byte)'+', simple.Text);
                break;
            case RespError error:
                WriteLine(output, (byte)'-', error.Text);
                break;
            case RespInteger integer:
                WriteNumber(output, (byte)':', integer.Value);
                break;
            case RespBulk bulk:
                WriteBulk(output, bulk.Bytes.Span);
                break;
            case RespNull nil:
                output.Write(resp3 ? "_\r\n"u8 : nil.Array ? "*-1\r\n"u8 : "$-1\r\n"u8);
                break;
            case RespArray array:
                WriteNumber(output, (byte)'*', array.Items.Count);
                WriteAll(output, array.Items, protocol);
                break;
            case RespMap map:
                WriteNumber(output, resp3 ? (byte)'%' : (byte)'*', resp3 ? map.Pairs.Count : map.Pairs.Count * 2L);
                for (var i = 0; i < map.Pairs.Count; i++)
                {
                    Write(output, map.Pairs[i].Key, protocol);
                    Write(output, map.Pairs[i].Value, protocol);
                }
                break;
            case RespSet set:
                WriteNumber(output, resp3 ? (byte)'~' : (byte)'*', set.Items.Count);
                WriteAll(output, set.Items, protocol);
                break;
            case RespPush push:
                WriteNumber(output, resp3 ? (byte)'>' : (byte)'*', push.Items.Count);
                WriteAll(output, push.Items, protocol);
                break;
            case RespDouble d:
                if (resp3)
                    WriteLine(output, (byte)',', RespNumbers.FormatDouble(d.Value));
                else
                    WriteBulk(output, Encoding.ASCII.GetBytes(RespNumbers.FormatDouble(d.Value)));
                break;
            case RespBoolean b:
                output.Write(resp3 ? (b.Value ? "#t\r\n"u8 : "#f\r\n"u8) : (b.Value ? ":1\r\n"u8 : ":0\r\n"u8));
                break;
            case RespVerbatim v:
                if (resp3)
                {
                    var text = Encoding.UTF8.GetBytes(v.Text);
                    WriteNumber(output, (byte)'=', text.Length + 4L);
                    output.Write(Encoding.ASCII.GetBytes(v.Format));
                    output.Write(":"u8);
                    output.Write(text);
                    output.Write(Crlf);
                }
                else
                {
                    WriteBulk(output, Encoding.UTF8.GetBytes(v.Text));
                }
                break;
            default:
                throw new InvalidOperationException("unknown reply type " + reply.GetType().Name);
        }
    }

    /// <summary>The encoding of <paramref name="reply"/> as bytes (tests and one-off messages).</summary>
    public static byte[] ToBytes(RespReply reply, int protocol)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(buffer, reply, protocol);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteAll(IBufferWriter<byte> output, IReadOnlyList<RespReply> items, int protocol)
    {
        for (var i = 0; i < items.Count; i++)
            Write(output, items[i], protocol);
    }

    private static void WriteBulk(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        WriteNumber(output, (byte)'$', bytes.Length);
        output.Write(bytes);
        output.Write(Crlf);
    }

    private static void WriteNumber(IBufferWriter<byte> output, byte prefix, long value)
    {
        var span = output.GetSpan(24);
        span[0] = prefix;
        Utf8Formatter.TryFormat(value, span[1..], out var n);
        span[n + 1] = (byte)'\r';
        span[n + 2] = (byte)'\n';
        output.Advance(n + 3);
    }

    // Simple strings and errors are one line: CR and LF become spaces, as Redis's addReplyError does.
    private static void WriteLine(IBufferWriter<byte> output, byte prefix, string text)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        var span = output.GetSpan(length + 3);
        span[0] = prefix;
        var n = Encoding.UTF8.GetBytes(text, span[1..]);
        foreach (ref var b in span.Slice(1, n))
        {
            if (b is (byte)'\r' or (byte)'\n')
                b = (byte)' ';
        }
        span[n + 1] = (byte)'\r';
        span[n + 2] = (byte)'\n';
        output.Advance(n + 3);
    }
}
