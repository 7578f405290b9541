using System.Globalization;
using System.Text.RegularExpressions;
using HTableCluster.Storage.Postgres;

namespace HTableCluster.Node.Configuration;

/// <summary>
/// Reads the <c>modparam</c> statements of an existing kamailio.cfg, after Kamailio's preprocessor
/// (<see cref="KamailioPreprocessor"/>: defines, conditions, includes, substitutions), and turns
/// those of htable, db_flatstore and acc's <c>flatstore:</c> db_url into configuration keys. Every
/// modparam of htable, acc, db_flatstore and dmq gets one note with its file and line saying what
/// became of it; parameters that only make sense inside Kamailio, and htable parameters this node
/// does not know (a newer Kamailio's), are noted and ignored rather than stopping the import.
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

    // The modules whose parameters are read or reported; Kamailio matches a modparam's module
    // name as a case-insensitive regular expression ^name$ against the loaded modules.
    private static readonly string[] Modules = ["htable", "acc", "db_flatstore", "dmq"];

    /// <summary>
    /// The result: configuration keys, notes for the log (those starting with
    /// <see cref="KamailioPreprocessor.WarningPrefix"/> are warnings), and for each key the place in
    /// the config it came from (<c>file:line</c>, plus the defined name it came through).
    /// </summary>
    public sealed record Result(IReadOnlyDictionary<string, string?> Values, IReadOnlyList<string> Notes, IReadOnlyDictionary<string, string> Origins);

    /// <summary>Reads the config file at <paramref name="path"/> (and what it includes) with the given defines (<c>kamailio -A</c>).</summary>
    public static Result Import(string path, IEnumerable<KeyValuePair<string, string?>>? defines = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var pp = new KamailioPreprocessor(defines);
        var tokens = pp.Run(path);
        return Read(tokens, pp, Path.GetFileName(path));
    }

    /// <summary>Reads config text as if it were the file <paramref name="fileName"/> (includes resolve beside it).</summary>
    public static Result Parse(string text, string fileName, IEnumerable<KeyValuePair<string, string?>>? defines = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        var pp = new KamailioPreprocessor(defines);
        var tokens = pp.RunText(text, fileName);
        return Read(tokens, pp, Path.GetFileName(fileName));
    }

    private static Result Read(IReadOnlyList<CfgToken> tokens, KamailioPreprocessor pp, string fileName)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var origins = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var notes = new List<string>(pp.Notes);
        // The file's dmq_init_sync default is Kamailio's (0), unless the file sets it.
        values["Htable:DmqInitSync"] = "0";
        var tableIndex = 0;
        var loaded = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (t.Kind != CfgToken.TokenKind.Name)
                continue;
            if (t.Text is "loadmodule" or "loadmodulex" && i + 1 < tokens.Count && tokens[i + 1].Kind == CfgToken.TokenKind.String)
            {
                var module = Path.GetFileName(tokens[i + 1].Text);
                loaded.Add(module.EndsWith(".so", StringComparison.Ordinal) ? module[..^3] : module);
                continue;
            }
            if (t.Text is not ("modparam" or "modparamx"))
                continue;
            var p = ModParam.Read(tokens, i);
            i = p.End - 1;
            foreach (var module in Modules)
            {
                if (!p.Matches(module))
                    continue;
                var origin = p.Origin;
                void Set(string key, string value)
                {
                    values[key] = value;
                    origins[key] = origin;
                }
                if (p.Value.Contains('$', StringComparison.Ordinal) && p.Extended)
                    throw new FormatException($"{p.Where}: {p.Show(module)}: modparamx values with variables are evaluated by Kamailio at start-up; this import cannot evaluate them");
                var note = module switch
                {
                    "htable" => Htable(p, ref tableIndex, Set),
                    "acc" when p.Name == "db_url" && p.Value.StartsWith("flatstore:", StringComparison.Ordinal) =>
                        Take(p.Value["flatstore:".Length..], "FlatStore:Dir", Set),
                    "acc" => "ignored: this node writes accounting records only through flatstore (acc's flatstore: db_url gives the directory)",
                    "db_flatstore" when p.Name == "flush" =>
                        // Kamailio flushes after each write for any non-zero value.
                        Take(p.Value.Trim() is "0" or "" ? "0" : "1", "FlatStore:Flush", Set),
                    "db_flatstore" => "ignored: not supported by this node's flatstore writer",
                    _ => "ignored: tables replicate between the members of this node's cluster (Cluster:Seeds), not over DMQ; see Htable:EnableDmq and the table's dmqreplicate",
                };
                var warn = note.StartsWith(KamailioPreprocessor.WarningPrefix, StringComparison.Ordinal);
                if (warn)
                    note = note[KamailioPreprocessor.WarningPrefix.Length..];
                if (!loaded.Contains(module))
                {
                    // Imported anyway: the operator may have moved lines around for this import.
                    note += $" (Kamailio would refuse this line: no loadmodule \"{module}.so\" before it)";
                    warn = true;
                }
                notes.Add($"{(warn ? KamailioPreprocessor.WarningPrefix : "")}{p.Where}: {p.Show(module)}: {note}");
            }
        }
        if (!values.ContainsKey("Htable:DbUrl"))
        {
            // Kamailio loads nothing without a db_url either, but says nothing: say it here.
            for (var i = 0; i < tableIndex; i++)
            {
                var key = string.Create(CultureInfo.InvariantCulture, $"Htable:Tables:{i}");
                if (DbTable().IsMatch(values[key] ?? ""))
                    notes.Add($"{KamailioPreprocessor.WarningPrefix}{origins[key]}: this table has a dbtable but the config sets no htable db_url: it is not loaded from a database unless --db-url or Htable:DbUrl gives one");
            }
        }
        notes.Add(string.Create(CultureInfo.InvariantCulture, $"{fileName}: imported {tableIndex} htable definition(s)"));
        return new Result(values, notes, origins);
    }

    private static string Take(string value, string key, Action<string, string> set)
    {
        set(key, value);
        return "read as " + key;
    }

    private static string Htable(ModParam p, ref int tableIndex, Action<string, string> set)
    {
        if (p.Name == "htable")
            return Take(p.Value, string.Create(CultureInfo.InvariantCulture, $"Htable:Tables:{tableIndex++}"), set);
        if (HtableParams.TryGetValue(p.Name, out var key))
            return Take(p.Value, key, set);
        if (NotApplicable.Contains(p.Name))
            return "ignored: applies only inside Kamailio";
        if (p.Name == "dmq_peer_id")
        {
            return $"accepted (added after Kamailio 6.1): Kamailio names its DMQ peer for htable replication '{p.Value}' so that only nodes with the same peer id exchange tables; "
                + "here the nodes that replicate with each other are the members of one cluster (those joined through Cluster:Seeds), each table on its own topic htable:<table>, "
                + "so the value changes nothing: keep groups apart by giving them separate seeds";
        }
        return $"{KamailioPreprocessor.WarningPrefix}unknown htable parameter '{p.Name}' (neither Kamailio 5.6 nor master has it); ignored";
    }

    /// <summary>One <c>modparam("module", "name", value)</c> statement.</summary>
    private sealed record ModParam(string Module, string Name, string Value, bool IsNumber, bool Extended, CfgToken Keyword, CfgToken ValueToken, int End)
    {
        public string Where => Keyword.Where;

        public string Origin => ValueToken.Via is { } via ? $"{Where} ({via})" : Where;

        public bool Matches(string module)
        {
            if (string.Equals(Module, module, StringComparison.OrdinalIgnoreCase))
                return true;
            try
            {
                return Regex.IsMatch(module, "^" + Module + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException)
            {
                return false;
            }
        }

        public string Show(string module)
        {
            var shown = Name.Contains("db_url", StringComparison.Ordinal) ? DbUrl.Redact(Value) : Value;
            var value = IsNumber ? shown : "\"" + shown + "\"";
            if (ValueToken.Via is { } via)
                value += " (" + via + ")";
            return $"{Keyword.Text}(\"{module}\", \"{Name}\", {value})";
        }

        public static ModParam Read(IReadOnlyList<CfgToken> tokens, int at)
        {
            var keyword = tokens[at];
            var i = at + 1;
            CfgToken Next() => i < tokens.Count ? tokens[i++] : keyword with { Kind = CfgToken.TokenKind.Symbol, Text = "end of file" };
            FormatException Bad(string what) =>
                new($"{keyword.Where}: {keyword.Text}: {what} (expected {keyword.Text}(\"module\", \"parameter\", \"string\" or number))");
            if (!Next().Is('('))
                throw Bad("'(' missing");
            var module = Next();
            if (module.Kind != CfgToken.TokenKind.String)
                throw Bad("the module name is not a string");
            if (!Next().Is(','))
                throw Bad("',' missing after the module name");
            var name = Next();
            if (name.Kind != CfgToken.TokenKind.String)
                throw Bad("the parameter name is not a string");
            if (!Next().Is(','))
                throw Bad("',' missing after the parameter name");
            var value = Next();
            var negative = false;
            if (value.Is('-'))
            {
                negative = true;
                value = Next();
                if (value.Kind != CfgToken.TokenKind.Number)
                    throw Bad("'-' not followed by a number");
            }
            if (value.Kind == CfgToken.TokenKind.Name)
            {
                throw new FormatException($"{value.Where}: {keyword.Text}(\"{module.Text}\", \"{name.Text}\", {value.Text}): '{value.Text}' is not defined here "
                    + "(no #!define, #!trydef, #!substdef or --kamailio-define of it before this line)");
            }
            if (value.Kind is not (CfgToken.TokenKind.String or CfgToken.TokenKind.Number))
            {
                if (!(keyword.Text == "modparamx" && value.Text.StartsWith('$')))
                    throw Bad($"'{value.Text}' is not a string or a number");
            }
            if (!Next().Is(')'))
                throw Bad("')' missing after the value");
            var text = negative ? "-" + value.Text : value.Text;
            return new ModParam(module.Text, name.Text, text, value.Kind == CfgToken.TokenKind.Number, keyword.Text == "modparamx", keyword, value, i);
        }
    }

    [GeneratedRegex(@"(=>|;)\s*dbtable\s*=\s*[^;\s]")]
    private static partial Regex DbTable();
}
