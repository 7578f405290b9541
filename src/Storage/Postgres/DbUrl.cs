using Npgsql;

namespace HTableCluster.Storage.Postgres;

/// <summary>
/// The <c>db_url</c> parameter: Kamailio's <c>postgres://user:pass@host:port/db</c> form (also
/// <c>postgresql://</c>; user, password and port optional, parts percent-encoded) or an Npgsql
/// connection string (<c>Host=...;Database=...</c>).
/// </summary>
public static class DbUrl
{
    /// <summary>The Npgsql connection string; <see cref="FormatException"/> says what is wrong.</summary>
    public static string ToConnectionString(string dbUrl)
    {
        ArgumentNullException.ThrowIfNull(dbUrl);
        var url = dbUrl.Trim();
        if (url.Length == 0)
            throw new FormatException("db_url is empty");
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
            return AsNpgsql(url);
        var name = url[..scheme];
        if (name is not ("postgres" or "postgresql"))
            throw new FormatException($"db_url scheme '{name}' is not supported (expected postgres:// or an Npgsql connection string)");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw new FormatException($"db_url '{Redact(url)}' is not postgres://user:pass@host:port/db");
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length == 0)
            throw new FormatException($"db_url '{Redact(url)}' names no database");
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host.Trim('[', ']'),
            Database = database,
        };
        if (uri.Port > 0)
            b.Port = uri.Port;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            b.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0)
                b.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }
        return b.ConnectionString;
    }

    /// <summary>The URL with its password replaced by <c>***</c>, for logs and errors.</summary>
    public static string Redact(string dbUrl)
    {
        ArgumentNullException.ThrowIfNull(dbUrl);
        var scheme = dbUrl.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            try
            {
                var b = new NpgsqlConnectionStringBuilder(dbUrl);
                if (!string.IsNullOrEmpty(b.Password))
                    b.Password = "***";
                return b.ConnectionString;
            }
            catch (ArgumentException)
            {
                return "(unparsable connection string)";
            }
        }
        var at = dbUrl.LastIndexOf('@');
        var colon = dbUrl.IndexOf(':', scheme + 3);
        return at > 0 && colon > 0 && colon < at ? dbUrl[..(colon + 1)] + "***" + dbUrl[at..] : dbUrl;
    }

    private static string AsNpgsql(string text)
    {
        try
        {
            var b = new NpgsqlConnectionStringBuilder(text);
            if (string.IsNullOrEmpty(b.Host))
                throw new FormatException("the connection string names no Host");
            return b.ConnectionString;
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"db_url is neither postgres://... nor a valid Npgsql connection string: {ex.Message}", ex);
        }
    }
}
