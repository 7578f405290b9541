using System.Text;
using System.Text.RegularExpressions;

namespace HTableCluster.Storage;

/// <summary>How a name or value is compared with a pattern (Kamailio's rm/match/count operators).</summary>
public enum MatchOperator
{
    /// <summary>Case-insensitive extended regular expression, unanchored (<c>re</c>, <c>~~</c>), as Kamailio's REG_ICASE.</summary>
    Regex = 0,
    /// <summary>Starts with (<c>sw</c>, <c>%~</c>).</summary>
    StartsWith = 1,
    /// <summary>Ends with (<c>ew</c>, <c>~%</c>).</summary>
    EndsWith = 2,
    /// <summary>Contains (<c>in</c>).</summary>
    Contains = 3,
    /// <summary>Equal (<c>eq</c>, <c>==</c>).</summary>
    Equals = 4,
    /// <summary>Equal ignoring ASCII case (<c>eqi</c>).</summary>
    EqualsIgnoreCase = 5,
    /// <summary>Every item (<c>**</c>).</summary>
    Any = 6,
    /// <summary>Not equal (<c>ne</c>).</summary>
    NotEquals = 7,
}

/// <summary>
/// A compiled pattern. Regular expressions use the non-backtracking engine (linear time in the input,
/// so a hostile pattern cannot stall a partition) plus a match timeout as a second bound.
/// </summary>
public sealed class Matcher
{
    /// <summary>Upper bound for one regular-expression match.</summary>
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(250);

    private readonly Regex? _regex;
    private readonly byte[] _utf8;

    private Matcher(MatchOperator op, string pattern, Regex? regex)
    {
        Operator = op;
        Pattern = pattern;
        _regex = regex;
        _utf8 = Encoding.UTF8.GetBytes(pattern);
    }

    /// <summary>The operator.</summary>
    public MatchOperator Operator { get; }

    /// <summary>The pattern text.</summary>
    public string Pattern { get; }

    /// <summary>Builds a matcher; an invalid regular expression gives false and a message.</summary>
    public static bool TryCreate(MatchOperator op, string pattern, out Matcher? matcher, out string? error)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        Regex? regex = null;
        if (op == MatchOperator.Regex)
        {
            try
            {
                regex = new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, RegexTimeout);
            }
            catch (ArgumentException ex)
            {
                matcher = null;
                error = "invalid regular expression: " + ex.Message;
                return false;
            }
            catch (NotSupportedException ex)
            {
                matcher = null;
                error = "unsupported regular expression: " + ex.Message;
                return false;
            }
        }
        matcher = new Matcher(op, pattern, regex);
        error = null;
        return true;
    }

    /// <summary>Builds a matcher or throws <see cref="ArgumentException"/>.</summary>
    public static Matcher Create(MatchOperator op, string pattern) =>
        TryCreate(op, pattern, out var m, out var error) ? m! : throw new ArgumentException(error, nameof(pattern));

    /// <summary>Parses Kamailio's textual operators: re, sw, ew, in, eq, ne, eqi.</summary>
    public static bool TryParseOperator(string text, out MatchOperator op)
    {
        switch (text)
        {
            case "re": op = MatchOperator.Regex; return true;
            case "sw": op = MatchOperator.StartsWith; return true;
            case "ew": op = MatchOperator.EndsWith; return true;
            case "in": op = MatchOperator.Contains; return true;
            case "eq": op = MatchOperator.Equals; return true;
            case "ne": op = MatchOperator.NotEquals; return true;
            case "eqi": op = MatchOperator.EqualsIgnoreCase; return true;
            default: op = default; return false;
        }
    }

    /// <summary>Tests UTF-8 text. A regular expression that times out counts as no match.</summary>
    public bool IsMatch(ReadOnlySpan<byte> text)
    {
        switch (Operator)
        {
            case MatchOperator.Any: return true;
            case MatchOperator.StartsWith: return text.StartsWith(_utf8);
            case MatchOperator.EndsWith: return text.EndsWith(_utf8);
            case MatchOperator.Contains: return text.IndexOf(_utf8) >= 0;
            case MatchOperator.Equals: return text.SequenceEqual(_utf8);
            case MatchOperator.NotEquals: return !text.SequenceEqual(_utf8);
            case MatchOperator.EqualsIgnoreCase: return EqualsAsciiIgnoreCase(text, _utf8);
            default:
                try
                {
                    return _regex!.IsMatch(Encoding.UTF8.GetString(text));
                }
                catch (RegexMatchTimeoutException)
                {
                    return false;
                }
        }
    }

    // Folds ASCII letters only and compares every other byte exactly, as C's strncasecmp.
    private static bool EqualsAsciiIgnoreCase(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length != b.Length)
            return false;
        for (var i = 0; i < a.Length; i++)
        {
            int x = a[i], y = b[i];
            if (x != y && ((uint)((x | 0x20) - 'a') > 'z' - 'a' || (x | 0x20) != (y | 0x20)))
                return false;
        }
        return true;
    }

    /// <summary>Tests a value. As in Kamailio, only string values take part; integer items never match.</summary>
    public bool IsValueMatch(Entry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return !entry.IsInteger && IsMatch(entry.ValueUtf8);
    }
}
