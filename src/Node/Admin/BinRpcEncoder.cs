using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace HTableCluster.Node.Admin;

/// <summary>
/// Builds one BINRPC packet as Kamailio's ctl module writes it (src/modules/ctl/binrpc.h): records
/// with minimal-length integers and 0-terminated strings, then the header in front. The body is
/// written after room for the longest header, so the finished packet is one contiguous slice with
/// no copy. Reusable: <see cref="Reset"/> starts the next packet in the same buffer.
/// </summary>
public sealed class BinRpcEncoder
{
    /// <summary>Longest header: 2 fixed bytes, a 4-byte length and a 4-byte cookie.</summary>
    public const int MaxHeaderBytes = 10;

    /// <summary>Longest fault message in bytes, as ctl's <c>MAX_FAULT_LEN</c> (256 with the 0) allows.</summary>
    public const int MaxFaultBytes = 255;

    private readonly ArrayBufferWriter<byte> _buffer;

    /// <summary>Creates an encoder with an initial capacity.</summary>
    public BinRpcEncoder(int capacity = 512)
    {
        _buffer = new ArrayBufferWriter<byte>(Math.Max(capacity, MaxHeaderBytes + 16));
        Reset();
    }

    /// <summary>Bytes of body written so far.</summary>
    public int BodyLength => _buffer.WrittenCount - MaxHeaderBytes;

    /// <summary>Capacity of the underlying buffer (to drop encoders that grew too large).</summary>
    public int Capacity => _buffer.Capacity;

    /// <summary>True when the body written since <see cref="Reset"/> is a fault.</summary>
    public bool IsFault { get; private set; }

    /// <summary>Starts a new packet.</summary>
    public void Reset()
    {
        IsFault = false;
        _buffer.ResetWrittenCount();
        _buffer.GetSpan(MaxHeaderBytes);
        _buffer.Advance(MaxHeaderBytes);
    }

    /// <summary>Puts the header in front of the body and returns the whole packet.</summary>
    public ReadOnlyMemory<byte> Finish(BinRpcPacketType type, uint cookie)
    {
        var bodyLength = BodyLength;
        var lengthBytes = Math.Max(1, MinimalBytes((uint)bodyLength));
        var cookieBytes = Math.Max(1, MinimalBytes(cookie));
        var headerLength = 2 + lengthBytes + cookieBytes;
        var start = MaxHeaderBytes - headerLength;
        var all = _buffer.WrittenMemory;
        var header = System.Runtime.InteropServices.MemoryMarshal.AsMemory(all).Span.Slice(start, headerLength);
        header[0] = (BinRpcDecoder.Magic << 4) | BinRpcDecoder.Version;
        header[1] = (byte)(((int)type << 4) | ((lengthBytes - 1) << 2) | (cookieBytes - 1));
        WriteBigEndian(header.Slice(2, lengthBytes), (uint)bodyLength);
        WriteBigEndian(header.Slice(2 + lengthBytes, cookieBytes), cookie);
        return all[start..];
    }

    /// <summary>An integer record: 0 takes no value bytes, a negative number four.</summary>
    public void Int(int value)
    {
        var size = MinimalBytes(unchecked((uint)value));
        var span = _buffer.GetSpan(1 + size);
        span[0] = (byte)((size << 4) | (int)BinRpcType.Int);
        WriteBigEndian(span.Slice(1, size), unchecked((uint)value));
        _buffer.Advance(1 + size);
    }

    /// <summary>A double record: fixed point, the value × 1000 in a minimal 64-bit integer.</summary>
    public void Double(double value)
    {
        var fixedPoint = unchecked((ulong)(long)(value * 1000));
        var size = 8;
        while (size > 0 && (fixedPoint >> ((size - 1) * 8)) == 0)
            size--;
        var span = _buffer.GetSpan(1 + size);
        span[0] = (byte)((size << 4) | (int)BinRpcType.Double);
        for (var i = 0; i < size; i++)
            span[1 + i] = (byte)(fixedPoint >> ((size - 1 - i) * 8));
        _buffer.Advance(1 + size);
    }

    /// <summary>A string record (0-terminated).</summary>
    public void Str(string value) => Text(value, BinRpcType.Str);

    /// <summary>A bytes record (not terminated).</summary>
    public void Bytes(ReadOnlySpan<byte> value)
    {
        Mark(BinRpcType.Bytes, value.Length);
        value.CopyTo(_buffer.GetSpan(value.Length));
        _buffer.Advance(value.Length);
    }

    /// <summary>The name of a struct member; its value record follows.</summary>
    public void MemberName(string name) => Text(name, BinRpcType.Avp);

    /// <summary>Starts a struct (ctl writes RPC arrays as structs too).</summary>
    public void StartStruct() => Tag((byte)BinRpcType.Struct);

    /// <summary>Ends a struct.</summary>
    public void EndStruct() => Tag(0x80 | (byte)BinRpcType.Struct);

    /// <summary>Starts an array.</summary>
    public void StartArray() => Tag((byte)BinRpcType.Array);

    /// <summary>Ends an array.</summary>
    public void EndArray() => Tag(0x80 | (byte)BinRpcType.Array);

    /// <summary>
    /// A fault body: the code and the message, cut to <see cref="MaxFaultBytes"/> UTF-8 bytes as
    /// ctl cuts it (on a character boundary here).
    /// </summary>
    public void Fault(int code, string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        IsFault = true;
        Int(code);
        if (Encoding.UTF8.GetByteCount(message) > MaxFaultBytes)
        {
            int bytes = 0, chars = 0;
            foreach (var rune in message.EnumerateRunes())
            {
                if (bytes + rune.Utf8SequenceLength > MaxFaultBytes)
                    break;
                bytes += rune.Utf8SequenceLength;
                chars += rune.Utf16SequenceLength;
            }
            message = message[..chars];
        }
        Str(message);
    }

    /// <summary>Writes a decoded value back (used by tests and the load driver to build requests).</summary>
    public void Value(BinRpcValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Name is not null)
            MemberName(value.Name);
        switch (value.Type)
        {
            case BinRpcType.Int: Int(value.Int); break;
            case BinRpcType.Str: Str(value.Str); break;
            case BinRpcType.Double: Double(value.Double); break;
            case BinRpcType.Bytes: Bytes(value.Bytes); break;
            case BinRpcType.Struct:
                StartStruct();
                foreach (var item in value.Items)
                    Value(item);
                EndStruct();
                break;
            default:
                StartArray();
                foreach (var item in value.Items)
                    Value(item);
                EndArray();
                break;
        }
    }

    private void Text(string value, BinRpcType type)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        Mark(type, length + 1);
        var span = _buffer.GetSpan(length + 1);
        Encoding.UTF8.GetBytes(value, span);
        span[length] = 0;
        _buffer.Advance(length + 1);
    }

    // The record head: a length below 8 sits in the head itself, a longer one follows it in
    // minimal big-endian bytes (their count in the head, with the 8 bit set).
    private void Mark(BinRpcType type, int length)
    {
        if (length < 8)
        {
            var one = _buffer.GetSpan(1);
            one[0] = (byte)((length << 4) | (int)type);
            _buffer.Advance(1);
            return;
        }
        var size = MinimalBytes((uint)length);
        var span = _buffer.GetSpan(1 + size);
        span[0] = (byte)(((size | 8) << 4) | (int)type);
        WriteBigEndian(span.Slice(1, size), (uint)length);
        _buffer.Advance(1 + size);
    }

    private void Tag(byte tag)
    {
        _buffer.GetSpan(1)[0] = tag;
        _buffer.Advance(1);
    }

    private static int MinimalBytes(uint value) => value == 0 ? 0 : (32 - System.Numerics.BitOperations.LeadingZeroCount(value) + 7) / 8;

    private static void WriteBigEndian(Span<byte> target, uint value)
    {
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(four, value);
        four[(4 - target.Length)..].CopyTo(target);
    }
}
