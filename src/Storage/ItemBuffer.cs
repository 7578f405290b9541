using System.Buffers.Binary;

namespace HTableCluster.Storage;

/// <summary>
/// The layout of an item buffer, the single immutable array a table stores per item (see
/// <see cref="Entry"/>), read in one place. Replication checks and routes buffers received from peers
/// with the public members without decoding them; Storage reads every other field through the
/// internal ones.
/// </summary>
/// <remarks>
/// Layout (little endian), a 24-byte header so that a 16-byte key with a 64-byte value fills exactly
/// 128 bytes with the array header: version (8), expiry (8), creation sequence (4), key length
/// (3 bytes, up to 16 MiB), flags (1); then the key and the value (UTF-8 text, or 8 bytes for an
/// integer, followed by the <see cref="CounterState"/> of a counter). The map hash is not stored: it is
/// recomputed when a map grows.
/// </remarks>
public static class ItemBuffer
{
    internal const int VersionAt = 0;
    internal const int ExpiresAt = 8;
    internal const int SequenceAt = 16;
    internal const int KeyLengthAt = 20;
    internal const int FlagsAt = 23;
    internal const int HeaderSize = 24;
    internal const byte IntegerFlag = 1;
    internal const byte TombstoneFlag = 2;
    internal const byte CounterFlag = 4;
    internal const int MaxKeyLength = (1 << 24) - 1;

    /// <summary>
    /// True when <paramref name="item"/> has the layout of an item buffer: a complete header, known
    /// flags, a key that fits, and a value of the right shape (empty for a deletion marker, 8 bytes for
    /// an integer, a consistent state for a counter). Checked before
    /// <see cref="TablePartition.Merge"/>; the other members of this type expect a well-formed buffer.
    /// </summary>
    public static bool IsWellFormed(ReadOnlySpan<byte> item)
    {
        if (item.Length < HeaderSize)
            return false;
        var keyLength = KeyLengthOf(item);
        var flags = item[FlagsAt];
        if (flags is not (0 or IntegerFlag or TombstoneFlag or (IntegerFlag | CounterFlag)) || HeaderSize + keyLength > item.Length)
            return false;
        var value = item[(HeaderSize + keyLength)..];
        if ((flags & TombstoneFlag) != 0)
            return value.IsEmpty;
        if ((flags & CounterFlag) != 0)
            return CounterState.IsWellFormed(value);
        return (flags & IntegerFlag) == 0 || value.Length == sizeof(long);
    }

    /// <summary>True when a well-formed item buffer is a counter (see <see cref="Entry.IsCounter"/>).</summary>
    public static bool IsCounter(ReadOnlySpan<byte> item) => (item[FlagsAt] & CounterFlag) != 0;

    /// <summary>The version of a well-formed item buffer (see <see cref="Entry.Version"/>).</summary>
    public static long VersionOf(ReadOnlySpan<byte> item) => BinaryPrimitives.ReadInt64LittleEndian(item[VersionAt..]);

    internal static bool IsTombstone(ReadOnlySpan<byte> item) => (item[FlagsAt] & TombstoneFlag) != 0;

    internal static bool IsInteger(ReadOnlySpan<byte> item) => (item[FlagsAt] & IntegerFlag) != 0;

    internal static long ExpiresAtMsOf(ReadOnlySpan<byte> item) => BinaryPrimitives.ReadInt64LittleEndian(item[ExpiresAt..]);

    internal static int SequenceOf(ReadOnlySpan<byte> item) => BinaryPrimitives.ReadInt32LittleEndian(item[SequenceAt..]);

    /// <summary>Only on a buffer not yet published to readers.</summary>
    internal static void SetSequence(Span<byte> item, int sequence) => BinaryPrimitives.WriteInt32LittleEndian(item[SequenceAt..], sequence);

    // The key length is a 3-byte little-endian number (ReadInt32 would need a fourth byte).
    internal static int KeyLengthOf(ReadOnlySpan<byte> item) => item[KeyLengthAt] | (item[KeyLengthAt + 1] << 8) | (item[KeyLengthAt + 2] << 16);

    internal static void WriteKeyLength(Span<byte> item, int length)
    {
        item[KeyLengthAt] = (byte)length;
        item[KeyLengthAt + 1] = (byte)(length >> 8);
        item[KeyLengthAt + 2] = (byte)(length >> 16);
    }

    internal static ReadOnlySpan<byte> KeyOf(ReadOnlySpan<byte> item) => item.Slice(HeaderSize, KeyLengthOf(item));

    /// <summary>Where the value starts: after the header and the key.</summary>
    internal static int ValueAt(ReadOnlySpan<byte> item) => HeaderSize + KeyLengthOf(item);

    internal static bool KeyEquals(ReadOnlySpan<byte> item, ReadOnlySpan<byte> key) =>
        KeyLengthOf(item) == key.Length && key.SequenceEqual(item.Slice(HeaderSize, key.Length));

    /// <summary>Hash used by the partition map (not Kamailio's slot hash).</summary>
    internal static int HashOf(ReadOnlySpan<byte> item) => (int)KeyHash.Of(KeyOf(item));

    /// <summary>True when the item has an expiry that is due at <paramref name="nowMs"/>, or is a deletion marker.</summary>
    internal static bool IsExpired(ReadOnlySpan<byte> item, long nowMs)
    {
        var at = ExpiresAtMsOf(item);
        return (at != 0 && nowMs >= at) || IsTombstone(item);
    }

    /// <summary>The base and per-origin totals of a counter item.</summary>
    internal static CounterState CounterOf(ReadOnlySpan<byte> item) => CounterState.Read(item[ValueAt(item)..]);

    /// <summary>
    /// Order of two versions of one key, the same on every node: the higher version wins; equal
    /// versions (two nodes stamping the same clock value) are ordered by content (flags, key, value,
    /// then expiry), so every node keeps the same one. Positive when <paramref name="a"/> wins.
    /// </summary>
    internal static int CompareVersions(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var c = VersionOf(a).CompareTo(VersionOf(b));
        if (c != 0)
            return c;
        c = a[FlagsAt..].SequenceCompareTo(b[FlagsAt..]);
        return c != 0 ? c : ExpiresAtMsOf(a).CompareTo(ExpiresAtMsOf(b));
    }
}
