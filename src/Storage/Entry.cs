using System.Buffers.Binary;
using System.Text;

namespace HTableCluster.Storage;

/// <summary>
/// One item of a table. Immutable: a write replaces the whole entry, so readers on any thread see
/// either the old or the new item, never a mix. Key and value share one UTF-8 buffer to keep the
/// per-entry footprint small (one object plus one array).
/// </summary>
public sealed class Entry
{
    private readonly byte[] _data;
    private readonly int _keyLength;

    internal Entry(byte[] data, int keyLength, int hash, bool isInteger, long expiresAtMs, long version, int sequence = 0)
    {
        _data = data;
        _keyLength = keyLength;
        Hash = hash;
        Sequence = sequence;
        IsInteger = isInteger;
        ExpiresAtMs = expiresAtMs;
        Version = version;
    }

    /// <summary>Hash used by the partition map (not Kamailio's slot hash).</summary>
    internal int Hash { get; }

    /// <summary>
    /// Creation order within the partition, kept across updates: Kamailio keeps items with equal
    /// hashes in insertion order inside a slot, which decides the order of htable.dump.
    /// </summary>
    internal int Sequence { get; }

    /// <summary>True when the value is a 64-bit integer, false for a string.</summary>
    public bool IsInteger { get; }

    /// <summary>Absolute expiry in Unix milliseconds; 0 means the item never expires.</summary>
    public long ExpiresAtMs { get; }

    /// <summary>Version stamped by the writer (hybrid logical clock); 0 for items loaded from a database.</summary>
    public long Version { get; }

    /// <summary>The key as UTF-8 bytes.</summary>
    public ReadOnlySpan<byte> KeyUtf8 => _data.AsSpan(0, _keyLength);

    /// <summary>The string value as UTF-8 bytes (empty for integers).</summary>
    public ReadOnlySpan<byte> ValueUtf8 => IsInteger ? default : _data.AsSpan(_keyLength);

    /// <summary>The integer value (0 for strings).</summary>
    public long IntValue => IsInteger ? BinaryPrimitives.ReadInt64LittleEndian(_data.AsSpan(_keyLength)) : 0;

    /// <summary>The key decoded from UTF-8.</summary>
    public string Key => Encoding.UTF8.GetString(KeyUtf8);

    /// <summary>The string value decoded from UTF-8 (null for integers).</summary>
    public string? StringValue => IsInteger ? null : Encoding.UTF8.GetString(ValueUtf8);

    /// <summary>The value as text: the string itself, or the integer in decimal.</summary>
    public string ValueText => IsInteger ? IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture) : StringValue!;

    /// <summary>True when the item has an expiry that is due at <paramref name="nowMs"/>.</summary>
    public bool IsExpired(long nowMs) => ExpiresAtMs != 0 && nowMs >= ExpiresAtMs;

    internal bool KeyEquals(int hash, ReadOnlySpan<byte> key) =>
        Hash == hash && key.SequenceEqual(_data.AsSpan(0, _keyLength));

    internal static Entry CreateString(ReadOnlySpan<byte> key, int hash, ReadOnlySpan<byte> value, long expiresAtMs, long version, int sequence)
    {
        var data = new byte[key.Length + value.Length];
        key.CopyTo(data);
        value.CopyTo(data.AsSpan(key.Length));
        return new Entry(data, key.Length, hash, false, expiresAtMs, version, sequence);
    }

    internal static Entry CreateInteger(ReadOnlySpan<byte> key, int hash, long value, long expiresAtMs, long version, int sequence)
    {
        var data = new byte[key.Length + sizeof(long)];
        key.CopyTo(data);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(key.Length), value);
        return new Entry(data, key.Length, hash, true, expiresAtMs, version, sequence);
    }

    /// <summary>The same item with another expiry and version; the buffer is shared (it is never written after creation).</summary>
    internal Entry WithExpiry(long expiresAtMs, long version) =>
        new(_data, _keyLength, Hash, IsInteger, expiresAtMs, version, Sequence);
}
