using System.Text;
using System.Text.RegularExpressions;

namespace HTableCluster.Node.Configuration;

/// <summary>
/// A <c>#!subst "/regexp/replacement/flags"</c> rule as Kamailio's <c>subst_parser</c> reads it: the
/// first character is the separator (not a backslash), the regular expression is POSIX extended
/// (matched here by .NET's engine, POSIX bracket classes translated), the replacement knows
/// <c>\0</c>..<c>\9</c>, <c>\n</c>, <c>\r</c>, <c>\t</c>, <c>\\</c> and an escaped separator, and the
/// flags are <c>i</c> (ignore case), <c>g</c> (every match) and <c>s</c> (<c>.</c> and anchors ignore
/// lines). Pseudo-variables in the replacement need a SIP message and are refused.
/// </summary>
public sealed class KamailioSubst
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);
    private readonly Regex _regex;
    private readonly List<(string? Text, int Group)> _parts;
    private readonly bool _global;

    private KamailioSubst(Regex regex, List<(string? Text, int Group)> parts, bool global, string name, string rawReplacement)
    {
        _regex = regex;
        _parts = parts;
        _global = global;
        Name = name;
        RawReplacement = rawReplacement;
    }

    /// <summary>The regular expression as written (the name <c>#!substdef</c> defines).</summary>
    public string Name { get; }

    /// <summary>The replacement as written (the value <c>#!substdef</c> gives the name).</summary>
    public string RawReplacement { get; }

    /// <summary>Parses a rule; <see cref="FormatException"/> says what is wrong.</summary>
    public static KamailioSubst Parse(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        if (expression.Length < 3)
            throw new FormatException($"subst expression '{expression}' is too short");
        var sep = expression[0];
        if (sep == '\\')
            throw new FormatException($"invalid separator '\\' in subst expression '{expression}'");
        var p = 1;
        while (p < expression.Length && !(expression[p] == sep && expression[p - 1] != '\\'))
            p++;
        if (p >= expression.Length)
            throw new FormatException($"no separator after the regular expression in '{expression}'");
        var pattern = expression[1..p];
        var replStart = p + 1;
        var parts = new List<(string? Text, int Group)>();
        var literal = new StringBuilder();
        var escape = false;
        var end = -1;
        for (var i = replStart; i < expression.Length; i++)
        {
            var c = expression[i];
            if (escape)
            {
                escape = false;
                if (c is >= '0' and <= '9')
                {
                    Flush();
                    parts.Add((null, c - '0'));
                    continue;
                }
                if (c == 'u')
                    throw new FormatException($"'\\u' (the request URI) has no meaning outside a SIP message: '{expression}'");
                literal.Append(c switch { 'n' => '\n', 'r' => '\r', 't' => '\t', _ => c });
            }
            else if (c == '\\')
            {
                escape = true;
            }
            else if (c == '$')
            {
                throw new FormatException($"pseudo-variables in the replacement need a SIP message and are not supported: '{expression}'");
            }
            else if (c == sep)
            {
                end = i;
                break;
            }
            else
            {
                literal.Append(c);
            }
        }
        if (end < 0)
            throw new FormatException($"no separator after the replacement in '{expression}'");
        Flush();
        var options = RegexOptions.CultureInvariant | RegexOptions.Multiline;
        var global = false;
        foreach (var f in expression[(end + 1)..])
        {
            switch (f)
            {
                case 'i':
                    options |= RegexOptions.IgnoreCase;
                    break;
                case 's':
                    options = (options & ~RegexOptions.Multiline) | RegexOptions.Singleline;
                    break;
                case 'g':
                    global = true;
                    break;
                default:
                    throw new FormatException($"unknown flag '{f}' in subst expression '{expression}' (expected i, g, s)");
            }
        }
        Regex regex;
        try
        {
            regex = new Regex(FromPosix(pattern), options, MatchTimeout);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"bad regular expression '{pattern}' in '{expression}': {ex.Message}");
        }
        return new KamailioSubst(regex, parts, global, pattern, expression[replStart..end]);

        void Flush()
        {
            if (literal.Length > 0)
                parts.Add((literal.ToString(), -1));
            literal.Clear();
        }
    }

    /// <summary>Applies the rule: the first match replaced, or every match with the <c>g</c> flag.</summary>
    public string Apply(string input)
    {
        ArgumentNullException.ThrowIfNull(input);
        try
        {
            return _regex.Replace(input, Replace, _global ? -1 : 1);
        }
        catch (RegexMatchTimeoutException)
        {
            throw new FormatException($"subst expression '{_regex}' took too long on '{input}'");
        }
    }

    private string Replace(Match m)
    {
        var sb = new StringBuilder();
        foreach (var (text, group) in _parts)
        {
            if (text is not null)
                sb.Append(text);
            else if (group < m.Groups.Count)
                sb.Append(m.Groups[group].Value);
        }
        return sb.ToString();
    }

    // POSIX bracket classes have no .NET spelling; the rest of an extended expression reads the same.
    private static string FromPosix(string pattern) => pattern
        .Replace("[:alpha:]", "a-zA-Z", StringComparison.Ordinal)
        .Replace("[:digit:]", "0-9", StringComparison.Ordinal)
        .Replace("[:alnum:]", "a-zA-Z0-9", StringComparison.Ordinal)
        .Replace("[:upper:]", "A-Z", StringComparison.Ordinal)
        .Replace("[:lower:]", "a-z", StringComparison.Ordinal)
        .Replace("[:space:]", "\\s", StringComparison.Ordinal)
        .Replace("[:blank:]", " \\t", StringComparison.Ordinal)
        .Replace("[:xdigit:]", "0-9A-Fa-f", StringComparison.Ordinal)
        .Replace("[:punct:]", "!-/:-@\\[-`{-~", StringComparison.Ordinal);
}
