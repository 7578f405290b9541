using System.Text;

namespace HTableCluster.Node.Resp;

/// <summary>Redis 7.0's error texts, word for word, for the cases every command family shares.</summary>
public static class RespErrors
{
    /// <summary><c>ERR syntax error</c>.</summary>
    public static readonly RespReply Syntax = RespReply.Error("ERR syntax error");

    /// <summary><c>ERR value is not an integer or out of range</c>.</summary>
    public static readonly RespReply NotInteger = RespReply.Error("ERR value is not an integer or out of range");

    /// <summary><c>ERR value is not a valid float</c>.</summary>
    public static readonly RespReply NotFloat = RespReply.Error("ERR value is not a valid float");

    /// <summary><c>WRONGTYPE ...</c>.</summary>
    public static readonly RespReply WrongType = RespReply.Error("WRONGTYPE Operation against a key holding the wrong kind of value");

    /// <summary><c>NOAUTH Authentication required.</c>.</summary>
    public static readonly RespReply NoAuth = RespReply.Error("NOAUTH Authentication required.");

    /// <summary><c>ERR increment or decrement would overflow</c>.</summary>
    public static readonly RespReply Overflow = RespReply.Error("ERR increment or decrement would overflow");

    /// <summary><c>ERR wrong number of arguments for 'name' command</c>.</summary>
    public static RespReply WrongArity(string name) => RespReply.Error($"ERR wrong number of arguments for '{name}' command");

    /// <summary>
    /// <c>ERR unknown command 'name', with args beginning with: 'a' 'b' </c> (Redis quotes at most
    /// 128 bytes of each argument and stops after the arguments that fit in 128 bytes).
    /// </summary>
    public static RespReply UnknownCommand(ReadOnlyMemory<byte>[] args)
    {
        var sb = new StringBuilder("ERR unknown command '");
        sb.Append(Printable(args[0].Span)).Append("', with args beginning with: ");
        var room = 128;
        for (var i = 1; i < args.Length && room > 0; i++)
        {
            var a = Printable(args[i].Span);
            if (a.Length > room)
                a = a[..room];
            room -= a.Length;
            sb.Append('\'').Append(a).Append("' ");
        }
        return RespReply.Error(sb.ToString());
    }

    /// <summary>
    /// <c>ERR unknown subcommand 'x'. Try NAME HELP.</c>
    /// </summary>
    public static RespReply UnknownSubcommand(string command, ReadOnlySpan<byte> sub) =>
        RespReply.Error($"ERR unknown subcommand '{Printable(sub)}'. Try {command.ToUpperInvariant()} HELP.");

    /// <summary>A reply would list more than the bound (KEYS, HKEYS, HVALS, HGETALL).</summary>
    public static RespReply TooManyKeys(string command, int bound) =>
        RespReply.Error($"ERR {command.ToUpperInvariant()} would list more than {bound} keys (Resp:MaxReplyKeys); use SCAN or HSCAN");

    /// <summary>Text with CR, LF and other control bytes replaced by spaces (an error is one line).</summary>
    public static string Printable(ReadOnlySpan<byte> bytes)
    {
        var s = Encoding.UTF8.GetString(bytes.Length > 128 ? bytes[..128] : bytes);
        return string.Create(s.Length, s, static (dst, src) =>
        {
            for (var i = 0; i < src.Length; i++)
                dst[i] = char.IsControl(src[i]) ? ' ' : src[i];
        });
    }
}
