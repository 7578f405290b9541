namespace HTableCluster.Node.Resp;

/// <summary>
/// Redis's glob matching (<c>stringmatchlen</c> of Redis 7.0, byte for byte): <c>*</c>, <c>?</c>,
/// <c>[abc]</c>, <c>[^abc]</c>, <c>[a-z]</c> (bounds in either order), <c>\x</c> escapes; case
/// sensitive. Bytes compare as C's signed <c>char</c>, as in Redis. Used by PSUBSCRIBE, PUBSUB
/// CHANNELS, KEYS, SCAN MATCH and HSCAN MATCH.
/// </summary>
public static class RespGlob
{
    // Redis stops matching (no match) past this depth of nested '*' (abusive patterns).
    private const int MaxNesting = 1000;

    /// <summary>True when <paramref name="text"/> matches <paramref name="pattern"/>.</summary>
    public static bool IsMatch(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text)
    {
        var skipLonger = false;
        return Match(pattern, text, ref skipLonger, 0);
    }

    /// <summary>True for <c>*</c>, which matches everything (no need to test each key).</summary>
    public static bool MatchesAll(ReadOnlySpan<byte> pattern) => pattern.Length == 1 && pattern[0] == '*';

    // The byte at i, or 0 past the end (Redis's strings end with a NUL it may read).
    private static sbyte At(ReadOnlySpan<byte> s, int i) => i < s.Length ? (sbyte)s[i] : (sbyte)0;

    private static bool Match(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text, ref bool skipLonger, int nesting)
    {
        if (nesting > MaxNesting)
            return false;
        var p = 0;
        var s = 0;
        while (p < pattern.Length && s < text.Length)
        {
            switch ((char)pattern[p])
            {
                case '*':
                    while (p + 1 < pattern.Length && pattern[p + 1] == '*')
                        p++;
                    if (p + 1 == pattern.Length)
                        return true;
                    while (s < text.Length)
                    {
                        if (Match(pattern[(p + 1)..], text[s..], ref skipLonger, nesting + 1))
                            return true;
                        if (skipLonger)
                            return false;
                        s++;
                    }
                    // No match for the rest of the pattern from anywhere in the rest of the text:
                    // earlier stars cannot help by matching longer.
                    skipLonger = true;
                    return false;
                case '?':
                    s++;
                    break;
                case '[':
                    {
                        p++;
                        var not = At(pattern, p) == '^';
                        if (not)
                            p++;
                        var match = false;
                        while (true)
                        {
                            if (At(pattern, p) == '\\' && pattern.Length - p >= 2)
                            {
                                p++;
                                if (At(pattern, p) == (sbyte)text[s])
                                    match = true;
                            }
                            else if (At(pattern, p) == ']')
                            {
                                break;
                            }
                            else if (p >= pattern.Length)
                            {
                                p--;
                                break;
                            }
                            else if (pattern.Length - p >= 3 && At(pattern, p + 1) == '-')
                            {
                                int start = At(pattern, p), end = At(pattern, p + 2), c = (sbyte)text[s];
                                if (start > end)
                                    (start, end) = (end, start);
                                p += 2;
                                if (c >= start && c <= end)
                                    match = true;
                            }
                            else if (At(pattern, p) == (sbyte)text[s])
                            {
                                match = true;
                            }
                            p++;
                        }
                        if (not)
                            match = !match;
                        if (!match)
                            return false;
                        s++;
                        break;
                    }
                case '\\':
                    if (pattern.Length - p >= 2)
                        p++;
                    if (pattern[p] != text[s])
                        return false;
                    s++;
                    break;
                default:
                    if (pattern[p] != text[s])
                        return false;
                    s++;
                    break;
            }
            p++;
            if (s == text.Length)
            {
                while (p < pattern.Length && pattern[p] == '*')
                    p++;
                break;
            }
        }
        return p == pattern.Length && s == text.Length;
    }
}
