using System.Globalization;
using System.Text;

namespace HTableCluster.Node.Configuration;

/// <summary>
/// Kamailio 5.6's config lexer and preprocessor (core cfg.lex, ppcfg.c), as far as reading module
/// parameters needs: line (<c>#</c>, <c>//</c>) and nested block comments, string literals (escapes,
/// adjacent "..." joined), pseudo-variables, numbers, and the directives <c>#!define</c>/<c>#!def</c>
/// (with and without value, <c>\</c> continues the value), <c>#!trydef</c>, <c>#!redefine</c>,
/// <c>#!undef</c>/<c>#!tryundef</c> (Kamailio master's), <c>#!ifdef</c>/<c>#!ifndef</c>/<c>#!else</c>/<c>#!endif</c> (nested),
/// <c>#!subst</c>/<c>#!substdef</c>/<c>#!substdefs</c>, <c>#!defenv</c>/<c>#!defenvs</c>/<c>#!trydefenv</c>/<c>#!trydefenvs</c>,
/// and <c>include_file</c>/<c>import_file</c> (with or without <c>#!</c>; <c>!!</c> works as <c>#!</c>).
/// </summary>
/// <remarks>
/// As in Kamailio, a defined name is replaced where it is used, as a whole identifier outside
/// string literals, by its value read again as config text; so a value may be a quoted string, a
/// number or other names. A name is only known from the line that defines it on. <c>#!subst</c>
/// rules apply to every later string literal and included file name. An included file's name is
/// resolved against the directory of the including file; <c>include_file</c> of a missing file is an
/// error, <c>import_file</c> of one is not. Errors are <see cref="FormatException"/>s that start with
/// the file and line. Where Kamailio silently reads a directive differently from how it looks (text
/// after <c>#!else</c>/<c>#!endif</c> turns the line into a comment) this does the same and adds a note.
/// </remarks>
public sealed class KamailioPreprocessor
{
    /// <summary>Nesting limit of included files (Kamailio's MAX_INCLUDE_DEPTH).</summary>
    public const int MaxIncludeDepth = 10;

    /// <summary>Prefix of notes that deserve a warning in the log.</summary>
    public const string WarningPrefix = "warning: ";

    private const int MaxExpansionDepth = 64;

    // Kamailio loops forever on a name whose value uses it twice; this stops with an error instead.
    private const int MaxExpansions = 100_000;

    private readonly Dictionary<string, Definition> _defines = new(StringComparer.Ordinal);
    private readonly List<KamailioSubst> _substs = [];
    private readonly List<Condition> _conditions = [];
    private readonly List<CfgToken> _tokens = [];
    private readonly List<string> _notes = [];
    private string? _baseDir;
    private int _expansions;
    private Pending _pending;
    private CfgToken _pendingAt;

    /// <summary>
    /// Creates a preprocessor with Kamailio's own names (<c>KAMAILIO_5</c>, <c>KAMAILIO_5_6</c>) and
    /// the names given on the command line (as <c>kamailio -A NAME[=VALUE]</c>: a value is config text,
    /// so a string needs its quotes).
    /// </summary>
    public KamailioPreprocessor(IEnumerable<KeyValuePair<string, string?>>? defines = null)
    {
        _defines["KAMAILIO_5"] = new Definition(null, "built in");
        _defines["KAMAILIO_5_6"] = new Definition(null, "built in");
        foreach (var (name, value) in defines ?? [])
        {
            if (!IsName(name))
                throw new FormatException($"--kamailio-define '{name}': a name is letters, digits and '_', not starting with a digit");
            _defines[name] = new Definition(string.IsNullOrEmpty(value) ? null : value, "--kamailio-define");
        }
    }

    private enum Pending
    {
        None,
        Subst,
        SubstDef,
        SubstDefs,
        LoadModule,
    }

    /// <summary>Notes for the log (files not found by <c>import_file</c>, directives Kamailio reads as comments).</summary>
    public IReadOnlyList<string> Notes => _notes;

    /// <summary>Reads the config file at <paramref name="path"/> and every file it includes (once per instance).</summary>
    public IReadOnlyList<CfgToken> Run(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        Start(full);
        ReadFile(full, null, 0, include: true);
        return Finish();
    }

    /// <summary>Reads config <paramref name="text"/> as if it were the file <paramref name="path"/> (includes resolve beside it).</summary>
    public IReadOnlyList<CfgToken> RunText(string text, string path)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        Start(full);
        Lex(new Source(text, Display(full), Path.GetDirectoryName(full) ?? "", 0, null), 0);
        return Finish();
    }

    private void Start(string fullPath)
    {
        if (_baseDir is not null)
            throw new InvalidOperationException("a preprocessor reads one config; make a new one for another");
        _baseDir = Path.GetDirectoryName(fullPath) ?? "";
    }

    private IReadOnlyList<CfgToken> Finish()
    {
        if (_pending is Pending.Subst or Pending.SubstDef or Pending.SubstDefs)
            throw new FormatException($"{_pendingAt.Where}: #!{_pending.ToString().ToLowerInvariant()} needs a string (\"/regexp/replacement/flags\")");
        if (_conditions.Count > 0)
        {
            var open = _conditions[^1];
            throw new FormatException($"{open.Where}: #!{(open.Negated ? "ifndef" : "ifdef")} {open.Name} has no #!endif ({_conditions.Count} open at the end of the config)");
        }
        return _tokens;
    }

    private void ReadFile(string fullPath, CfgToken? from, int depth, bool include)
    {
        string text;
        try
        {
            text = File.ReadAllText(fullPath);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            if (from is null || include)
                throw new FormatException(from is null ? $"{fullPath}: file not found" : $"{from.Value.Where}: cannot open included file {Display(fullPath)}");
            _notes.Add($"{from.Value.Where}: import_file {Display(fullPath)} not found; skipped (as Kamailio does)");
            return;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"{from?.Where ?? fullPath}: cannot read {Display(fullPath)}: {ex.Message}");
        }
        Lex(new Source(text, Display(fullPath), Path.GetDirectoryName(fullPath) ?? "", depth, null), 0);
    }

    private string Display(string fullPath)
    {
        var rel = Path.GetRelativePath(_baseDir ?? "", fullPath);
        return rel.StartsWith("..", StringComparison.Ordinal) ? fullPath : rel;
    }

    private bool Skipping
    {
        get
        {
            foreach (var c in _conditions)
            {
                if (!c.Taken)
                    return true;
            }
            return false;
        }
    }

    private void Lex(Source s, int expansion)
    {
        var t = s.Text;
        while (s.Pos < t.Length)
        {
            var c = t[s.Pos];
            var directive = (c == '#' || c == '!') && s.Pos + 1 < t.Length && t[s.Pos + 1] == '!';
            if (Skipping)
            {
                // Inside a false #!ifdef only the conditional directives count, wherever they are.
                if (!(directive && TryConditional(s)))
                    s.Advance();
                continue;
            }
            if (directive && TryDirective(s))
                continue;
            switch (c)
            {
                case ' ' or '\t' or '\b' or '\r' or '\n':
                    s.Advance();
                    continue;
                case '\\' when s.Peek(1) == '\n':
                    s.Advance(2);
                    continue;
                case '#':
                    SkipLine(s);
                    continue;
                case '/' when s.Peek(1) == '/':
                    SkipLine(s);
                    continue;
                case '/' when s.Peek(1) == '*':
                    SkipBlockComment(s);
                    continue;
                case '"':
                    Emit(s, CfgToken.TokenKind.String, RunSubst(ReadDoubleQuoted(s)));
                    continue;
                case '\'':
                    Emit(s, CfgToken.TokenKind.String, RunSubst(ReadSingleQuoted(s)));
                    continue;
                case '$':
                    Emit(s, CfgToken.TokenKind.Other, ReadPseudoVariable(s));
                    continue;
                default:
                    break;
            }
            if (IsNameStart(c))
            {
                ReadName(s, expansion);
                continue;
            }
            if (char.IsAsciiDigit(c))
            {
                var word = ReadWord(s);
                if (TryNumber(word, out var number))
                    Emit(s, CfgToken.TokenKind.Number, number.ToString(CultureInfo.InvariantCulture));
                else
                    Emit(s, CfgToken.TokenKind.Other, word);
                continue;
            }
            s.TokenLine = s.Line;
            s.Advance();
            Emit(s, CfgToken.TokenKind.Symbol, c.ToString());
        }
    }

    // The run of name characters at the current position; the token starts on its first line.
    private static string ReadWord(Source s)
    {
        var t = s.Text;
        var line = s.Line;
        var start = s.Pos;
        while (s.Pos < t.Length && IsNameChar(t[s.Pos]))
            s.Advance();
        s.TokenLine = line;
        return t[start..s.Pos];
    }

    private void ReadName(Source s, int expansion)
    {
        var name = ReadWord(s);
        var line = s.TokenLine;
        switch (name)
        {
            // Keywords come before names in Kamailio's lexer: a define never replaces them.
            case "yes" or "true" or "on" or "enable":
                Emit(s, CfgToken.TokenKind.Number, "1");
                return;
            case "no" or "false" or "off" or "disable":
                Emit(s, CfgToken.TokenKind.Number, "0");
                return;
            case "include_file" or "import_file":
                Include(s, name == "include_file");
                return;
            case "modparam" or "modparamx" or "loadmodule" or "loadmodulex":
                Emit(s, CfgToken.TokenKind.Name, name);
                if (name.StartsWith("loadmodule", StringComparison.Ordinal))
                {
                    _pending = Pending.LoadModule;
                    _pendingAt = At(s, name);
                }
                return;
            default:
                break;
        }
        if (!_defines.TryGetValue(name, out var d))
        {
            Emit(s, CfgToken.TokenKind.Name, name);
            return;
        }
        if (d.Value is null)
            return;
        if (expansion >= MaxExpansionDepth || ++_expansions > MaxExpansions)
            throw new FormatException($"{At(s, name).Where}: {name} expands into itself (more than {MaxExpansionDepth} levels or {MaxExpansions} replacements)");
        // The value is read again as config text at the place of the name (Kamailio unputs it).
        // Through other names: the chain, outermost first.
        var via = (s.Via is null ? "" : s.Via + "; ") + $"{name}, defined at {d.Where}";
        Lex(new Source(d.Value, s.File, s.Dir, s.Depth, via) { FixedLine = s.FixedLine ?? line }, expansion + 1);
    }

    private CfgToken At(Source s, string text) => new(CfgToken.TokenKind.Name, text, s.File, s.FixedLine ?? s.TokenLine, s.Via);

    private void Emit(Source s, CfgToken.TokenKind kind, string text)
    {
        var token = new CfgToken(kind, text, s.File, s.FixedLine ?? s.TokenLine, s.Via);
        var pending = _pending;
        _pending = Pending.None;
        switch (pending)
        {
            case Pending.Subst or Pending.SubstDef or Pending.SubstDefs:
                if (kind != CfgToken.TokenKind.String)
                    throw new FormatException($"{_pendingAt.Where}: invalid #!{pending.ToString().ToLowerInvariant()} preprocess statement (expected a string \"/regexp/replacement/flags\")");
                AddSubst(pending, text);
                return;
            case Pending.LoadModule when kind == CfgToken.TokenKind.String:
                var module = Path.GetFileName(text);
                if (module.EndsWith(".so", StringComparison.Ordinal))
                    module = module[..^3];
                // Kamailio defines MOD_<name> for each loaded module.
                _defines.TryAdd("MOD_" + module, new Definition(null, token.Where));
                break;
            default:
                break;
        }
        _tokens.Add(token);
    }

    private void AddSubst(Pending kind, string expression)
    {
        KamailioSubst rule;
        try
        {
            rule = KamailioSubst.Parse(expression);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"{_pendingAt.Where}: {ex.Message}");
        }
        _substs.Add(rule);
        if (kind == Pending.Subst)
            return;
        // #!substdef also defines the regular expression's text as a name whose value is the replacement.
        var value = kind == Pending.SubstDefs ? "\"" + rule.RawReplacement + "\"" : rule.RawReplacement;
        Define(_pendingAt, rule.Name, value.Length == 0 ? null : value, DefineKind.Define);
    }

    private string RunSubst(string text)
    {
        foreach (var rule in _substs)
            text = rule.Apply(text);
        return text;
    }

    private enum DefineKind
    {
        Define,
        TryDefine,
        Redefine,
    }

    private void Define(CfgToken at, string name, string? value, DefineKind kind)
    {
        if (_defines.TryGetValue(name, out var existing))
        {
            if (kind == DefineKind.TryDefine)
                return;
            if (kind == DefineKind.Define)
                throw new FormatException($"{at.Where}: {name} is already defined (at {existing.Where}); use #!redefine or #!trydef");
        }
        _defines[name] = new Definition(value, at.Where);
    }

    // At "#!" or "!!" outside a skipped region. False: not a directive (the caller reads a comment).
    private bool TryDirective(Source s)
    {
        var t = s.Text;
        var start = s.Pos;
        var kwEnd = start + 2;
        while (kwEnd < t.Length && (char.IsAsciiLetter(t[kwEnd]) || t[kwEnd] == '_'))
            kwEnd++;
        var keyword = t[(start + 2)..kwEnd];
        var blankAfter = kwEnd < t.Length && IsBlank(t[kwEnd]);
        switch (keyword)
        {
            case "ifdef" or "ifndef" or "else" or "endif" or "ifexp":
                return TryConditional(s);
            case "defexp" or "defexps" when blankAfter:
                s.TokenLine = s.Line;
                throw new FormatException($"{At(s, keyword).Where}: #!{keyword} (an expression directive of Kamailio master) is not supported by this import");
            case "define" or "def" or "trydefine" or "trydef" or "redefine" or "redef" when blankAfter:
                {
                    s.TokenLine = s.Line;
                    var at = At(s, keyword);
                    s.Advance(kwEnd - start);
                    var name = ReadDirectiveName(s, at, keyword);
                    SkipBlanks(s);
                    var value = ReadDefineValue(s);
                    var kind = keyword.StartsWith("try", StringComparison.Ordinal) ? DefineKind.TryDefine
                        : keyword.StartsWith("re", StringComparison.Ordinal) ? DefineKind.Redefine : DefineKind.Define;
                    Define(at, name, value.Length == 0 ? null : value, kind);
                    return true;
                }
            case "undefine" or "undef" or "tryundefine" or "tryundef" when blankAfter:
                {
                    // Kamailio master's (5.6 reads these lines as comments): #!undef of an unknown name is an error.
                    s.TokenLine = s.Line;
                    var at = At(s, keyword);
                    s.Advance(kwEnd - start);
                    var name = ReadDirectiveName(s, at, keyword);
                    if (!_defines.Remove(name) && !keyword.StartsWith("try", StringComparison.Ordinal))
                        throw new FormatException($"{at.Where}: {name} is not defined, cannot #!{keyword} it (#!tryundef ignores unknown names)");
                    _notes.Add($"{at.Where}: #!{keyword} {name}: Kamailio master's directive, applied (Kamailio 5.6 reads the line as a comment)");
                    RestOfDirectiveLine(s, at, keyword);
                    return true;
                }
            case "subst" or "substdef" or "substdefs":
                s.TokenLine = s.Line;
                _pendingAt = At(s, keyword);
                _pending = keyword switch { "subst" => Pending.Subst, "substdef" => Pending.SubstDef, _ => Pending.SubstDefs };
                s.Advance(kwEnd - start);
                return true;
            case "include_file" or "import_file":
                s.TokenLine = s.Line;
                s.Advance(kwEnd - start);
                Include(s, keyword == "include_file");
                return true;
            case "defenv" or "defenvs" or "trydefenv" or "trydefenvs":
                {
                    s.TokenLine = s.Line;
                    var at = At(s, keyword);
                    s.Advance(kwEnd - start);
                    while (s.Pos < t.Length && t[s.Pos] is ' ' or '\t')
                        s.Advance();
                    var wordStart = s.Pos;
                    while (s.Pos < t.Length && t[s.Pos] is not (' ' or '\t' or '\r' or '\n'))
                        s.Advance();
                    DefineFromEnvironment(at, keyword, t[wordStart..s.Pos]);
                    return true;
                }
            default:
                return false;
        }
    }

    private void DefineFromEnvironment(CfgToken at, string keyword, string spec)
    {
        var eq = spec.IndexOf('=', StringComparison.Ordinal);
        var name = eq < 0 ? spec : spec[..eq];
        var variable = eq < 0 ? spec : spec[(eq + 1)..];
        if (!IsName(name) || variable.Length == 0)
            throw new FormatException($"{at.Where}: #!{keyword} expects NAME or NAME=ENVVAR, not '{spec}'");
        var value = Environment.GetEnvironmentVariable(variable);
        if (value is null)
        {
            if (keyword.StartsWith("try", StringComparison.Ordinal))
                return;
            throw new FormatException($"{at.Where}: #!{keyword} {spec}: environment variable {variable} is not set");
        }
        Define(at, name, keyword.EndsWith('s') ? "\"" + value + "\"" : value, DefineKind.Define);
    }

    // #!ifdef, #!ifndef, #!else, #!endif; also inside skipped regions. False: not one of them here.
    private bool TryConditional(Source s)
    {
        var t = s.Text;
        var start = s.Pos;
        var kwEnd = start + 2;
        while (kwEnd < t.Length && char.IsAsciiLetter(t[kwEnd]))
            kwEnd++;
        var keyword = t[(start + 2)..kwEnd];
        if (keyword == "ifexp" && kwEnd < t.Length && IsBlank(t[kwEnd]))
        {
            // Kamailio master's #!ifexp: inside a skipped region it only nests; elsewhere it cannot be evaluated here.
            s.TokenLine = s.Line;
            var at = At(s, keyword);
            if (!Skipping)
                throw new FormatException($"{at.Where}: #!ifexp (an expression directive of Kamailio master) is not supported by this import");
            SkipLine(s);
            _conditions.Add(new Condition(false, "(expression)", false, at.Where));
            return true;
        }
        if (keyword is "ifdef" or "ifndef")
        {
            if (kwEnd >= t.Length || !IsBlank(t[kwEnd]))
                return false;
            s.TokenLine = s.Line;
            var at = At(s, keyword);
            s.Advance(kwEnd - start);
            var name = ReadDirectiveName(s, at, keyword);
            RestOfDirectiveLine(s, at, keyword);
            var defined = _defines.ContainsKey(name);
            _conditions.Add(new Condition(keyword == "ifdef" ? defined : !defined, name, keyword == "ifndef", at.Where));
            return true;
        }
        if (keyword is not ("else" or "endif") || (kwEnd < t.Length && char.IsAsciiLetterOrDigit(t[kwEnd])) || (kwEnd < t.Length && t[kwEnd] == '_'))
            return false;
        var p = kwEnd;
        while (p < t.Length && IsBlank(t[p]))
            p++;
        s.TokenLine = s.Line;
        var where = At(s, keyword).Where;
        if (p < t.Length && t[p] != '\n')
        {
            // Kamailio only takes "#!else"/"#!endif" alone on their line; otherwise the line is a comment.
            if (!Skipping)
                _notes.Add($"{WarningPrefix}{where}: text after #!{keyword} makes the line a comment for Kamailio; read as a comment here too");
            return false;
        }
        s.Advance(p - start);
        if (_conditions.Count == 0)
        {
            _notes.Add($"{WarningPrefix}{where}: #!{keyword} without #!ifdef; ignored (as Kamailio does)");
            return true;
        }
        if (keyword == "else")
            _conditions[^1] = _conditions[^1] with { Taken = !_conditions[^1].Taken };
        else
            _conditions.RemoveAt(_conditions.Count - 1);
        return true;
    }

    private static string ReadDirectiveName(Source s, CfgToken at, string keyword)
    {
        var t = s.Text;
        SkipBlanks(s);
        var start = s.Pos;
        if (s.Pos < t.Length && IsNameStart(t[s.Pos]))
        {
            while (s.Pos < t.Length && IsNameChar(t[s.Pos]))
                s.Advance();
        }
        if (s.Pos == start)
            throw new FormatException($"{at.Where}: #!{keyword} needs a name (letters, digits and '_', not starting with a digit)");
        if (s.Pos < t.Length && t[s.Pos] == '-')
            throw new FormatException($"{at.Where}: '-' not allowed in the name after #!{keyword}");
        return t[start..s.Pos];
    }

    private void RestOfDirectiveLine(Source s, CfgToken at, string keyword)
    {
        var t = s.Text;
        SkipBlanks(s);
        if (s.Pos < t.Length && t[s.Pos] != '\n')
        {
            if (!Skipping)
                _notes.Add($"{WarningPrefix}{at.Where}: text after the name of #!{keyword} is ignored (Kamailio prints it and ignores it)");
            while (s.Pos < t.Length && t[s.Pos] != '\n')
                s.Advance();
        }
        if (s.Pos < t.Length)
            s.Advance();
    }

    // The rest of the line after "#!define NAME ": a backslash before the line break continues it.
    private static string ReadDefineValue(Source s)
    {
        var t = s.Text;
        var sb = new StringBuilder();
        while (s.Pos < t.Length)
        {
            var c = t[s.Pos];
            if (c == '\\' && s.Peek(1) == '\n')
            {
                s.Advance(2);
                continue;
            }
            s.Advance();
            if (c == '\n')
                break;
            sb.Append(c);
        }
        return sb.ToString().TrimEnd('\r');
    }

    private void Include(Source s, bool required)
    {
        var t = s.Text;
        var at = At(s, required ? "include_file" : "import_file");
        while (s.Pos < t.Length && t[s.Pos] is ' ' or '\t')
            s.Advance();
        var start = s.Pos;
        while (s.Pos < t.Length && t[s.Pos] is not (' ' or '\t' or '\r' or '\n'))
            s.Advance();
        var raw = RunSubst(t[start..s.Pos]);
        if (raw.Length < 3 || raw[0] != '"' || raw[^1] != '"')
            throw new FormatException($"{at.Where}: the file name after {at.Text} must be between quotes, not '{raw}'");
        var name = new StringBuilder();
        for (var i = 1; i < raw.Length - 1; i++)
        {
            var c = raw[i];
            if (c == '\\' && i + 1 < raw.Length - 1)
            {
                i++;
                name.Append(raw[i] switch { 't' => '\t', 'n' => '\n', 'r' => '\r', var x => x });
            }
            else
            {
                name.Append(c);
            }
        }
        if (s.Depth + 1 > MaxIncludeDepth)
            throw new FormatException($"{at.Where}: too many nested includes (more than {MaxIncludeDepth})");
        string full;
        try
        {
            full = Path.GetFullPath(Path.IsPathRooted(name.ToString()) ? name.ToString() : Path.Combine(s.Dir, name.ToString()));
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"{at.Where}: {raw} is not a usable file name: {ex.Message}");
        }
        ReadFile(full, at, s.Depth + 1, required);
    }

    private static void SkipLine(Source s)
    {
        while (s.Pos < s.Text.Length && s.Text[s.Pos] != '\n')
            s.Advance();
    }

    private static void SkipBlanks(Source s)
    {
        while (s.Pos < s.Text.Length && IsBlank(s.Text[s.Pos]))
            s.Advance();
    }

    private static void SkipBlockComment(Source s)
    {
        var t = s.Text;
        var line = s.Line;
        var nest = 0;
        while (s.Pos < t.Length)
        {
            if (t[s.Pos] == '/' && s.Peek(1) == '*')
            {
                nest++;
                s.Advance(2);
            }
            else if (t[s.Pos] == '*' && s.Peek(1) == '/')
            {
                s.Advance(2);
                if (--nest == 0)
                    return;
            }
            else
            {
                s.Advance();
            }
        }
        throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{s.File}:{s.FixedLine ?? line}: comment /* not closed by */"));
    }

    private static string ReadDoubleQuoted(Source s)
    {
        var t = s.Text;
        s.TokenLine = s.Line;
        var sb = new StringBuilder();
        while (true)
        {
            s.Advance(); // the opening quote
            while (true)
            {
                if (s.Pos >= t.Length)
                    throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{s.File}:{s.FixedLine ?? s.TokenLine}: string not closed by \""));
                var c = t[s.Pos];
                if (c == '"')
                {
                    s.Advance();
                    break;
                }
                if (c == '\\' && s.Pos + 1 < t.Length)
                {
                    var e = t[s.Pos + 1];
                    switch (e)
                    {
                        case 'n': sb.Append('\n'); s.Advance(2); continue;
                        case 'r': sb.Append('\r'); s.Advance(2); continue;
                        case 'a': sb.Append('\a'); s.Advance(2); continue;
                        case 't': sb.Append('\t'); s.Advance(2); continue;
                        case '"': sb.Append('"'); s.Advance(2); continue;
                        case '\\': sb.Append('\\'); s.Advance(2); continue;
                        case '\n': s.Advance(2); continue;
                        case 'x' when s.Pos + 2 < t.Length && char.IsAsciiHexDigit(t[s.Pos + 2]):
                            {
                                var n = s.Pos + 3 < t.Length && char.IsAsciiHexDigit(t[s.Pos + 3]) ? 2 : 1;
                                sb.Append((char)int.Parse(t.AsSpan(s.Pos + 2, n), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                                s.Advance(2 + n);
                                continue;
                            }
                        case >= '0' and <= '7' when s.Pos + 2 < t.Length && t[s.Pos + 2] is >= '0' and <= '7':
                            {
                                var n = s.Pos + 3 < t.Length && t[s.Pos + 3] is >= '0' and <= '7' ? 3 : 2;
                                sb.Append((char)(Convert.ToInt32(t.Substring(s.Pos + 1, n), 8) & 0xff));
                                s.Advance(1 + n);
                                continue;
                            }
                        default:
                            break;
                    }
                }
                sb.Append(c);
                s.Advance();
            }
            // Adjacent "..." literals (only blanks and line breaks between) are one string.
            var p = s.Pos;
            var lines = 0;
            while (p < t.Length && (IsBlank(t[p]) || t[p] == '\n'))
            {
                if (t[p] == '\n')
                    lines++;
                p++;
            }
            if (p >= t.Length || t[p] != '"')
                return sb.ToString();
            s.Pos = p;
            s.Line += lines;
        }
    }

    private static string ReadSingleQuoted(Source s)
    {
        var t = s.Text;
        s.TokenLine = s.Line;
        s.Advance();
        var start = s.Pos;
        while (s.Pos < t.Length && t[s.Pos] != '\'')
            s.Advance();
        if (s.Pos >= t.Length)
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{s.File}:{s.FixedLine ?? s.TokenLine}: string not closed by '"));
        var value = t[start..s.Pos];
        s.Advance();
        return value;
    }

    // $name, $name(...), $(...): parentheses nest, everything inside them (quotes too) belongs to it.
    private static string ReadPseudoVariable(Source s)
    {
        var t = s.Text;
        s.TokenLine = s.Line;
        var start = s.Pos;
        s.Advance();
        while (s.Pos < t.Length && (IsNameChar(t[s.Pos]) || t[s.Pos] == '.'))
            s.Advance();
        if (s.Pos < t.Length && t[s.Pos] == '(')
        {
            var nest = 0;
            while (s.Pos < t.Length)
            {
                var c = t[s.Pos];
                s.Advance();
                if (c == '(')
                {
                    nest++;
                }
                else if (c == ')' && --nest == 0)
                {
                    break;
                }
            }
            if (nest > 0)
                throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{s.File}:{s.FixedLine ?? s.TokenLine}: pseudo-variable not closed by )"));
        }
        return t[start..s.Pos];
    }

    private static bool TryNumber(string word, out long value)
    {
        value = 0;
        try
        {
            if (word.Length > 2 && word.StartsWith("0x", StringComparison.Ordinal))
            {
                if (word.AsSpan(2).ContainsAnyExcept("0123456789abcdefABCDEF"))
                    return false;
                value = Convert.ToInt64(word[2..], 16);
                return true;
            }
            if (word.Length > 1 && word[^1] == 'b' && !word.AsSpan(0, word.Length - 1).ContainsAnyExcept("01"))
            {
                value = Convert.ToInt64(word[..^1], 2);
                return true;
            }
            if (word.Length > 1 && word[0] == '0')
            {
                if (word.AsSpan(1).ContainsAnyExcept("01234567"))
                    return false;
                value = Convert.ToInt64(word, 8);
                return true;
            }
            return long.TryParse(word, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    private static bool IsBlank(char c) => c is ' ' or '\t' or '\b' or '\r';

    private static bool IsNameStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    private static bool IsName(string s) => s.Length > 0 && IsNameStart(s[0]) && s.All(IsNameChar);

    private sealed record Definition(string? Value, string Where);

    private sealed record Condition(bool Taken, string Name, bool Negated, string Where);

    private sealed class Source(string text, string file, string dir, int depth, string? via)
    {
        public string Text { get; } = text;

        public string File { get; } = file;

        public string Dir { get; } = dir;

        public int Depth { get; } = depth;

        public string? Via { get; } = via;

        /// <summary>For a defined name's value: the line where the name was used.</summary>
        public int? FixedLine { get; init; }

        public int Pos { get; set; }

        public int Line { get; set; } = 1;

        /// <summary>The line where the token being read started.</summary>
        public int TokenLine { get; set; } = 1;

        public char Peek(int ahead) => Pos + ahead < Text.Length ? Text[Pos + ahead] : '\0';

        public void Advance(int n = 1)
        {
            for (var i = 0; i < n && Pos < Text.Length; i++)
            {
                if (Text[Pos] == '\n')
                    Line++;
                Pos++;
            }
        }
    }
}
