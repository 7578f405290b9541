using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using static HTableCluster.Storage.ItemBuffer;

namespace HTableCluster.Storage;

/// <summary>
/// One item of a table, as handed to readers: a view over the item's single immutable buffer.
/// A table stores only that buffer (metadata, key and value in one array, UTF-8; layout in
/// <see cref="ItemBuffer"/>), which keeps the per-item footprint to one object; a write replaces the
/// whole buffer, so a reader on any thread sees either the old or the new item, never a mix.
/// </summary>
public sealed class Entry
{
    /// <summary>Longest key the buffer layout can hold.</summary>
    public const int MaxKeyLength = ItemBuffer.MaxKeyLength;

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
    internal int Sequence => SequenceOf(_buf);

    /// <summary>True when the value is a 64-bit integer, false for a string.</summary>
    public bool IsInteger => ItemBuffer.IsInteger(_buf);

    /// <summary>Absolute expiry in Unix milliseconds; 0 means the item never expires.</summary>
    public long ExpiresAtMs => ExpiresAtMsOf(_buf);

    /// <summary>Version stamped by the writer (hybrid logical clock); 0 for items loaded from a database.</summary>
    public long Version => VersionOf(_buf);

    /// <summary>The key as UTF-8 bytes.</summary>
    public ReadOnlySpan<byte> KeyUtf8 => KeyOf(_buf);

    /// <summary>The string value as UTF-8 bytes (empty for integers).</summary>
    public ReadOnlySpan<byte> ValueUtf8 => IsInteger ? default : _buf.AsSpan(ValueAt(_buf));

    /// <summary>
    /// The string value's bytes without a copy (empty for integers): the item's buffer never changes
    /// once published, so the memory stays valid and unchanged however long a reader holds it.
    /// </summary>
    public ReadOnlyMemory<byte> ValueMemory => IsInteger ? default : _buf.AsMemory(ValueAt(_buf));

    /// <summary>The integer value (0 for strings).</summary>
    public long IntValue => IsInteger ? BinaryPrimitives.ReadInt64LittleEndian(_buf.AsSpan(ValueAt(_buf))) : 0;

    /// <summary>The key decoded from UTF-8.</summary>
    public string Key => Encoding.UTF8.GetString(KeyUtf8);

    /// <summary>The string value decoded from UTF-8 (null for integers).</summary>
    public string? StringValue => IsInteger ? null : Encoding.UTF8.GetString(ValueUtf8);

    /// <summary>The value as text: the string itself, or the integer in decimal.</summary>
    public string ValueText => IsInteger ? IntValue.ToString(CultureInfo.InvariantCulture) : StringValue!;

    /// <summary>True when the item has an expiry that is due at <paramref name="nowMs"/>, or is a deletion marker.</summary>
    public bool IsExpired(long nowMs) => ItemBuffer.IsExpired(_buf, nowMs);

    /// <summary>
    /// True for a deletion marker of a replicated table: it keeps the version of a delete so that an
    /// older write arriving later does not bring the key back. Readers treat it as missing.
    /// </summary>
    public bool IsTombstone => ItemBuffer.IsTombstone(_buf);

    /// <summary>
    /// True for a counter of a replicated table: an integer whose value is a base plus each origin's
    /// running total of increments since that base (<see cref="CounterState"/>).
    /// </summary>
    public bool IsCounter => ItemBuffer.IsCounter(_buf);

    /// <summary>A counter item: its value (the first 8 bytes, read like any integer) is base plus totals.</summary>
    internal static Entry CreateCounter(ReadOnlySpan<byte> key, CounterState counter, long value, long expiresAtMs, long version, int sequence)
    {
        var buf = Header(key, CounterState.ValueOffset + counter.EncodedLength, IntegerFlag | CounterFlag, expiresAtMs, version, sequence);
        var span = buf.AsSpan(HeaderSize + key.Length);
        BinaryPrimitives.WriteInt64LittleEndian(span, value);
        counter.Write(span[CounterState.ValueOffset..]);
        return new Entry(buf);
    }

    internal static Entry CreateString(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long expiresAtMs, long version, int sequence)
    {
        var buf = Header(key, value.Length, 0, expiresAtMs, version, sequence);
        value.CopyTo(buf.AsSpan(HeaderSize + key.Length));
        return new Entry(buf);
    }

    internal static Entry CreateInteger(ReadOnlySpan<byte> key, long value, long expiresAtMs, long version, int sequence)
    {
        var buf = Header(key, sizeof(long), IntegerFlag, expiresAtMs, version, sequence);
        BinaryPrimitives.WriteInt64LittleEndian(buf.AsSpan(HeaderSize + key.Length), value);
        return new Entry(buf);
    }

    /// <summary>
    /// A deletion marker for <paramref name="key"/> stamped with <paramref name="version"/>;
    /// <paramref name="deadSinceMs"/> (kept in the expiry field) starts its grace period.
    /// </summary>
    internal static Entry CreateTombstone(ReadOnlySpan<byte> key, long version, long deadSinceMs, int sequence) =>
        new(Header(key, 0, TombstoneFlag, deadSinceMs, version, sequence));

    /// <summary>The same item with another expiry and version (a new buffer: published buffers never change).</summary>
    internal Entry WithExpiry(long expiresAtMs, long version)
    {
        var buf = (byte[])_buf.Clone();
        WriteStamp(buf, version, expiresAtMs);
        return new Entry(buf);
    }

    private static byte[] Header(ReadOnlySpan<byte> key, int valueLength, byte flags, long expiresAtMs, long version, int sequence)
    {
        if (key.Length > MaxKeyLength)
            throw new ArgumentException($"key of {key.Length} bytes exceeds {MaxKeyLength}", nameof(key));
        var buf = GC.AllocateUninitializedArray<byte>(HeaderSize + key.Length + valueLength);
        WriteStamp(buf, version, expiresAtMs);
        SetSequence(buf, sequence);
        WriteKeyLength(buf, key.Length);
        buf[FlagsAt] = flags;
        key.CopyTo(buf.AsSpan(HeaderSize));
        return buf;
    }

    private static void WriteStamp(Span<byte> buf, long version, long expiresAtMs)
    {
        BinaryPrimitives.WriteInt64LittleEndian(buf[VersionAt..], version);
        BinaryPrimitives.WriteInt64LittleEndian(buf[ExpiresAt..], expiresAtMs);
    }
}
