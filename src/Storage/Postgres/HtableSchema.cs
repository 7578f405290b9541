using Npgsql;

namespace HTableCluster.Storage.Postgres;

/// <summary>
/// Kamailio's <c>htable</c> table as its own PostgreSQL scripts create it
/// (utils/kamctl/postgres/htable-create.sql, table version 2), with the <c>version</c> table
/// Kamailio's database layer checks.
/// </summary>
public static class HtableSchema
{
    /// <summary>The statements that create <paramref name="table"/> (default <c>htable</c>) when missing.</summary>
    public static string CreateSql(string table = "htable")
    {
        var name = PgIdentifier.QuoteName(table);
        var plain = table.Replace("'", "''", StringComparison.Ordinal);
        return $"""
            CREATE TABLE IF NOT EXISTS version (
                id SERIAL PRIMARY KEY NOT NULL,
                table_name VARCHAR(32) NOT NULL,
                table_version INTEGER DEFAULT 0 NOT NULL,
                CONSTRAINT version_table_name_idx UNIQUE (table_name)
            );
            INSERT INTO version (table_name, table_version) VALUES ('version', 1) ON CONFLICT DO NOTHING;
            CREATE TABLE IF NOT EXISTS {name} (
                id SERIAL PRIMARY KEY NOT NULL,
                key_name VARCHAR(64) DEFAULT '' NOT NULL,
                key_type INTEGER DEFAULT 0 NOT NULL,
                value_type INTEGER DEFAULT 0 NOT NULL,
                key_value VARCHAR(128) DEFAULT '' NOT NULL,
                expires INTEGER DEFAULT 0 NOT NULL
            );
            INSERT INTO version (table_name, table_version) VALUES ('{plain}', 2) ON CONFLICT DO NOTHING;
            """;
    }

    /// <summary>Creates the tables when missing (idempotent).</summary>
    public static async Task CreateAsync(string connectionString, string table = "htable", CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(CreateSql(table), connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
