namespace HTableCluster.Storage;

/// <summary>
/// Kamailio's <c>core_case_hash</c> (src/core/hashes.h), which htable uses to place an item in a
/// slot. Ported byte for byte, including C's signed <c>char</c> on x86-64, so slot numbers and the
/// order of <c>htable.dump</c> match the reference server.
/// </summary>
public static class KamailioHash
{
    /// <summary>The 32-bit hash of <paramref name="key"/> (the item's "cellid" in Kamailio).</summary>
    public static uint Compute(ReadOnlySpan<byte> key)
    {
        uint h = 0;
        uint v;
        var p = 0;
        var end = key.Length;
        for (; p <= end - 4; p += 4)
        {
            v = (uint)(Lower(key[p]) << 24) + (uint)(Lower(key[p + 1]) << 16) + (uint)(Lower(key[p + 2]) << 8)
                + (uint)Lower(key[p + 3]);
            h += v ^ (v >> 3);
        }
        v = 0;
        for (; p < end; p++)
        {
            v <<= 8;
            v += (uint)Lower(key[p]);
        }
        h += v ^ (v >> 3);
        h = (h + (h >> 11)) + ((h >> 13) + (h >> 23));
        return h;
    }

    /// <summary>Slot index for a table of <paramref name="slotCount"/> slots (a power of two).</summary>
    public static int SlotOf(ReadOnlySpan<byte> key, int slotCount) => (int)(Compute(key) & (uint)(slotCount - 1));

    // ch_icase on a (signed) char: ASCII upper case folds to lower case; bytes >= 0x80 are negative.
    private static int Lower(byte b)
    {
        int c = (sbyte)b;
        return c is >= 'A' and <= 'Z' ? c | 0x20 : c;
    }
}
