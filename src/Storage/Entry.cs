using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace HTableCluster.Storage;

/// <summary>
/// One item of a table, as handed to readers: a view over the item's single immutable buffer.
/// A table stores only that buffer (metadata, key and value in one array, UTF-8), which keeps the
/// per-item footprint to one object; a write replaces the whole buffer, so a reader on any thread
/// sees either the old or the new item, never a mix.
/// </summary>
public sealed class Entry
{
    // Buffer layout (little endian), a 24-byte header so that a 16-byte key with a 64-byte value
    // fills exactly 128 bytes with the array header: version (8), expiry (8), creation sequence (4),
    // key length (3 bytes, up to 16 MiB), flags (1); then the key and the value (UTF-8 text, or
    // 8 bytes for an integer). The map hash is not stored: it is recomputed when a map grows.
    private const int VersionAt = 0;
    private const int ExpiresAt = 8;
    private const int SequenceAt = 16;
    private const int KeyLengthAt = 20;
    private const int FlagsAt = 23;
    internal const int HeaderSize = 24;
    private const byte IntegerFlag = 1;
    private const byte TombstoneFlag = 2;
    private const byte CounterFlag = 4;

    /// <summary>Longest key the buffer layout can hold.</summary>
    public const int MaxKeyLength = (1 << 24) - 1;

    private readonly byte[] _buf;

    internal Entry(byte[] buffer) => _buf = buffer;

    /// <summary>The stored buffer.</summary>
    internal byte[] Buffer => _buf;

    /// <summary>Hash used by the partition map (not Kamailio's slot hash).</summary>
    internal int Hash => HashOf(_buf);

    /// <summary>
    /// Creation order within the partition, kept across updates: Kamailio keeps items with equal
    /// hashes in insertion order inside a slot, which decides the order of htable.dump.
    /// </summary>
    internal int Sequence => BinaryPrimitives.ReadInt32LittleEndian(_buf.AsSpan(SequenceAt));

    /// <summary>True when the value is a 64-bit integer, false for a string.</summary>
    public bool IsInteger => (_buf[FlagsAt] & IntegerFlag) != 0;

    /// <summary>Absolute expiry in Unix milliseconds; 0 means the item never expires.</summary>
    public long ExpiresAtMs => ExpiresAtMsOf(_buf);

    /// <summary>Version stamped by the writer (hybrid logical clock); 0 for items loaded from a database.</summary>
    public long Version => BinaryPrimitives.ReadInt64LittleEndian(_buf.AsSpan(VersionAt));

    /// <summary>The key as UTF-8 bytes.</summary>
    public ReadOnlySpan<byte> KeyUtf8 => KeyOf(_buf);

    /// <summary>The string value as UTF-8 bytes (empty for integers).</summary>
    public ReadOnlySpan<byte> ValueUtf8 => IsInteger ? default : _buf.AsSpan(HeaderSize + KeyLengthOf(_buf));

    /// <summary>The integer value (0 for strings).</summary>
    public long IntValue => IsInteger ? BinaryPrimitives.ReadInt64LittleEndian(_buf.AsSpan(HeaderSize + KeyLengthOf(_buf))) : 0;

    /// <summary>The key decoded from UTF-8.</summary>
    public string Key => Encoding.UTF8.GetString(KeyUtf8);

    /// <summary>The string value decoded from UTF-8 (null for integers).</summary>
    public string? StringValue => IsInteger ? null : Encoding.UTF8.GetString(ValueUtf8);

    /// <summary>The value as text: the string itself, or the integer in decimal.</summary>
    public string ValueText => IsInteger ? IntValue.ToString(CultureInfo.InvariantCulture) : StringValue!;

    /// <summary>True when the item has an expiry that is due at <paramref name="nowMs"/>, or is a deletion marker.</summary>
    public bool IsExpired(long nowMs) => IsExpired(_buf, nowMs);

    /// <summary>
    /// True for a deletion marker of a replicated table: it keeps the version of a delete so that an
    /// older write arriving later does not bring the key back. Readers treat it as missing.
    /// </summary>
    public bool IsTombstone => IsTombstoneOf(_buf);

    internal static bool IsTombstoneOf(byte[] buf) => (buf[FlagsAt] & TombstoneFlag) != 0;

    /// <summary>
    /// True for a counter of a replicated table: an integer whose value is a base plus each origin's
    /// running total of increments since that base (<see cref="CounterState"/>).
    /// </summary>
    public bool IsCounter => IsCounterOf(_buf);

    internal static bool IsCounterOf(ReadOnlySpan<byte> buf) => (buf[FlagsAt] & CounterFlag) != 0;

    /// <summary>The base and per-origin totals of a counter item.</summary>
    internal static CounterState CounterOf(byte[] buf) => CounterState.Read(buf.AsSpan(HeaderSize + KeyLengthOf(buf)));

    /// <summary>A counter item: its value (the first 8 bytes, read like any integer) is base plus totals.</summary>
    internal static Entry CreateCounter(ReadOnlySpan<byte> key, CounterState counter, long value, long expiresAtMs, long version, int sequence)
    {
        var buf = Header(key, CounterState.ValueOffset + counter.EncodedLength, true, expiresAtMs, version, sequence);
        buf[FlagsAt] = IntegerFlag | CounterFlag;
        var span = buf.AsSpan(HeaderSize + key.Length);
        BinaryPrimitives.WriteInt64LittleEndian(span, value);
        counter.Write(span[CounterState.ValueOffset..]);
        return new Entry(buf);
    }

    internal static long VersionOf(byte[] buf) => BinaryPrimitives.ReadInt64LittleEndian(buf.AsSpan(VersionAt));

    internal static int SequenceOf(byte[] buf) => BinaryPrimitives.ReadInt32LittleEndian(buf.AsSpan(SequenceAt));

    internal static void SetSequence(byte[] buf, int sequence) => BinaryPrimitives.WriteInt32LittleEndian(buf.AsSpan(SequenceAt), sequence);

    /// <summary>
    /// Order of two versions of one key, the same on every node: the higher version wins; equal
    /// versions (two nodes stamping the same clock value) are ordered by content (flags, key, value,
    /// then expiry), so every node keeps the same one. Positive when <paramref name="a"/> wins.
    /// </summary>
    internal static int CompareVersions(byte[] a, byte[] b)
    {
        var c = VersionOf(a).CompareTo(VersionOf(b));
        if (c != 0)
            return c;
        c = a.AsSpan(FlagsAt).SequenceCompareTo(b.AsSpan(FlagsAt));
        return c != 0 ? c : ExpiresAtMsOf(a).CompareTo(ExpiresAtMsOf(b));
    }

    /// <summary>Checks that a buffer received from elsewhere has the layout of an item.</summary>
    internal static bool IsWellFormed(ReadOnlySpan<byte> buf)
    {
        if (buf.Length < HeaderSize)
            return false;
        var keyLength = buf[KeyLengthAt] | (buf[KeyLengthAt + 1] << 8) | (buf[KeyLengthAt + 2] << 16);
        var flags = buf[FlagsAt];
        if (flags is not (0 or IntegerFlag or TombstoneFlag or (IntegerFlag | CounterFlag)) || HeaderSize + keyLength > buf.Length)
            return false;
        var value = buf[(HeaderSize + keyLength)..];
        if ((flags & TombstoneFlag) != 0)
            return value.IsEmpty;
        if ((flags & CounterFlag) != 0)
            return CounterState.IsWellFormed(value);
        return (flags & IntegerFlag) == 0 || value.Length == sizeof(long);
    }

    internal static int HashOf(byte[] buf) => (int)KeyHash.Of(KeyOf(buf));

    internal static long ExpiresAtMsOf(byte[] buf) => BinaryPrimitives.ReadInt64LittleEndian(buf.AsSpan(ExpiresAt));

    internal static bool IsExpired(byte[] buf, long nowMs)
    {
        var at = ExpiresAtMsOf(buf);
        return (at != 0 && nowMs >= at) || (buf[FlagsAt] & TombstoneFlag) != 0;
    }

    internal static ReadOnlySpan<byte> KeyOf(byte[] buf) => buf.AsSpan(HeaderSize, KeyLengthOf(buf));

    internal static ReadOnlySpan<byte> KeyOf(ReadOnlySpan<byte> buf) =>
        buf.Slice(HeaderSize, buf[KeyLengthAt] | (buf[KeyLengthAt + 1] << 8) | (buf[KeyLengthAt + 2] << 16));

    internal static bool KeyEquals(byte[] buf, ReadOnlySpan<byte> key) =>
        KeyLengthOf(buf) == key.Length && key.SequenceEqual(buf.AsSpan(HeaderSize, key.Length));

    private static int KeyLengthOf(byte[] buf) => buf[KeyLengthAt] | (buf[KeyLengthAt + 1] << 8) | (buf[KeyLengthAt + 2] << 16);

    internal static Entry CreateString(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long expiresAtMs, long version, int sequence)
    {
        var buf = Header(key, value.Length, false, expiresAtMs, version, sequence);
        value.CopyTo(buf.AsSpan(HeaderSize + key.Length));
        return new Entry(buf);
    }

    internal static Entry CreateInteger(ReadOnlySpan<byte> key, long value, long expiresAtMs, long version, int sequence)
    {
        var buf = Header(key, sizeof(long), true, expiresAtMs, version, sequence);
        BinaryPrimitives.WriteInt64LittleEndian(buf.AsSpan(HeaderSize + key.Length), value);
        return new Entry(buf);
    }

    /// <summary>
    /// A deletion marker for <paramref name="key"/> stamped with <paramref name="version"/>;
    /// <paramref name="deadSinceMs"/> (kept in the expiry field) starts its grace period.
    /// </summary>
    internal static Entry CreateTombstone(ReadOnlySpan<byte> key, long version, long deadSinceMs, int sequence)
    {
        var buf = Header(key, 0, false, deadSinceMs, version, sequence);
        buf[FlagsAt] = TombstoneFlag;
        return new Entry(buf);
    }

    /// <summary>The same item with another expiry and version (a new buffer: published buffers never change).</summary>
    internal Entry WithExpiry(long expiresAtMs, long version)
    {
        var buf = (byte[])_buf.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(buf.AsSpan(VersionAt), version);
        BinaryPrimitives.WriteInt64LittleEndian(buf.AsSpan(ExpiresAt), expiresAtMs);
        return new Entry(buf);
    }

    private static byte[] Header(ReadOnlySpan<byte> key, int valueLength, bool isInteger, long expiresAtMs, long version, int sequence)
    {
        if (key.Length > MaxKeyLength)
            throw new ArgumentException($"key of {key.Length} bytes exceeds {MaxKeyLength}", nameof(key));
        var buf = GC.AllocateUninitializedArray<byte>(HeaderSize + key.Length + valueLength);
        var span = buf.AsSpan();
        BinaryPrimitives.WriteInt64LittleEndian(span[VersionAt..], version);
        BinaryPrimitives.WriteInt64LittleEndian(span[ExpiresAt..], expiresAtMs);
        BinaryPrimitives.WriteInt32LittleEndian(span[SequenceAt..], sequence);
        span[KeyLengthAt] = (byte)key.Length;
        span[KeyLengthAt + 1] = (byte)(key.Length >> 8);
        span[KeyLengthAt + 2] = (byte)(key.Length >> 16);
        span[FlagsAt] = isInteger ? IntegerFlag : (byte)0;
        key.CopyTo(span[HeaderSize..]);
        return buf;
    }
}
