using System.Runtime.CompilerServices;
using Npgsql;

namespace HTableCluster.Storage.Postgres;

/// <summary>
/// Reads a table's rows from PostgreSQL for a preload or a reload: one binary <c>COPY (SELECT ...)
/// TO STDOUT</c>, streamed (never the whole result in memory), decoded by <see cref="DbRowDecoder"/>
/// and handed out in batches of <see cref="DbLoadOptions.FetchRows"/> items. Columns are cast to
/// text and bigint in the query, so integer columns of any width and text or varchar work.
/// </summary>
/// <remarks>
/// Every read is asynchronous: the node runs socket completions on the epoll threads
/// (<c>Rpc:InlineIo</c>), so the rest of this loop runs there too, and a synchronous read there waits
/// for an event only that same thread would deliver (it hung until the read timeout).
/// <see cref="NpgsqlBinaryExporter.IsNull"/> reads a column's length synchronously when it is not
/// buffered yet, so it is never called: a text column comes with a flag column that says whether it
/// is NULL (<c>c IS NULL, COALESCE(c::text, '')</c>), and a number is read as <c>long?</c>.
/// </remarks>
public sealed class PostgresTableSource(string connectionString, DbLoadOptions options)
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The rows of <paramref name="table"/>'s <c>dbtable</c> as batches of items with the problems
    /// found in them (bad rows, skipped). Connection and query errors are thrown as they come
    /// (<see cref="NpgsqlException"/>, <see cref="PostgresException"/>).
    /// </summary>
    public async IAsyncEnumerable<DbBatch> ReadAsync(TableOptions table, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        var decoder = new DbRowDecoder(table, options);
        var size = Math.Max(1, options.FetchRows);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        var items = new List<LoadedItem>(size);
        var problems = new List<string>();
        await using (var copy = await connection.BeginBinaryExportAsync(CopyCommand(table), cancellationToken).ConfigureAwait(false))
        {
            var valueColumns = table.Cols.Count > 0 ? table.Cols.Count - 1 : 0;
            // A batch handed out may take the writers a while: the stream waits for it, longer than
            // Npgsql's default of 30 s for one read.
            copy.Timeout = ReadTimeout;
            while (await copy.StartRowAsync(cancellationToken).ConfigureAwait(false) != -1)
            {
                DbRow row;
                var key = await Text(copy, cancellationToken).ConfigureAwait(false);
                if (valueColumns > 0)
                {
                    var values = new string?[valueColumns];
                    for (var i = 0; i < values.Length; i++)
                        values[i] = await Text(copy, cancellationToken).ConfigureAwait(false);
                    row = new DbRow(key, 0, 0, null, null, values);
                }
                else
                {
                    var keyType = await Number(copy, cancellationToken).ConfigureAwait(false);
                    var valueType = await Number(copy, cancellationToken).ConfigureAwait(false);
                    var value = await Text(copy, cancellationToken).ConfigureAwait(false);
                    var expires = await Number(copy, cancellationToken).ConfigureAwait(false);
                    row = new DbRow(key, keyType ?? 0, valueType ?? 0, value, expires);
                }
                decoder.Add(row, items, problems);
                if (items.Count >= size)
                {
                    yield return new DbBatch(items, problems);
                    items = new List<LoadedItem>(size);
                    problems = [];
                }
            }
        }
        decoder.Finish(items);
        if (items.Count > 0 || problems.Count > 0)
            yield return new DbBatch(items, problems);
    }

    /// <summary>The COPY command that reads <paramref name="table"/> (quoted identifiers; schema-qualified names allowed).</summary>
    public string CopyCommand(TableOptions table)
    {
        ArgumentNullException.ThrowIfNull(table);
        string select;
        if (table.Cols.Count > 0)
        {
            select = string.Join(", ", table.Cols.Select(c => NullableText(PgIdentifier.Quote(c))));
        }
        else
        {
            var expires = options.DbExpires && table.AutoExpire > 0 ? PgIdentifier.Quote(options.ExpiresColumn) + "::bigint" : "NULL::bigint";
            select = $"{NullableText(PgIdentifier.Quote(options.KeyNameColumn))}, {PgIdentifier.Quote(options.KeyTypeColumn)}::bigint, {PgIdentifier.Quote(options.ValueTypeColumn)}::bigint, {NullableText(PgIdentifier.Quote(options.KeyValueColumn))}, {expires}";
        }
        return $"COPY (SELECT {select} FROM {PgIdentifier.QuoteName(table.DbTable)}) TO STDOUT (FORMAT BINARY)";
    }

    // A text column as two: whether it is NULL, then its text ('' for NULL). See the remarks.
    private static string NullableText(string column) => $"{column} IS NULL, COALESCE({column}::text, '')";

    private static async ValueTask<string?> Text(NpgsqlBinaryExporter copy, CancellationToken ct)
    {
        var isNull = await copy.ReadAsync<bool>(ct).ConfigureAwait(false);
        var text = await copy.ReadAsync<string>(ct).ConfigureAwait(false);
        return isNull ? null : text;
    }

    private static ValueTask<long?> Number(NpgsqlBinaryExporter copy, CancellationToken ct) =>
        copy.ReadAsync<long?>(ct);
}
