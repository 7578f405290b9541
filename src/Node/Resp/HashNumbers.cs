using System.Globalization;
using System.Text;

namespace HTableCluster.Node.Resp;

/// <summary>
/// Redis's number parsing for the hash commands, byte for byte: <c>string2ll</c> (integers),
/// <c>string2ld</c> (floats) and the SCAN cursor (<c>strtoul</c>), and the float arithmetic of
/// HINCRBYFLOAT with Redis's output (<c>%.17Lf</c> without trailing zeros).
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

    /// <summary>
    /// Redis's <c>string2ld</c>: decimal text with an optional exponent, hexadecimal integers
    /// (<c>0x10</c>), <c>inf</c>/<c>infinity</c>; no leading space, nothing after the number, no NaN.
    /// </summary>
    public static bool TryParseFloat(ReadOnlySpan<byte> s, out Float value)
    {
        value = Float.Zero;
        if (s.Length is 0 or >= 5 * 1024 || char.IsWhiteSpace((char)s[0]))
            return false;
        Span<char> text = s.Length <= 256 ? stackalloc char[s.Length] : new char[s.Length];
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] > 127)
                return false;
            text[i] = (char)s[i];
        }
        ReadOnlySpan<char> unsigned = text[0] is '-' or '+' ? text[1..] : text;
        var minus = text[0] == '-';
        if (unsigned.Equals("inf", StringComparison.OrdinalIgnoreCase) || unsigned.Equals("infinity", StringComparison.OrdinalIgnoreCase))
        {
            value = new(0, minus ? double.NegativeInfinity : double.PositiveInfinity, IsDecimal: false);
            return true;
        }
        if (unsigned.Length > 2 && unsigned[0] == '0' && (unsigned[1] | 0x20) == 'x')
        {
            if (!ulong.TryParse(unsigned[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
                return false;
            value = new((decimal)hex * (minus ? -1 : 1), 0, IsDecimal: true);
            return true;
        }
        const NumberStyles Style = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;
        if (decimal.TryParse(text, Style, CultureInfo.InvariantCulture, out var d))
        {
            value = new(d, 0, IsDecimal: true);
            return true;
        }
        if (double.TryParse(text, Style, CultureInfo.InvariantCulture, out var f) && !double.IsNaN(f))
        {
            // Past the range of a double Redis's long double still holds the value; here it is infinite.
            value = new(0, f, IsDecimal: false);
            return true;
        }
        return false;
    }

    /// <summary>
    /// A number of HINCRBYFLOAT: exact decimal (28 digits) while it fits, a double past that. Redis
    /// computes in an x87 long double: results differ only where its binary rounding shows in the
    /// 17 decimal places it prints.
    /// </summary>
    public readonly record struct Float(decimal Decimal, double Double, bool IsDecimal)
    {
        /// <summary>0.</summary>
        public static readonly Float Zero = new(0m, 0, IsDecimal: true);

        /// <summary>An integer item's value.</summary>
        public static Float Of(long value) => new(value, 0, IsDecimal: true);

        /// <summary>False for infinities.</summary>
        public bool IsFinite => IsDecimal || double.IsFinite(Double);

        private double AsDouble => IsDecimal ? (double)Decimal : Double;

        /// <summary>The sum, exact while it fits a decimal.</summary>
        public Float Add(Float other)
        {
            if (IsDecimal && other.IsDecimal)
            {
                // |a + b| < 2 * 7.9e28: overflow only when both are large, checked without throwing.
                const decimal Half = decimal.MaxValue / 2;
                if (Math.Abs(Decimal) < Half && Math.Abs(other.Decimal) < Half)
                    return new(Decimal + other.Decimal, 0, IsDecimal: true);
            }
            return new(0, AsDouble + other.AsDouble, IsDecimal: false);
        }

        /// <summary>Redis's <c>ld2string(LD_STR_HUMAN)</c>: 17 decimal places, trailing zeros removed, <c>-0</c> as <c>0</c>.</summary>
        public string ToRedisString()
        {
            var text = IsDecimal
                ? Math.Round(Decimal, 17, MidpointRounding.ToEven).ToString("F17", CultureInfo.InvariantCulture)
                : Double.ToString("F17", CultureInfo.InvariantCulture);
            var end = text.Length;
            if (text.Contains('.', StringComparison.Ordinal))
            {
                while (text[end - 1] == '0')
                    end--;
                if (text[end - 1] == '.')
                    end--;
            }
            var result = text[..end];
            return result == "-0" ? "0" : result;
        }
    }
}
