using System.Text;

namespace HTableCluster.FlatStore;

/// <summary>
/// File names of the accounting logs: <c>&lt;table&gt;_&lt;node-id&gt;.log</c> (Kamailio names them
/// per process; here they are per node). A table name that could leave the directory or is not a
/// plain name is refused; characters of the node id that are unsafe in a file name are replaced by
/// <c>_</c>.
/// </summary>
public static class FlatFileName
{
    /// <summary>Longest table name accepted.</summary>
    public const int MaxTableLength = 128;

    /// <summary>The file name for <paramref name="table"/> on node <paramref name="nodeId"/>; <see cref="ArgumentException"/> names what is wrong.</summary>
    public static string For(string table, string nodeId)
    {
        ArgumentNullException.ThrowIfNull(nodeId);
        if (Problem(table) is { } problem)
            throw new ArgumentException(problem, nameof(table));
        return $"{table}_{Safe(nodeId)}.log";
    }

    /// <summary>Why <paramref name="table"/> cannot name a file, or null when it can.</summary>
    public static string? Problem(string? table)
    {
        if (string.IsNullOrEmpty(table))
            return "the table name is empty";
        if (table.Length > MaxTableLength)
            return $"the table name is longer than {MaxTableLength} characters";
        if (table is "." or "..")
            return $"'{table}' is not a table name";
        foreach (var c in table)
        {
            if (c is '/' or '\\' or '\0' || char.IsControl(c))
                return $"the table name '{Printable(table)}' contains a path separator or a control character";
        }
        return null;
    }

    private static string Safe(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
            sb.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_');
        return sb.Length == 0 ? "node" : sb.ToString();
    }

    private static string Printable(string s) =>
        string.Concat(s.Take(64).Select(c => char.IsControl(c) ? '?' : c));
}
