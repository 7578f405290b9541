using System.Text;

namespace HTableCluster.Node.Resp;

/// <summary>
/// One reply of the Redis protocol, independent of the protocol version: the writer encodes it as
/// RESP2 or RESP3 (<see cref="RespContext.Protocol"/>). RESP3-only shapes have a RESP2 form: a map is
/// a flat array, a set an array, a double a bulk string, a boolean an integer, a push an array.
/// </summary>
public abstract class RespReply
{
    /// <summary><c>+OK</c>.</summary>
    public static readonly RespReply Ok = new RespSimple("OK");

    /// <summary><c>+PONG</c>.</summary>
    public static readonly RespReply Pong = new RespSimple("PONG");

    /// <summary>The null bulk string (<c>$-1</c>; RESP3 <c>_</c>).</summary>
    public static readonly RespReply Nil = new RespNull(array: false);

    /// <summary>The null array (<c>*-1</c>; RESP3 <c>_</c>).</summary>
    public static readonly RespReply NilArray = new RespNull(array: true);

    /// <summary><c>:0</c>.</summary>
    public static readonly RespReply Zero = new RespInteger(0);

    /// <summary><c>:1</c>.</summary>
    public static readonly RespReply One = new RespInteger(1);

    /// <summary>The empty array.</summary>
    public static readonly RespReply EmptyArray = new RespArray([]);

    /// <summary>A bulk string of UTF-8 text.</summary>
    public static RespReply Bulk(string text) => new RespBulk(Encoding.UTF8.GetBytes(text));

    /// <summary>A bulk string of bytes.</summary>
    public static RespReply Bulk(ReadOnlyMemory<byte> bytes) => new RespBulk(bytes);

    /// <summary>An integer.</summary>
    public static RespReply Integer(long value) => value switch { 0 => Zero, 1 => One, _ => new RespInteger(value) };

    /// <summary>An error; <paramref name="text"/> starts with its code (<c>ERR ...</c>, <c>WRONGTYPE ...</c>).</summary>
    public static RespReply Error(string text) => new RespError(text);
}

/// <summary>A simple string (<c>+text</c>).</summary>
public sealed class RespSimple(string text) : RespReply
{
    /// <summary>The text (no CR or LF).</summary>
    public string Text { get; } = text;
}

/// <summary>An error (<c>-CODE text</c>; RESP3 <c>!</c> for long ones is not used: Redis sends <c>-</c>).</summary>
public sealed class RespError(string text) : RespReply
{
    /// <summary>The text with its code first (no CR or LF).</summary>
    public string Text { get; } = text;
}

/// <summary>A 64-bit integer (<c>:n</c>).</summary>
public sealed class RespInteger(long value) : RespReply
{
    /// <summary>The value.</summary>
    public long Value { get; } = value;
}

/// <summary>A bulk string (<c>$len</c>).</summary>
public sealed class RespBulk(ReadOnlyMemory<byte> bytes) : RespReply
{
    /// <summary>The bytes.</summary>
    public ReadOnlyMemory<byte> Bytes { get; } = bytes;
}

/// <summary>The null reply: RESP2 null bulk (<c>$-1</c>) or null array (<c>*-1</c>); RESP3 <c>_</c>.</summary>
public sealed class RespNull(bool array) : RespReply
{
    /// <summary>True for the RESP2 null array form.</summary>
    public bool Array { get; } = array;
}

/// <summary>An array (<c>*n</c>).</summary>
public sealed class RespArray(IReadOnlyList<RespReply> items) : RespReply
{
    /// <summary>The elements.</summary>
    public IReadOnlyList<RespReply> Items { get; } = items;
}

/// <summary>A map (RESP3 <c>%n</c>; RESP2 a flat array of key, value, key, value...).</summary>
public sealed class RespMap(IReadOnlyList<KeyValuePair<RespReply, RespReply>> pairs) : RespReply
{
    /// <summary>The pairs, in order.</summary>
    public IReadOnlyList<KeyValuePair<RespReply, RespReply>> Pairs { get; } = pairs;
}

/// <summary>A set (RESP3 <c>~n</c>; RESP2 an array).</summary>
public sealed class RespSet(IReadOnlyList<RespReply> items) : RespReply
{
    /// <summary>The elements.</summary>
    public IReadOnlyList<RespReply> Items { get; } = items;
}

/// <summary>A double (RESP3 <c>,x</c>; RESP2 a bulk string of the same text).</summary>
public sealed class RespDouble(double value) : RespReply
{
    /// <summary>The value.</summary>
    public double Value { get; } = value;
}

/// <summary>A boolean (RESP3 <c>#t</c>/<c>#f</c>; RESP2 <c>:1</c>/<c>:0</c>).</summary>
public sealed class RespBoolean(bool value) : RespReply
{
    /// <summary>The value.</summary>
    public bool Value { get; } = value;
}

/// <summary>Verbatim text (RESP3 <c>=len</c> with a 3-letter format; RESP2 a bulk string of the text).</summary>
public sealed class RespVerbatim(string format, string text) : RespReply
{
    /// <summary>Three letters, <c>txt</c> or <c>mkd</c>.</summary>
    public string Format { get; } = format;

    /// <summary>The text.</summary>
    public string Text { get; } = text;
}

/// <summary>An out-of-band message (RESP3 <c>&gt;n</c>; RESP2 an array): pub/sub deliveries.</summary>
public sealed class RespPush(IReadOnlyList<RespReply> items) : RespReply
{
    /// <summary>The elements.</summary>
    public IReadOnlyList<RespReply> Items { get; } = items;
}
