using System.Globalization;

namespace HTableCluster.Node.Resp;

/// <summary>Numbers as Redis reads and writes them (string2ll, <c>%.17g</c>).</summary>
public static class RespNumbers
{
    /// <summary>
    /// Redis's string2ll: an optional '-', then digits without a leading zero (except "0" itself),
    /// nothing else (no '+', no spaces), within a signed 64-bit integer.
    /// </summary>
    public static bool TryParseInt64(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.Length is 0 or > 20)
            return false;
        if (text.Length == 1 && text[0] == (byte)'0')
            return true;
        var negative = text[0] == (byte)'-';
        var digits = negative ? text[1..] : text;
        if (digits.Length == 0 || digits[0] is < (byte)'1' or > (byte)'9')
            return false;
        ulong v = 0;
        foreach (var b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9')
                return false;
            var d = (ulong)(b - '0');
            if (v > (ulong.MaxValue - d) / 10)
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
    /// A SCAN or HSCAN cursor as Redis reads it (parseScanCursorOrReply) (<c>strtoul</c>, base 10): no leading space, an optional sign
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

    /// <summary>A double as Redis 7.0 replies with it (C's <c>%.17g</c>; <c>inf</c>, <c>-inf</c>, <c>nan</c>).</summary>
    public static string FormatDouble(double value)
    {
        if (double.IsPositiveInfinity(value))
            return "inf";
        if (double.IsNegativeInfinity(value))
            return "-inf";
        if (double.IsNaN(value))
            return "nan";
        // .NET's G17 picks fixed or scientific notation by the same rule as C's %g and writes at
        // least two exponent digits; C writes the 'e' in lower case.
        var text = value.ToString("G17", CultureInfo.InvariantCulture);
        return text.Contains('E', StringComparison.Ordinal) ? text.Replace('E', 'e') : text;
    }
}
