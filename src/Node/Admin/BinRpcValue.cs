namespace HTableCluster.Node.Admin;

/// <summary>Record types of Kamailio's BINRPC (the low 4 bits of a record's first byte).</summary>
public enum BinRpcType
{
    /// <summary>Signed 32-bit integer, big endian, minimal length (0 is no bytes at all).</summary>
    Int = 0,

    /// <summary>String; the length counts a terminating 0 that is sent too.</summary>
    Str = 1,

    /// <summary>Fixed point: value × 1000 as a big-endian 64-bit integer.</summary>
    Double = 2,

    /// <summary>Struct start (<c>0x03</c>) or end (<c>0x83</c>); holds name/value pairs (and, as ctl writes arrays, unnamed values).</summary>
    Struct = 3,

    /// <summary>Array start (<c>0x04</c>) or end (<c>0x84</c>).</summary>
    Array = 4,

    /// <summary>A struct member: its name (a string) followed by its value record.</summary>
    Avp = 5,

    /// <summary>Bytes: like a string without the terminating 0.</summary>
    Bytes = 6,
}

/// <summary>Kinds of BINRPC packets (the high 4 bits of the header's second byte).</summary>
public enum BinRpcPacketType
{
    /// <summary>A call: the method name (a string record), then the parameters.</summary>
    Request = 0,

    /// <summary>A reply: any number of records.</summary>
    Reply = 1,

    /// <summary>A fault: an int code and a string message.</summary>
    Fault = 3,
}

/// <summary>
/// One decoded BINRPC value: a scalar, or a struct/array with its members. A struct member carries
/// its name (<see cref="Name"/>); the members ctl writes for an RPC array are unnamed.
/// </summary>
public sealed class BinRpcValue
{
    private BinRpcValue(BinRpcType type) => Type = type;

    /// <summary>The record type (never <see cref="BinRpcType.Avp"/>: a member's name is in <see cref="Name"/>).</summary>
    public BinRpcType Type { get; }

    /// <summary>The member name inside a struct; null elsewhere.</summary>
    public string? Name { get; private init; }

    /// <summary>Value of an <see cref="BinRpcType.Int"/>.</summary>
    public int Int { get; private init; }

    /// <summary>Value of a <see cref="BinRpcType.Double"/>.</summary>
    public double Double { get; private init; }

    /// <summary>Text of a <see cref="BinRpcType.Str"/> (UTF-8 decoded).</summary>
    public string Str { get; private init; } = "";

    /// <summary>Content of <see cref="BinRpcType.Bytes"/>.</summary>
    public byte[] Bytes { get; private init; } = [];

    /// <summary>Members of a struct or array.</summary>
    public IReadOnlyList<BinRpcValue> Items { get; private init; } = [];

    /// <summary>An integer.</summary>
    public static BinRpcValue OfInt(int value, string? name = null) => new(BinRpcType.Int) { Int = value, Name = name };

    /// <summary>A string.</summary>
    public static BinRpcValue OfStr(string value, string? name = null) => new(BinRpcType.Str) { Str = value, Name = name };

    /// <summary>A double (sent as fixed point with 3 decimals).</summary>
    public static BinRpcValue OfDouble(double value, string? name = null) => new(BinRpcType.Double) { Double = value, Name = name };

    /// <summary>Bytes.</summary>
    public static BinRpcValue OfBytes(byte[] value, string? name = null) => new(BinRpcType.Bytes) { Bytes = value, Name = name };

    /// <summary>A struct or array with its members.</summary>
    public static BinRpcValue OfList(BinRpcType type, IReadOnlyList<BinRpcValue> items, string? name = null)
    {
        if (type is not (BinRpcType.Struct or BinRpcType.Array))
            throw new ArgumentException("a list is a struct or an array", nameof(type));
        return new(type) { Items = items, Name = name };
    }

    /// <summary>This value under another member name.</summary>
    public BinRpcValue Named(string? name) => new(Type) { Int = Int, Double = Double, Str = Str, Bytes = Bytes, Items = Items, Name = name };

    /// <inheritdoc />
    public override string ToString() => Type switch
    {
        BinRpcType.Int => Prefix + Int.ToString(System.Globalization.CultureInfo.InvariantCulture),
        BinRpcType.Str => Prefix + Str,
        BinRpcType.Double => Prefix + Double.ToString(System.Globalization.CultureInfo.InvariantCulture),
        BinRpcType.Bytes => Prefix + Convert.ToHexString(Bytes),
        BinRpcType.Struct => Prefix + "{" + string.Join(", ", Items) + "}",
        _ => Prefix + "[" + string.Join(", ", Items) + "]",
    };

    private string Prefix => Name is null ? "" : Name + ": ";
}
