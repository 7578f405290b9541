using System.Numerics;
using System.Text;

namespace HTableCluster.Node.Resp;

/// <summary>
/// The x87 80-bit <c>long double</c> Redis's INCRBYFLOAT computes with (64-bit mantissa, round half
/// to even), emulated exactly with big integers so that results print digit for digit as Redis
/// prints them (<c>%.17Lf</c>, trailing zeros removed): <c>1000.1</c> gives <c>1000.09999999999999998</c>
/// there and here. A value is <c>Mantissa * 2^Exponent</c>, the mantissa 0 or 64 bits long.
/// </summary>
internal readonly struct LongDouble
{
    private const int MantissaBits = 64;
    private const int MaxExponent = 16384; // values below 2^16384
    private const int MinExponent = -16382; // smallest normal: 2^-16382
    private const int MaxTextLength = 5 * 1024 - 1; // Redis's MAX_LONG_DOUBLE_CHARS buffer
    private static readonly BigInteger TenTo17 = BigInteger.Pow(10, 17);

    private LongDouble(bool negative, BigInteger mantissa, int exponent, bool infinite)
    {
        Negative = negative;
        Mantissa = mantissa;
        Exponent = exponent;
        IsInfinite = infinite;
    }

    private bool Negative { get; }

    private BigInteger Mantissa { get; }

    private int Exponent { get; }

    /// <summary>True for ±infinity (Redis answers "increment would produce NaN or Infinity").</summary>
    public bool IsInfinite { get; }

    /// <summary>An integer, exactly (64 bits fit the mantissa).</summary>
    public static LongDouble FromInt64(long value) =>
        value == 0 ? default : Round(value < 0, BigInteger.Abs(value), 0, sticky: false);

    /// <summary>
    /// Redis's <c>string2ld</c>: strtold over the whole text (no leading space, nothing after the
    /// number), refusing NaN and results out of range; <c>inf</c>, <c>infinity</c> and hexadecimal
    /// floats (<c>0x1.8p3</c>) are read too.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> s, out LongDouble value)
    {
        value = default;
        if (s.Length is 0 or > MaxTextLength)
            return false;
        var i = 0;
        var negative = false;
        if (s[0] is (byte)'+' or (byte)'-')
        {
            negative = s[0] == '-';
            i++;
        }
        var rest = s[i..];
        if (Ascii.EqualsIgnoreCase(rest, "inf"u8) || Ascii.EqualsIgnoreCase(rest, "infinity"u8))
        {
            value = new LongDouble(negative, BigInteger.Zero, 0, infinite: true);
            return true;
        }
        if (rest.Length > 2 && rest[0] == '0' && rest[1] is (byte)'x' or (byte)'X')
            return TryParseHex(negative, rest[2..], out value);
        var digits = BigInteger.Zero;
        var anyDigit = false;
        var scale = 0L;
        var seenPoint = false;
        for (; i < s.Length; i++)
        {
            var c = s[i];
            if (c is >= (byte)'0' and <= (byte)'9')
            {
                digits = (digits * 10) + (c - '0');
                anyDigit = true;
                if (seenPoint)
                    scale--;
            }
            else if (c == '.' && !seenPoint)
            {
                seenPoint = true;
            }
            else
            {
                break;
            }
        }
        if (!anyDigit)
            return false;
        if (i < s.Length)
        {
            if (s[i] is not ((byte)'e' or (byte)'E') || !TryReadExponent(s[(i + 1)..], out var exp))
                return false;
            scale += exp;
        }
        if (digits.IsZero)
        {
            value = new LongDouble(negative, BigInteger.Zero, 0, false);
            return true;
        }
        // Far outside the range either way: strtold reports ERANGE, which Redis refuses.
        if (scale > 5000 || scale < -5100)
            return false;
        LongDouble v;
        if (scale >= 0)
        {
            v = Round(negative, digits * BigInteger.Pow(10, (int)scale), 0, sticky: false);
        }
        else
        {
            var den = BigInteger.Pow(10, (int)-scale);
            var shift = (int)Math.Max(0, MantissaBits + 2 + den.GetBitLength() - digits.GetBitLength());
            var q = BigInteger.DivRem(digits << shift, den, out var r);
            v = Round(negative, q, -shift, sticky: !r.IsZero);
        }
        if (v.IsInfinite || v.Exponent + MantissaBits - 1 < MinExponent)
            return false;
        value = v;
        return true;
    }

    // strtold's hexadecimal form: hex digits with an optional point, then an optional binary exponent p±n.
    private static bool TryParseHex(bool negative, ReadOnlySpan<byte> s, out LongDouble value)
    {
        value = default;
        var digits = BigInteger.Zero;
        var anyDigit = false;
        var seenPoint = false;
        long exponent = 0;
        var i = 0;
        for (; i < s.Length; i++)
        {
            var c = s[i];
            var d = c is >= (byte)'0' and <= (byte)'9' ? c - '0' : c is >= (byte)'a' and <= (byte)'f' ? c - 'a' + 10 : c is >= (byte)'A' and <= (byte)'F' ? c - 'A' + 10 : -1;
            if (d >= 0)
            {
                digits = (digits << 4) + d;
                anyDigit = true;
                if (seenPoint)
                    exponent -= 4;
            }
            else if (c == '.' && !seenPoint)
            {
                seenPoint = true;
            }
            else
            {
                break;
            }
        }
        if (!anyDigit)
            return false;
        if (i < s.Length)
        {
            if (s[i] is not ((byte)'p' or (byte)'P') || !TryReadExponent(s[(i + 1)..], out var p))
                return false;
            exponent += p;
        }
        if (digits.IsZero)
        {
            value = new LongDouble(negative, BigInteger.Zero, 0, false);
            return true;
        }
        if (exponent is > 20_000 or < -20_000)
            return false;
        var v = Round(negative, digits, (int)exponent, sticky: false);
        if (v.IsInfinite || v.Exponent + MantissaBits - 1 < MinExponent)
            return false;
        value = v;
        return true;
    }

    /// <summary>The sum, rounded once as the x87 unit rounds it.</summary>
    public static LongDouble operator +(LongDouble a, LongDouble b)
    {
        if (a.IsInfinite || b.IsInfinite)
            return new LongDouble(a.IsInfinite ? a.Negative : b.Negative, BigInteger.Zero, 0, infinite: true);
        if (a.Mantissa.IsZero)
            return b;
        if (b.Mantissa.IsZero)
            return a;
        var e = Math.Min(a.Exponent, b.Exponent);
        var x = a.Mantissa << (a.Exponent - e);
        var y = b.Mantissa << (b.Exponent - e);
        var sum = (a.Negative ? -x : x) + (b.Negative ? -y : y);
        return sum.IsZero ? default : Round(sum.Sign < 0, BigInteger.Abs(sum), e, sticky: false);
    }

    /// <summary>Redis's human form: <c>%.17Lf</c> with trailing zeros (and a trailing point) removed; "-0" is "0".</summary>
    public override string ToString()
    {
        if (IsInfinite)
            return Negative ? "-inf" : "inf";
        BigInteger scaled;
        if (Exponent >= 0)
        {
            scaled = (Mantissa << Exponent) * TenTo17;
        }
        else
        {
            var den = BigInteger.One << -Exponent;
            scaled = BigInteger.DivRem(Mantissa * TenTo17, den, out var r);
            var twice = r << 1;
            if (twice > den || (twice == den && !scaled.IsEven))
                scaled += 1;
        }
        var digits = scaled.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(18, '0');
        var sb = new StringBuilder(digits.Length + 2);
        sb.Append(digits, 0, digits.Length - 17).Append('.').Append(digits, digits.Length - 17, 17);
        var end = sb.Length;
        while (sb[end - 1] == '0')
            end--;
        if (sb[end - 1] == '.')
            end--;
        var text = sb.ToString(0, end);
        return Negative && text != "0" ? "-" + text : text;
    }

    // Rounds a non-negative integer times 2^exponent to 64 bits, half to even (sticky: bits below were dropped).
    private static LongDouble Round(bool negative, BigInteger value, int exponent, bool sticky)
    {
        var bits = (int)value.GetBitLength();
        if (bits <= MantissaBits)
            return Make(negative, value << (MantissaBits - bits), exponent - (MantissaBits - bits));
        var drop = bits - MantissaBits;
        var kept = value >> drop;
        var rest = value - (kept << drop);
        var half = BigInteger.One << (drop - 1);
        var cmp = rest.CompareTo(half);
        if (cmp > 0 || (cmp == 0 && (sticky || !kept.IsEven)))
            kept += 1;
        if (kept.GetBitLength() > MantissaBits)
        {
            kept >>= 1;
            drop++;
        }
        return Make(negative, kept, exponent + drop);
    }

    private static LongDouble Make(bool negative, BigInteger mantissa, int exponent) =>
        exponent + MantissaBits > MaxExponent
            ? new LongDouble(negative, BigInteger.Zero, 0, infinite: true)
            : new LongDouble(negative, mantissa, exponent, false);

    // The exponent after 'e' or 'p', to the end of the text: an optional sign, then at least one
    // digit; values past 100,000 stop growing (far outside the range either way).
    private static bool TryReadExponent(ReadOnlySpan<byte> s, out long exponent)
    {
        exponent = 0;
        var i = 0;
        var negative = false;
        if (i < s.Length && s[i] is (byte)'+' or (byte)'-')
        {
            negative = s[i] == '-';
            i++;
        }
        if (i >= s.Length)
            return false;
        for (; i < s.Length; i++)
        {
            var d = s[i] - '0';
            if (d is < 0 or > 9)
                return false;
            if (exponent < 100_000)
                exponent = (exponent * 10) + d;
        }
        if (negative)
            exponent = -exponent;
        return true;
    }
}
