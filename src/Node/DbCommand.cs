using System.CommandLine;
using HTableCluster.Storage.Postgres;
using Npgsql;

namespace HTableCluster.Node;

/// <summary>
/// <c>htcluster db init --db-url URL [--table NAME]</c>: creates Kamailio's <c>htable</c> table (and
/// the <c>version</c> table) in a PostgreSQL database when missing, as Kamailio's own SQL scripts
/// define them. Idempotent.
/// </summary>
public static class DbCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var url = new Option<string>("--db-url") { Description = "postgres://user:pass@host:port/db or an Npgsql connection string", Required = true };
        var table = new Option<string>("--table") { Description = "Table name", DefaultValueFactory = _ => "htable" };
        var init = new Command("init", """
            Create Kamailio's htable schema in a PostgreSQL database (when missing).

            Exit codes:
              0   the table is ready
              1   the database refused or cannot be reached, or the URL is bad (one line on stderr)
              64  bad command line (unknown option, missing --db-url)
            """) { url, table };
        init.SetAction(async (parse, cancellationToken) =>
        {
            var dbUrl = parse.GetValue(url)!;
            try
            {
                await HtableSchema.CreateAsync(DbUrl.ToConnectionString(dbUrl), parse.GetValue(table)!, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is FormatException or NpgsqlException)
            {
                await Console.Error.WriteLineAsync($"htcluster db init: {DbUrl.Redact(dbUrl)}: {(ex is PostgresException pg ? $"{pg.MessageText} ({pg.SqlState})" : ex.Message)}").ConfigureAwait(false);
                return 1;
            }
            await Console.Out.WriteLineAsync($"table {parse.GetValue(table)} ready in {DbUrl.Redact(dbUrl)}").ConfigureAwait(false);
            return 0;
        });
        return new Command("db", "Database tools") { init };
    }
}
