using System.Globalization;
using System.Text;
using HTableCluster.Node.Resp;

namespace HTableCluster.Node.Tests.Resp;

/// <summary>
/// A reply as Redis's wire carries it (RESP2 or RESP3), as Latin-1 text, to compare with the bytes
/// redis-server 7.0 sent for the same command.
/// </summary>
public static class ReplyText
{
    public static string Encode(RespReply reply, int protocol)
    {
        var sb = new StringBuilder();
        Write(sb, reply, protocol);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, RespReply reply, int protocol)
    {
        switch (reply)
        {
            case RespSimple s:
                sb.Append('+').Append(s.Text).Append("\r\n");
                break;
            case RespError e:
                sb.Append('-').Append(e.Text).Append("\r\n");
                break;
            case RespInteger i:
                sb.Append(':').Append(i.Value.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
                break;
            case RespBulk b:
                sb.Append('$').Append(b.Bytes.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n").Append(Encoding.Latin1.GetString(b.Bytes.Span)).Append("\r\n");
                break;
            case RespNull n:
                sb.Append(protocol == 3 ? "_\r\n" : n.Array ? "*-1\r\n" : "$-1\r\n");
                break;
            case RespArray a:
                Items(sb, '*', a.Items, protocol);
                break;
            case RespSet set:
                Items(sb, protocol == 3 ? '~' : '*', set.Items, protocol);
                break;
            case RespPush p:
                Items(sb, protocol == 3 ? '>' : '*', p.Items, protocol);
                break;
            case RespMap m:
                sb.Append(protocol == 3 ? '%' : '*').Append((protocol == 3 ? m.Pairs.Count : m.Pairs.Count * 2).ToString(CultureInfo.InvariantCulture)).Append("\r\n");
                foreach (var (k, v) in m.Pairs)
                {
                    Write(sb, k, protocol);
                    Write(sb, v, protocol);
                }
                break;
            default:
                throw new InvalidOperationException("reply type not used by these tests: " + reply.GetType().Name);
        }
    }

    private static void Items(StringBuilder sb, char kind, IReadOnlyList<RespReply> items, int protocol)
    {
        sb.Append(kind).Append(items.Count.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        foreach (var item in items)
            Write(sb, item, protocol);
    }
}
