namespace HTableCluster.Node.Resp;

/// <summary>
/// Splits an inline command line into words as Redis does (sdssplitargs): blanks separate words;
/// <c>"..."</c> takes the escapes <c>\n \r \t \b \a \xHH</c> and <c>\"</c>; <c>'...'</c> takes <c>\'</c>;
/// a closing quote must be followed by a blank or the end of the line.
/// </summary>
public static class RespInline
{
    /// <summary>The words of <paramref name="line"/> (no line end), or null for unbalanced quotes.</summary>
    public static ReadOnlyMemory<byte>[]? Split(ReadOnlySpan<byte> line)
    {
        // Redis parses a C string: a NUL byte ends the line.
        var nul = line.IndexOf((byte)0);
        if (nul >= 0)
            line = line[..nul];
        var words = new List<ReadOnlyMemory<byte>>();
        var current = new List<byte>();
        var p = 0;
        while (true)
        {
            while (p < line.Length && IsSpace(line[p]))
                p++;
            if (p == line.Length)
                return [.. words];
            var inDouble = false;
            var inSingle = false;
            var done = false;
            current.Clear();
            while (!done)
            {
                var c = p < line.Length ? line[p] : (byte)0;
                var next = p + 1 < line.Length ? line[p + 1] : (byte)0;
                if (inDouble)
                {
                    if (c == '\\' && next == 'x' && p + 3 < line.Length && IsHex(line[p + 2]) && IsHex(line[p + 3]))
                    {
                        current.Add((byte)((HexValue(line[p + 2]) * 16) + HexValue(line[p + 3])));
                        p += 3;
                    }
                    else if (c == '\\' && next != 0)
                    {
                        p++;
                        current.Add(next switch
                        {
                            (byte)'n' => (byte)'\n',
                            (byte)'r' => (byte)'\r',
                            (byte)'t' => (byte)'\t',
                            (byte)'b' => (byte)'\b',
                            (byte)'a' => (byte)'\a',
                            _ => next,
                        });
                    }
                    else if (c == '"')
                    {
                        if (next != 0 && !IsSpace(next))
                            return null;
                        done = true;
                    }
                    else if (c == 0)
                    {
                        return null;
                    }
                    else
                    {
                        current.Add(c);
                    }
                }
                else if (inSingle)
                {
                    if (c == '\\' && next == '\'')
                    {
                        p++;
                        current.Add((byte)'\'');
                    }
                    else if (c == '\'')
                    {
                        if (next != 0 && !IsSpace(next))
                            return null;
                        done = true;
                    }
                    else if (c == 0)
                    {
                        return null;
                    }
                    else
                    {
                        current.Add(c);
                    }
                }
                else
                {
                    switch (c)
                    {
                        case (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or 0:
                            done = true;
                            break;
                        case (byte)'"':
                            inDouble = true;
                            break;
                        case (byte)'\'':
                            inSingle = true;
                            break;
                        default:
                            current.Add(c);
                            break;
                    }
                }
                if (p < line.Length)
                    p++;
            }
            words.Add(current.ToArray());
        }
    }

    // C's isspace.
    private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';

    private static bool IsHex(byte c) => c is (>= (byte)'0' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f') or (>= (byte)'A' and <= (byte)'F');

    private static int HexValue(byte c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
