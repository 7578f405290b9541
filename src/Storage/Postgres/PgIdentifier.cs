namespace HTableCluster.Storage.Postgres;

/// <summary>SQL identifiers as configured (table and column names), quoted for PostgreSQL.</summary>
public static class PgIdentifier
{
    /// <summary>One identifier in double quotes (a double quote inside is doubled).</summary>
    public static string Quote(string identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        return "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>A table name, each dot-separated part quoted (schema-qualified names allowed).</summary>
    public static string QuoteName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return string.Join('.', name.Split('.').Select(Quote));
    }
}
