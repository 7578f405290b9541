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
/// <remarks>
/// Rows a load skips as bad (a NULL or empty key, a NULL value, an integer that does not parse, a
/// key or value beyond the limits: <see cref="DbRowDecoder.Problem"/>) never reach memory, so the
/// store keeps them instead of deleting them with the rest (Kamailio deletes every row). Which rows
/// those are is decided inside the store's transaction by the decoder's own rule: a query returns
/// the few rows a cheap SQL filter cannot clear (a superset of the bad rows), the decoder picks the
/// bad ones among them, and the delete spares their <c>ctid</c>s (stable within the transaction,
/// which holds the table against VACUUM FULL). This needs no memory of earlier loads and is exact:
/// of the rows there when the store begins, one is kept if and only if a load would skip it (a row
/// another client writes meanwhile is replaced, as before). With no bad row the delete is the plain
/// <c>DELETE FROM</c> of before; the filter costs one scan that returns only the suspects (about
/// 0.5 s for 1M rows, half of them integers).
/// </remarks>
public sealed class PostgresTableSink(string connectionString, DbLoadOptions options)
{
    // A value the decoder surely parses as a 64-bit integer: at most 18 digits (19 may overflow),
    // an optional sign, blanks around that .NET's Trim removes too. Anything else is a suspect.
    private const string SafeInteger = @"^[ \t\n\r\f\v]*[+-]?[0-9]{1,18}[ \t\n\r\f\v]*$";

    /// <summary>
    /// Replaces the rows of <paramref name="table"/>'s dbtable by <paramref name="items"/> (read
    /// lock-free from the live table; live items only), keeping the rows a load skips as bad; says
    /// how many rows were written and kept. Tables with <c>cols</c> are not written back (as in
    /// Kamailio): <see cref="NotSupportedException"/>.
    /// </summary>
    public async Task<DbStoreResult> StoreAsync(TableOptions table, IEnumerable<Entry> items, long nowMs, CancellationToken cancellationToken = default)
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
        var kept = await BadRowsAsync(connection, tx, table, cancellationToken).ConfigureAwait(false);
        await using (var delete = new NpgsqlCommand(kept.Count == 0 ? $"DELETE FROM {name}" : $"DELETE FROM {name} WHERE ctid <> ALL(@kept::text[]::tid[])", connection, tx))
        {
            if (kept.Count > 0)
                delete.Parameters.AddWithValue("kept", kept.ToArray());
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
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
        return new DbStoreResult(rows, kept.Count);
    }

    // The SQL condition that holds for every row a load skips (and for a few more): the decoder's
    // checks, with lengths bounded by 4 UTF-8 bytes a character and integers by SafeInteger.
    // Parameters: max_key, max_value, safe_integer.
    private string SuspectCondition()
    {
        var key = PgIdentifier.Quote(options.KeyNameColumn) + "::text";
        var valueType = PgIdentifier.Quote(options.ValueTypeColumn) + "::bigint";
        var value = PgIdentifier.Quote(options.KeyValueColumn) + "::text";
        return $"{key} IS NULL OR {key} = '' OR char_length({key})::bigint * 4 > @max_key OR {value} IS NULL"
            + $" OR ({valueType} = 1 AND {value} !~ @safe_integer)"
            + $" OR ({valueType} IS DISTINCT FROM 1 AND char_length({value})::bigint * 4 > @max_value)";
    }

    // The ctids (as text) of the rows a load of the table skips, read in the store's transaction.
    private async Task<List<string>> BadRowsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, TableOptions table, CancellationToken ct)
    {
        var decoder = new DbRowDecoder(table, options);
        var sql = $"SELECT ctid::text, {PgIdentifier.Quote(options.KeyNameColumn)}::text, {PgIdentifier.Quote(options.KeyTypeColumn)}::bigint, "
            + $"{PgIdentifier.Quote(options.ValueTypeColumn)}::bigint, {PgIdentifier.Quote(options.KeyValueColumn)}::text "
            + $"FROM {PgIdentifier.QuoteName(table.DbTable)} WHERE {SuspectCondition()}";
        await using var query = new NpgsqlCommand(sql, connection, tx);
        query.Parameters.AddWithValue("max_key", (long)options.MaxKeyBytes);
        query.Parameters.AddWithValue("max_value", (long)options.MaxValueBytes);
        query.Parameters.AddWithValue("safe_integer", SafeInteger);
        var bad = new List<string>();
        await using var reader = await query.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            // The same row as PostgresTableSource reads it (NULL types count as 0).
            var row = new DbRow(
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? 0 : reader.GetInt64(2),
                reader.IsDBNull(3) ? 0 : reader.GetInt64(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                null);
            if (decoder.Problem(row) is not null)
                bad.Add(reader.GetString(0));
        }
        return bad;
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
