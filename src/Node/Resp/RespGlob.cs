namespace HTableCluster.Node.Resp;

/// <summary>
/// Redis's glob patterns (<c>stringmatchlen</c>: <c>*</c>, <c>?</c>, <c>[abc]</c>, <c>[^a]</c>,
/// <c>[a-z]</c>, <c>\x</c>), byte for byte, for KEYS and SCAN MATCH. A star that already failed for a
/// shorter rest stops the search (Redis's skipLongerMatches), so no pattern takes exponential time.
/// </summary>
internal static class RespGlob
{
    /// <summary>True when <paramref name="text"/> matches <paramref name="pattern"/>.</summary>
    public static bool IsMatch(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text)
    {
        var skipLonger = false;
        return Match(pattern, text, ref skipLonger, 0);
    }

    /// <summary>True for <c>*</c>, which matches everything (no need to test each key).</summary>
    public static bool MatchesAll(ReadOnlySpan<byte> pattern) => pattern.Length == 1 && pattern[0] == '*';

    private static bool Match(ReadOnlySpan<byte> p, ReadOnlySpan<byte> s, ref bool skipLonger, int nesting)
    {
        // Redis gives up past 1000 nested stars (the pattern does not match).
        if (nesting > 1000)
            return false;
        while (p.Length > 0 && s.Length > 0)
        {
            switch (p[0])
            {
                case (byte)'*':
                    while (p.Length > 1 && p[1] == '*')
                        p = p[1..];
                    if (p.Length == 1)
                        return true;
                    while (s.Length > 0)
                    {
                        if (Match(p[1..], s, ref skipLonger, nesting + 1))
                            return true;
                        if (skipLonger)
                            return false;
                        s = s[1..];
                    }
                    skipLonger = true;
                    return false;
                case (byte)'?':
                    s = s[1..];
                    break;
                case (byte)'[':
                    {
                        p = p[1..];
                        var not = p.Length > 0 && p[0] == '^';
                        if (not)
                            p = p[1..];
                        var match = false;
                        while (true)
                        {
                            // An unterminated class ends the pattern (Redis steps back one byte, then past it).
                            if (p.Length == 0)
                                break;
                            if (p[0] == '\\' && p.Length >= 2)
                            {
                                p = p[1..];
                                if (p[0] == s[0])
                                    match = true;
                            }
                            else if (p[0] == ']')
                            {
                                break;
                            }
                            else if (p.Length >= 3 && p[1] == '-')
                            {
                                var start = p[0];
                                var end = p[2];
                                if (start > end)
                                    (start, end) = (end, start);
                                p = p[2..];
                                if (s[0] >= start && s[0] <= end)
                                    match = true;
                            }
                            else if (p[0] == s[0])
                            {
                                match = true;
                            }
                            p = p[1..];
                        }
                        if (not)
                            match = !match;
                        if (!match)
                            return false;
                        s = s[1..];
                        break;
                    }
                case (byte)'\\':
                    if (p.Length >= 2)
                        p = p[1..];
                    if (p[0] != s[0])
                        return false;
                    s = s[1..];
                    break;
                default:
                    if (p[0] != s[0])
                        return false;
                    s = s[1..];
                    break;
            }
            p = p.Length > 0 ? p[1..] : p;
            if (s.Length == 0)
            {
                while (p.Length > 0 && p[0] == '*')
                    p = p[1..];
                break;
            }
        }
        return p.Length == 0 && s.Length == 0;
    }
}
