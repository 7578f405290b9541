using HTableCluster.Node.Configuration;
using HTableCluster.Storage;
using HTableCluster.Storage.Postgres;
using Npgsql;

namespace HTableCluster.Node.Database;

/// <summary>
/// This node's database (<c>Htable:DbUrl</c>): where its <c>dbtable</c> tables are read from, with
/// Kamailio's column parameters and the RPC size limits. Null <see cref="Source"/> when no db_url is set.
/// </summary>
public sealed class TableDatabase
{
    /// <summary>Reads the settings.</summary>
    public TableDatabase(NodeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var h = settings.Htable;
        Options = new DbLoadOptions
        {
            KeyNameColumn = h.KeyNameColumn,
            KeyTypeColumn = h.KeyTypeColumn,
            ValueTypeColumn = h.ValueTypeColumn,
            KeyValueColumn = h.KeyValueColumn,
            ExpiresColumn = h.ExpiresColumn,
            ArraySizeSuffix = h.ArraySizeSuffix,
            FetchRows = h.FetchRows,
            DbExpires = h.DbExpires == 1,
            MaxKeyBytes = settings.Rpc.MaxKeyBytes,
            MaxValueBytes = settings.Rpc.MaxValueBytes,
        };
        if (h.DbUrl.Length > 0)
        {
            var connectionString = DbUrl.ToConnectionString(h.DbUrl);
            Source = new PostgresTableSource(connectionString, Options);
            Sink = new PostgresTableSink(connectionString, Options);
        }
    }

    /// <summary>How rows are read.</summary>
    public DbLoadOptions Options { get; }

    /// <summary>The table reader, or null without a db_url.</summary>
    public PostgresTableSource? Source { get; }

    /// <summary>The table writer (write-back), or null without a db_url.</summary>
    public PostgresTableSink? Sink { get; }

    /// <summary>True when <paramref name="table"/> is loaded from the database.</summary>
    public bool Serves(TableOptions table) => Source is not null && table.DbTable.Length > 0;

    /// <summary>True for the errors that mean "the database is not reachable or not usable right now".</summary>
    public static bool IsTrouble(Exception ex) =>
        ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException or IOException
        || ex is InvalidOperationException { InnerException: NpgsqlException };

    /// <summary>What an operator needs from a database error: the server's message and code, or the network failure.</summary>
    public static string Describe(Exception ex) => ex switch
    {
        PostgresException pg => $"{pg.MessageText} ({pg.SqlState})",
        NpgsqlException { InnerException: System.Net.Sockets.SocketException s } => "cannot reach the database: " + s.Message,
        NpgsqlException { InnerException: { } inner } n => n.Message + ": " + inner.Message,
        _ => ex.Message,
    };
}
