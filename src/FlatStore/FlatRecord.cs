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
    /// <summary>The record's bytes (UTF-8), ending in <c>\n</c>.</summary>
    public static byte[] Format(IReadOnlyList<string?> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var sb = new StringBuilder();
        for (var i = 0; i < fields.Count; i++)
        {
            if (i > 0)
                sb.Append('|');
            foreach (var c in fields[i] ?? "")
            {
                _ = c switch
                {
                    '|' => sb.Append("%7C"),
                    '\n' => sb.Append("%0A"),
                    '\r' => sb.Append("%0D"),
                    _ => sb.Append(c),
                };
            }
        }
        sb.Append('\n');
        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}
