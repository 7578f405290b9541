using System.Globalization;
using System.Text;

namespace HTableCluster.Benchmarks;

/// <summary>
/// Keys and values of fixed size shared by the micro-benchmarks, the memory tool and
/// memory-vs-redis.sh: key i is "k" + 15 digits (16 bytes), value i is "v" + 63 digits (64 bytes).
/// </summary>
internal static class TestData
{
    public const int KeyBytes = 16;
    public const int ValueBytes = 64;

    public static string Key(long i) => "k" + i.ToString("D15", CultureInfo.InvariantCulture);

    public static string Value(long i) => "v" + i.ToString("D63", CultureInfo.InvariantCulture);

    /// <summary>Writes key i into <paramref name="dest"/> (16 bytes) without allocating.</summary>
    public static void WriteKey(long i, Span<byte> dest) => WriteNumbered((byte)'k', i, dest[..KeyBytes]);

    /// <summary>Writes value i into <paramref name="dest"/> (64 bytes) without allocating.</summary>
    public static void WriteValue(long i, Span<byte> dest) => WriteNumbered((byte)'v', i, dest[..ValueBytes]);

    public static byte[] KeyUtf8(long i) => Encoding.UTF8.GetBytes(Key(i));

    public static byte[] ValueUtf8(long i) => Encoding.UTF8.GetBytes(Value(i));

    private static void WriteNumbered(byte prefix, long i, Span<byte> dest)
    {
        dest[0] = prefix;
        for (var p = dest.Length - 1; p >= 1; p--)
        {
            dest[p] = (byte)('0' + (i % 10));
            i /= 10;
        }
    }
}
