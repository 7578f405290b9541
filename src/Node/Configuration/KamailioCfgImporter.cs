using System.Globalization;
using System.Text.RegularExpressions;

namespace HTableCluster.Node.Configuration;

/// <summary>
/// Reads the <c>modparam("htable", ...)</c>, <c>modparam("db_flatstore", ...)</c> and the flatstore
/// directory of <c>modparam("acc", "db_url", "flatstore:/dir")</c> from an existing kamailio.cfg and
/// turns them into configuration keys. Parameters that only make sense inside Kamailio are reported
/// as not applicable.
/// </summary>
public static partial class KamailioCfgImporter
{
    private static readonly Dictionary<string, string> HtableParams = new(StringComparer.Ordinal)
    {
        ["db_url"] = "Htable:DbUrl",
        ["key_name_column"] = "Htable:KeyNameColumn",
        ["key_type_column"] = "Htable:KeyTypeColumn",
        ["value_type_column"] = "Htable:ValueTypeColumn",
        ["key_value_column"] = "Htable:KeyValueColumn",
        ["expires_column"] = "Htable:ExpiresColumn",
        ["array_size_suffix"] = "Htable:ArraySizeSuffix",
        ["fetch_rows"] = "Htable:FetchRows",
        ["timer_interval"] = "Htable:TimerInterval",
        ["db_expires"] = "Htable:DbExpires",
        ["enable_dmq"] = "Htable:EnableDmq",
        ["dmq_init_sync"] = "Htable:DmqInitSync",
    };

    private static readonly HashSet<string> NotApplicable = new(StringComparer.Ordinal)
    {
        "timer_procs", "event_callback", "event_callback_mode",
    };

    /// <summary>The result: configuration keys plus notes for the log.</summary>
    public sealed record Result(IReadOnlyDictionary<string, string?> Values, IReadOnlyList<string> Notes);

    /// <summary>Parses the text of a kamailio.cfg. Throws <see cref="FormatException"/> on an unknown htable parameter.</summary>
    public static Result Parse(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var notes = new List<string>();
        // The file's dmq_init_sync default is Kamailio's (0), unless the file sets it.
        values["Htable:DmqInitSync"] = "0";
        var tableIndex = 0;
        var lineNo = 0;
        var preprocessorNoted = false;
        foreach (var rawLine in StripBlockComments(text).Split('\n'))
        {
            lineNo++;
            if (!preprocessorNoted && rawLine.TrimStart().StartsWith("#!if", StringComparison.Ordinal))
            {
                preprocessorNoted = true;
                notes.Add($"{fileName}:{lineNo}: preprocessor conditions (#!ifdef ...) are not evaluated; every modparam line is imported");
            }
            var line = StripComment(rawLine).Trim();
            var m = ModParam().Match(line);
            if (!m.Success)
                continue;
            var module = m.Groups["mod"].Value;
            var name = m.Groups["name"].Value;
            var value = m.Groups["sval"].Success ? Unescape(m.Groups["sval"].Value) : m.Groups["ival"].Value;
            switch (module)
            {
                case "htable" when name == "htable":
                    values[$"Htable:Tables:{tableIndex++}"] = value;
                    break;
                case "htable" when HtableParams.TryGetValue(name, out var key):
                    values[key] = value;
                    break;
                case "htable" when NotApplicable.Contains(name):
                    notes.Add($"{fileName}:{lineNo}: htable parameter '{name}' applies only inside Kamailio; ignored");
                    break;
                case "htable":
                    throw new FormatException($"{fileName}:{lineNo}: unknown htable parameter '{name}'");
                case "db_flatstore" when name == "flush":
                    // Kamailio flushes after each write for any non-zero value.
                    values["FlatStore:Flush"] = value.Trim() is "0" or "" ? "0" : "1";
                    break;
                case "db_flatstore":
                    notes.Add($"{fileName}:{lineNo}: db_flatstore parameter '{name}' is not supported; ignored");
                    break;
                case "acc" when name == "db_url" && value.StartsWith("flatstore:", StringComparison.Ordinal):
                    values["FlatStore:Dir"] = value["flatstore:".Length..];
                    break;
                default:
                    break;
            }
        }
        notes.Add(string.Create(CultureInfo.InvariantCulture, $"{fileName}: imported {tableIndex} htable definition(s)"));
        return new Result(values, notes);
    }

    // Removes /* ... */ outside string literals, keeping the line breaks so line numbers stay right.
    private static string StripBlockComments(string text)
    {
        var sb = new System.Text.StringBuilder(text.Length);
        var inString = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (!inString && c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                var end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                var stop = end < 0 ? text.Length : end + 2;
                for (var j = i; j < stop; j++)
                {
                    if (text[j] == '\n')
                        sb.Append('\n');
                }
                i = stop - 1;
                continue;
            }
            if (c == '"' && (i == 0 || text[i - 1] != '\\'))
                inString = !inString;
            else if (c == '\n')
                inString = false;
            sb.Append(c);
        }
        return sb.ToString();
    }

    private static string StripComment(string line)
    {
        var inString = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '"' && (i == 0 || line[i - 1] != '\\'))
                inString = !inString;
            else if (!inString && (c == '#' || (c == '/' && i + 1 < line.Length && line[i + 1] == '/')))
                return line[..i];
        }
        return line;
    }

    private static string Unescape(string s) => s.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);

    [GeneratedRegex("""^modparam\s*\(\s*"(?<mod>[^"]+)"\s*,\s*"(?<name>[^"]+)"\s*,\s*(?:"(?<sval>(?:[^"\\]|\\.)*)"|(?<ival>-?\d+))\s*\)\s*;?$""")]
    private static partial Regex ModParam();
}
