using System.Buffers;
using System.Text;

namespace HTableCluster.FlatStore;

/// <summary>
/// One accounting record as db_flatstore writes it: the fields separated by <c>|</c>, NULL as an
/// empty field, <c>\n</c> at the end. A <c>|</c> inside a value is written <c>%7C</c>; so that a
/// record stays one line, a line feed or carriage return inside a value is written <c>%0A</c> or
/// <c>%0D</c>.
/// </summary>
public static class FlatRecord
{
    private static readonly SearchValues<char> Special = SearchValues.Create("|\n\r");

    /// <summary>The record's bytes (UTF-8), ending in <c>\n</c>.</summary>
    public static byte[] Format(IReadOnlyList<string?> fields)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        Append(buffer, fields);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Appends the record's bytes (UTF-8, ending in <c>\n</c>) to <paramref name="output"/>.</summary>
    public static void Append(IBufferWriter<byte> output, IReadOnlyList<string?> fields)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(fields);
        for (var i = 0; i < fields.Count; i++)
        {
            if (i > 0)
                Put(output, (byte)'|');
            var value = fields[i].AsSpan();
            while (!value.IsEmpty)
            {
                var at = value.IndexOfAny(Special);
                var plain = at < 0 ? value : value[..at];
                if (!plain.IsEmpty)
                {
                    var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(plain.Length));
                    output.Advance(Encoding.UTF8.GetBytes(plain, span));
                }
                if (at < 0)
                    break;
                var escaped = value[at] switch
                {
                    '|' => "%7C"u8,
                    '\n' => "%0A"u8,
                    _ => "%0D"u8,
                };
                escaped.CopyTo(output.GetSpan(3));
                output.Advance(3);
                value = value[(at + 1)..];
            }
        }
        Put(output, (byte)'\n');
    }

    private static void Put(IBufferWriter<byte> output, byte b)
    {
        output.GetSpan(1)[0] = b;
        output.Advance(1);
    }
}
