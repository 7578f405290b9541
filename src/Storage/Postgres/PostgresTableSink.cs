using System.Globalization;
using System.Text;
using Npgsql;

namespace HTableCluster.Storage.Postgres;

/// <summary>
/// Writes a table back to its <c>dbtable</c> (<c>dbmode=1</c> at shutdown, <c>htable.store</c>) the
/// way Kamailio does, with its rows: key type 0, value type 0 (text) or 1 (integer as decimal text),
/// the absolute expiry when <c>db_expires=1</c> on an autoexpire table, expired items left out. Unlike
/// Kamailio, which deletes the rows and then inserts one by one (a crash in between leaves the table
/// empty), the delete and a COPY of every row are one transaction: a failure anywhere leaves the
/// database table as it was. The COPY uses PostgreSQL's text format, so integer and text columns of
/// any width take the values.
/// </summary>
public sealed class PostgresTableSink(string connectionString, DbLoadOptions options)
{
    /// <summary>
    /// Replaces the rows of <paramref name="table"/>'s dbtable by <paramref name="items"/> (read
    /// lock-free from the live table; live items only); returns how many rows were written. Tables
    /// with <c>cols</c> are not written back (as in Kamailio): <see cref="NotSupportedException"/>.
    /// </summary>
    public async Task<int> StoreAsync(TableOptions table, IEnumerable<Entry> items, long nowMs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(items);
        if (table.Cols.Count > 0)
            throw new NotSupportedException($"table {table.Name} has cols: it is loaded from {table.DbTable} but not written back (as in Kamailio)");
        var withExpires = options.DbExpires && table.AutoExpire > 0;
        var name = PgIdentifier.QuoteName(table.DbTable);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var delete = new NpgsqlCommand($"DELETE FROM {name}", connection, tx))
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        var columns = $"{PgIdentifier.Quote(options.KeyNameColumn)}, {PgIdentifier.Quote(options.KeyTypeColumn)}, {PgIdentifier.Quote(options.ValueTypeColumn)}, {PgIdentifier.Quote(options.KeyValueColumn)}"
            + (withExpires ? ", " + PgIdentifier.Quote(options.ExpiresColumn) : "");
        var rows = 0;
        await using (var copy = await connection.BeginTextImportAsync($"COPY {name} ({columns}) FROM STDIN", cancellationToken).ConfigureAwait(false))
        {
            var line = new StringBuilder();
            foreach (var e in items)
            {
                // Kamailio skips items whose expiry has passed on autoexpire tables; here an expired
                // item is gone on every table (readers treat it as missing).
                if (e.IsTombstone || e.IsExpired(nowMs))
                    continue;
                line.Clear();
                Escape(line, e.Key).Append("\t0\t").Append(e.IsInteger ? '1' : '0').Append('\t');
                Escape(line, e.ValueText);
                if (withExpires)
                    line.Append('\t').Append(ExpiresSeconds(e).ToString(CultureInfo.InvariantCulture));
                line.Append('\n');
                await copy.WriteAsync(line, cancellationToken).ConfigureAwait(false);
                rows++;
            }
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return rows;
    }

    // Kamailio's expires column is an INTEGER of Unix seconds (0: none).
    private static int ExpiresSeconds(Entry e) =>
        e.ExpiresAtMs == 0 ? 0 : (int)Math.Clamp(e.ExpiresAtMs / 1000, 1, int.MaxValue);

    // COPY text format: backslash, tab, newline and carriage return are escaped.
    private static StringBuilder Escape(StringBuilder sb, string value)
    {
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => sb.Append("\\\\"),
                '\t' => sb.Append("\\t"),
                '\n' => sb.Append("\\n"),
                '\r' => sb.Append("\\r"),
                _ => sb.Append(c),
            };
        }
        return sb;
    }
}
