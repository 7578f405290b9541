using System.Globalization;
using System.Text;
using HTableCluster.Node.Resp;

namespace HTableCluster.Node.Tests.Resp;

/// <summary>
/// One-line text of a reply as RESP2 puts it on the wire, so a node's reply and redis-server's can be
/// compared as strings: <c>+OK</c>, <c>-ERR ...</c>, <c>:1</c>, <c>$"v"</c> (bytes outside printable
/// ASCII as <c>\xNN</c>), <c>$nil</c>, <c>*nil</c>, <c>*[a, b]</c>.
/// </summary>
public static class RespText
{
    public static string Show(RespReply reply) => reply switch
    {
        RespSimple s => "+" + s.Text,
        RespError e => "-" + e.Text,
        RespInteger i => ":" + i.Value.ToString(CultureInfo.InvariantCulture),
        RespBulk b => "$" + Quote(b.Bytes.Span),
        RespNull n => n.Array ? "*nil" : "$nil",
        RespArray a => List(a.Items.Select(Show)),
        RespSet s => List(s.Items.Select(Show)),
        RespPush p => List(p.Items.Select(Show)),
        RespMap m => List(m.Pairs.SelectMany(p => new[] { Show(p.Key), Show(p.Value) })),
        RespDouble d => "$" + Quote(Encoding.ASCII.GetBytes(d.Value.ToString("R", CultureInfo.InvariantCulture))),
        RespBoolean b => b.Value ? ":1" : ":0",
        RespVerbatim v => "$" + Quote(Encoding.UTF8.GetBytes(v.Text)),
        _ => throw new ArgumentException($"unknown reply {reply.GetType().Name}", nameof(reply)),
    };

    public static string List(IEnumerable<string> items) => "*[" + string.Join(", ", items) + "]";

    public static string Quote(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder("\"");
        foreach (var b in bytes)
        {
            if (b is >= 0x20 and < 0x7f && b != '"' && b != '\\')
                sb.Append((char)b);
            else
                sb.Append("\\x").Append(b.ToString("x2", CultureInfo.InvariantCulture));
        }
        return sb.Append('"').ToString();
    }

    /// <summary>
    /// Splits a script line into arguments: words separated by spaces, or double-quoted with
    /// <c>\"</c>, <c>\\</c> and <c>\xNN</c> escapes (<c>""</c> is the empty argument).
    /// </summary>
    public static ReadOnlyMemory<byte>[] Words(string line)
    {
        var words = new List<ReadOnlyMemory<byte>>();
        var i = 0;
        while (i < line.Length)
        {
            if (line[i] == ' ')
            {
                i++;
                continue;
            }
            var word = new List<byte>();
            if (line[i] == '"')
            {
                i++;
                while (i < line.Length && line[i] != '"')
                {
                    if (line[i] == '\\' && i + 1 < line.Length)
                    {
                        if (line[i + 1] == 'x' && i + 3 < line.Length)
                        {
                            word.Add(byte.Parse(line.AsSpan(i + 2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                            i += 4;
                            continue;
                        }
                        i++;
                    }
                    word.AddRange(Encoding.UTF8.GetBytes(line[i].ToString()));
                    i++;
                }
                i++;
            }
            else
            {
                while (i < line.Length && line[i] != ' ')
                {
                    word.AddRange(Encoding.UTF8.GetBytes(line[i].ToString()));
                    i++;
                }
            }
            words.Add(word.ToArray());
        }
        return [.. words];
    }

    /// <summary>The same reply text with the elements of its outer array (or of the key list of a SCAN reply) sorted.</summary>
    public static string Sorted(string shown)
    {
        if (!shown.StartsWith("*[", StringComparison.Ordinal))
            return shown;
        var items = Split(shown[2..^1]);
        if (items.Count == 2 && items[1].StartsWith("*[", StringComparison.Ordinal))
            return List([items[0], List(Split(items[1][2..^1]).Order(StringComparer.Ordinal))]);
        return List(items.Order(StringComparer.Ordinal));
    }

    // Top-level elements of a shown list (nested lists and quoted strings kept whole).
    private static List<string> Split(string inner)
    {
        var items = new List<string>();
        if (inner.Length == 0)
            return items;
        var depth = 0;
        var quoted = false;
        var start = 0;
        for (var i = 0; i < inner.Length; i++)
        {
            var c = inner[i];
            if (quoted)
            {
                if (c == '"')
                    quoted = false;
                continue;
            }
            if (c == '"')
                quoted = true;
            else if (c == '[')
                depth++;
            else if (c == ']')
                depth--;
            else if (c == ',' && depth == 0)
            {
                items.Add(inner[start..i].Trim());
                start = i + 1;
            }
        }
        items.Add(inner[start..].Trim());
        return items;
    }
}
