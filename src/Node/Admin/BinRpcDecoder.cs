using System.Text;

namespace HTableCluster.Node.Admin;

/// <summary>Outcome of reading a packet header from the bytes received so far.</summary>
public enum BinRpcHeaderStatus
{
    /// <summary>The header is complete and valid.</summary>
    Done,

    /// <summary>More bytes are needed to tell.</summary>
    NeedMore,

    /// <summary>Not a BINRPC packet this side accepts (the error says why).</summary>
    Invalid,
}

/// <summary>
/// A packet header: <c>| magic 0xA : version 1 | type(4) LL(2) CL(2) | length (LL+1 bytes) | cookie (CL+1 bytes) |</c>,
/// big endian; the length counts the body only.
/// </summary>
public readonly record struct BinRpcHeader(BinRpcPacketType Type, int BodyLength, uint Cookie, int HeaderLength);

/// <summary>
/// Reads BINRPC as Kamailio's ctl module defines it (src/modules/ctl/binrpc.h): the packet header
/// and the records of a body, with the nesting of structs and arrays bounded. Pure functions over
/// spans; every malformed input is a false return with a one-line reason, never an exception.
/// </summary>
public static class BinRpcDecoder
{
    /// <summary>High nibble of the first header byte.</summary>
    public const int Magic = 0xA;

    /// <summary>Low nibble of the first header byte.</summary>
    public const int Version = 1;

    /// <summary>Smallest header: 2 fixed bytes, a 1-byte length and a 1-byte cookie.</summary>
    public const int MinHeaderBytes = 4;

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>Reads the header at the start of <paramref name="data"/>.</summary>
    public static BinRpcHeaderStatus TryReadHeader(ReadOnlySpan<byte> data, out BinRpcHeader header, out string error)
    {
        header = default;
        error = "";
        if (data.Length == 0)
            return BinRpcHeaderStatus.NeedMore;
        // The first byte alone tells a stranger (an HTTP request, a stray client) from a BINRPC peer.
        if (data[0] >> 4 != Magic)
        {
            error = $"not a BINRPC packet (first byte 0x{data[0]:x2}, expected 0x{(Magic << 4) | Version:x2})";
            return BinRpcHeaderStatus.Invalid;
        }
        if ((data[0] & 0xF) != Version)
        {
            error = $"unsupported BINRPC version {data[0] & 0xF} (expected {Version})";
            return BinRpcHeaderStatus.Invalid;
        }
        if (data.Length < 2)
            return BinRpcHeaderStatus.NeedMore;
        var type = data[1] >> 4;
        if (type is not ((int)BinRpcPacketType.Request or (int)BinRpcPacketType.Reply or (int)BinRpcPacketType.Fault))
        {
            error = $"unknown BINRPC packet type {type}";
            return BinRpcHeaderStatus.Invalid;
        }
        var lengthBytes = ((data[1] >> 2) & 3) + 1;
        var cookieBytes = (data[1] & 3) + 1;
        var headerLength = 2 + lengthBytes + cookieBytes;
        if (data.Length < headerLength)
            return BinRpcHeaderStatus.NeedMore;
        var length = ReadUnsigned(data.Slice(2, lengthBytes));
        if (length > int.MaxValue)
        {
            error = $"BINRPC body length {length} is out of range";
            return BinRpcHeaderStatus.Invalid;
        }
        var cookie = (uint)ReadUnsigned(data.Slice(2 + lengthBytes, cookieBytes));
        header = new BinRpcHeader((BinRpcPacketType)type, (int)length, cookie, headerLength);
        return BinRpcHeaderStatus.Done;
    }

    /// <summary>
    /// Reads every record of a body into <paramref name="records"/> (top-level values; struct and
    /// array members nested in them). Nesting deeper than <paramref name="maxDepth"/> is an error.
    /// </summary>
    public static bool TryReadRecords(ReadOnlySpan<byte> body, int maxDepth, List<BinRpcValue> records, out string error)
    {
        ArgumentNullException.ThrowIfNull(records);
        var pos = 0;
        try
        {
            while (pos < body.Length)
            {
                var value = Read(body, ref pos, 0, maxDepth, Container.None, out var end);
                if (value is null)
                    throw new FormatException($"unexpected end of {Describe(end)} at byte {pos - 1}");
                records.Add(value);
            }
            error = "";
            return true;
        }
        catch (FormatException ex)
        {
            error = ex.Message;
            return false;
        }
    }

    private enum Container
    {
        None,
        Struct,
        Array,
    }

    // One record at pos; null for an end tag (its type in end).
    private static BinRpcValue? Read(ReadOnlySpan<byte> b, ref int pos, int depth, int maxDepth, Container inside, out BinRpcType end)
    {
        end = default;
        var at = pos;
        if (pos >= b.Length)
            throw new FormatException($"truncated record at byte {at}");
        var head = b[pos++];
        var type = (BinRpcType)(head & 0xF);
        var size = head >> 4;
        long length = size;
        if (type is BinRpcType.Struct or BinRpcType.Array)
        {
            if (head == ((int)type | 0x80))
            {
                end = type;
                return null;
            }
            if (size != 0)
                throw new FormatException($"bad {Describe(type)} tag 0x{head:x2} at byte {at}");
            if (depth + 1 > maxDepth)
                throw new FormatException($"nesting deeper than {maxDepth} levels at byte {at}");
            var items = new List<BinRpcValue>();
            var within = type == BinRpcType.Struct ? Container.Struct : Container.Array;
            while (true)
            {
                var item = Read(b, ref pos, depth + 1, maxDepth, within, out var closed);
                if (item is null)
                {
                    if (closed != type)
                        throw new FormatException($"end of {Describe(closed)} inside a {Describe(type)} at byte {pos - 1}");
                    return BinRpcValue.OfList(type, items);
                }
                items.Add(item);
            }
        }
        if (type != BinRpcType.Double && (size & 8) != 0)
        {
            // The size is the number of bytes of a separate length that follows.
            var lengthBytes = size & 7;
            if (lengthBytes is 0 or > 4 || pos + lengthBytes > b.Length)
                throw new FormatException($"bad record length at byte {at}");
            length = (long)ReadUnsigned(b.Slice(pos, lengthBytes));
            pos += lengthBytes;
        }
        if (length > b.Length - pos)
            throw new FormatException($"record at byte {at} is longer ({length} bytes) than the rest of the packet");
        var content = b.Slice(pos, (int)length);
        pos += (int)length;
        switch (type)
        {
            case BinRpcType.Int:
                if (content.Length > 8)
                    throw new FormatException($"integer of {content.Length} bytes at byte {at}");
                return BinRpcValue.OfInt(unchecked((int)ReadUnsigned(content)));
            case BinRpcType.Double:
                return BinRpcValue.OfDouble(unchecked((long)ReadUnsigned(content)) / 1000.0);
            case BinRpcType.Str:
                return BinRpcValue.OfStr(Text(content, at));
            case BinRpcType.Bytes:
                return BinRpcValue.OfBytes(content.ToArray());
            case BinRpcType.Avp:
                if (inside != Container.Struct)
                    throw new FormatException($"struct member outside a struct at byte {at}");
                var name = Text(content, at);
                var value = Read(b, ref pos, depth, maxDepth, Container.None, out _);
                return value is null
                    ? throw new FormatException($"struct member '{name}' without a value at byte {at}")
                    : value.Named(name);
            default:
                throw new FormatException($"unknown record type {(int)type} at byte {at}");
        }
    }

    // A string's length counts its terminating 0, which is not part of the text.
    private static string Text(ReadOnlySpan<byte> content, int at)
    {
        if (content.Length == 0)
            return "";
        try
        {
            return StrictUtf8.GetString(content[..^1]);
        }
        catch (DecoderFallbackException)
        {
            throw new FormatException($"string at byte {at} is not valid UTF-8");
        }
    }

    private static ulong ReadUnsigned(ReadOnlySpan<byte> bytes)
    {
        ulong u = 0;
        foreach (var x in bytes)
            u = (u << 8) | x;
        return u;
    }

    private static string Describe(BinRpcType type) => type == BinRpcType.Struct ? "struct" : "array";
}
