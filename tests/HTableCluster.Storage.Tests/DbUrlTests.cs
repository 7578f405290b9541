using HTableCluster.Storage.Postgres;
using Npgsql;

namespace HTableCluster.Storage.Tests;

public class DbUrlTests
{
    [Fact]
    public void Kamailio_urls_become_npgsql_connection_strings()
    {
        var b = new NpgsqlConnectionStringBuilder(DbUrl.ToConnectionString("postgres://kamailio:p%40ss@db.example:5433/kam"));
        Assert.Equal(("db.example", 5433, "kam", "kamailio", "p@ss"), (b.Host, b.Port, b.Database, b.Username, b.Password));

        var minimal = new NpgsqlConnectionStringBuilder(DbUrl.ToConnectionString("postgresql://localhost/kamailio"));
        Assert.Equal(("localhost", 5432, "kamailio"), (minimal.Host, minimal.Port, minimal.Database));

        var native = new NpgsqlConnectionStringBuilder(DbUrl.ToConnectionString("Host=h;Database=d;Username=u"));
        Assert.Equal(("h", "d"), (native.Host, native.Database));
    }

    [Theory]
    [InlineData("mysql://u:p@h/db", "not supported")]
    [InlineData("postgres://u:p@h/", "names no database")]
    [InlineData("", "empty")]
    [InlineData("Database=d", "names no Host")]
    public void Bad_urls_say_what_is_wrong(string url, string expected) =>
        Assert.Contains(expected, Assert.Throws<FormatException>(() => DbUrl.ToConnectionString(url)).Message, StringComparison.Ordinal);

    [Fact]
    public void Passwords_are_redacted_for_logs()
    {
        Assert.Equal("postgres://kamailio:***@h/kam", DbUrl.Redact("postgres://kamailio:secret@h/kam"));
        Assert.DoesNotContain("secret", DbUrl.Redact("Host=h;Password=secret"), StringComparison.Ordinal);
    }
}
