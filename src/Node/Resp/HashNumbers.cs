namespace HTableCluster.Node.Resp;

/// <summary>
/// Redis's number parsing for the hash commands, byte for byte: <c>string2ll</c> (integers) and the
/// SCAN cursor (<c>strtoul</c>). Floats are <see cref="LongDouble"/>.
/// </summary>
internal static class HashNumbers
{
    /// <summary>Redis's <c>string2ll</c>: an optional <c>-</c>, no <c>+</c>, no leading zeros, no spaces.</summary>
    public static bool TryParseInt64(ReadOnlySpan<byte> s, out long value)
    {
        value = 0;
        if (s.Length is 0 or >= 21)
            return false;
        if (s.Length == 1 && s[0] == '0')
            return true;
        var i = 0;
        var negative = s[0] == '-';
        if (negative && ++i == s.Length)
            return false;
        if (s[i] is < (byte)'1' or > (byte)'9')
            return false;
        ulong v = 0;
        for (; i < s.Length; i++)
        {
            var d = (uint)(s[i] - '0');
            if (d > 9 || v > (ulong.MaxValue - d) / 10)
                return false;
            v = (v * 10) + d;
        }
        if (negative)
        {
            if (v > (ulong)long.MaxValue + 1)
                return false;
            value = (long)(0 - v);
            return true;
        }
        if (v > long.MaxValue)
            return false;
        value = (long)v;
        return true;
    }

    /// <summary>
    /// A SCAN cursor as Redis reads it (<c>strtoul</c>, base 10): no leading space, an optional sign
    /// (<c>-n</c> wraps as in C), nothing after the digits; the empty text is 0.
    /// </summary>
    public static bool TryParseCursor(ReadOnlySpan<byte> s, out ulong cursor)
    {
        cursor = 0;
        if (s.Length == 0)
            return true;
        var i = 0;
        var negative = false;
        if (s[0] is (byte)'-' or (byte)'+')
        {
            negative = s[0] == '-';
            i++;
        }
        if (i == s.Length)
            return false;
        ulong v = 0;
        for (; i < s.Length; i++)
        {
            var d = (uint)(s[i] - '0');
            if (d > 9 || v > (ulong.MaxValue - d) / 10)
                return false;
            v = (v * 10) + d;
        }
        cursor = negative ? 0 - v : v;
        return true;
    }
}
