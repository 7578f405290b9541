using System.Globalization;
using System.Text;
using System.Text.Json;

namespace HTableCluster.Node.Admin;

/// <summary>
/// Prints JSON as Kamailio's srjson (an old cJSON) does in formatted mode, which jsonrpcs uses for
/// FIFO replies and kamctl shows as is: an object's members one per line, indented with tabs, a tab
/// after each colon; arrays on one line with <c>", "</c> between items; strings with only
/// <c>" \ \b \f \n \r \t</c> and control characters escaped (UTF-8 kept).
/// </summary>
public static class SrJsonText
{
    /// <summary>Formats <paramref name="value"/> at the top level.</summary>
    public static string Print(JsonElement value)
    {
        var text = new StringBuilder();
        Value(text, value, 0);
        return text.ToString();
    }

    private static void Value(StringBuilder text, JsonElement value, int depth)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                text.Append("{\n");
                var members = value.EnumerateObject().ToList();
                for (var i = 0; i < members.Count; i++)
                {
                    text.Append('\t', depth + 1);
                    String(text, members[i].Name);
                    text.Append(":\t");
                    Value(text, members[i].Value, depth + 1);
                    text.Append(i < members.Count - 1 ? ",\n" : "\n");
                }
                text.Append('\t', depth).Append('}');
                break;
            case JsonValueKind.Array:
                text.Append('[');
                var first = true;
                foreach (var item in value.EnumerateArray())
                {
                    if (!first)
                        text.Append(", ");
                    first = false;
                    Value(text, item, depth + 1);
                }
                text.Append(']');
                break;
            case JsonValueKind.String: String(text, value.GetString()!); break;
            case JsonValueKind.Number: Number(text, value); break;
            case JsonValueKind.True: text.Append("true"); break;
            case JsonValueKind.False: text.Append("false"); break;
            default: text.Append("null"); break;
        }
    }

    // srjson keeps numbers as doubles: an integer in the 32-bit range prints as one; other
    // integers as "%.0f" (exact here for every 64-bit value); fractions as "%f", or "%e" when tiny or huge.
    private static void Number(StringBuilder text, JsonElement value)
    {
        if (value.TryGetInt64(out var l))
        {
            text.Append(l.ToString(CultureInfo.InvariantCulture));
            return;
        }
        var d = value.GetDouble();
        if (Math.Floor(d) == d)
            text.Append(d.ToString("F0", CultureInfo.InvariantCulture));
        else if (Math.Abs(d) < 1.0e-6 || Math.Abs(d) > 1.0e9)
            text.Append(d.ToString("0.000000e+00", CultureInfo.InvariantCulture));
        else
            text.Append(d.ToString("F6", CultureInfo.InvariantCulture));
    }

    private static void String(StringBuilder text, string s)
    {
        text.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\b': text.Append("\\b"); break;
                case '\f': text.Append("\\f"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case < ' ': text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: text.Append(c); break;
            }
        }
        text.Append('"');
    }
}
