using System.Runtime.CompilerServices;
using Npgsql;

namespace HTableCluster.Storage.Postgres;

/// <summary>
/// Reads a table's rows from PostgreSQL for a preload or a reload: one binary <c>COPY (SELECT ...)
/// TO STDOUT</c>, streamed (never the whole result in memory), decoded by <see cref="DbRowDecoder"/>
/// and handed out in batches of <see cref="DbLoadOptions.FetchRows"/> items. Columns are cast to
/// text and bigint in the query, so integer columns of any width and text or varchar work.
/// </summary>
public sealed class PostgresTableSource(string connectionString, DbLoadOptions options)
{
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
            // Rows are read synchronously: the copy stream is buffered, so most reads are memory
            // copies, and an await per column costs more than the column (the loader runs on a
            // thread of its own).
            while (copy.StartRow() != -1)
            {
                cancellationToken.ThrowIfCancellationRequested();
                DbRow row;
                var key = Text(copy);
                if (valueColumns > 0)
                {
                    var values = new string?[valueColumns];
                    for (var i = 0; i < values.Length; i++)
                        values[i] = Text(copy);
                    row = new DbRow(key, 0, 0, null, null, values);
                }
                else
                {
                    var keyType = Number(copy);
                    var valueType = Number(copy);
                    var value = Text(copy);
                    var expires = Number(copy);
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
            select = string.Join(", ", table.Cols.Select(c => Quote(c) + "::text"));
        }
        else
        {
            var expires = options.DbExpires && table.AutoExpire > 0 ? Quote(options.ExpiresColumn) + "::bigint" : "NULL::bigint";
            select = $"{Quote(options.KeyNameColumn)}::text, {Quote(options.KeyTypeColumn)}::bigint, {Quote(options.ValueTypeColumn)}::bigint, {Quote(options.KeyValueColumn)}::text, {expires}";
        }
        return $"COPY (SELECT {select} FROM {QuoteName(table.DbTable)}) TO STDOUT (FORMAT BINARY)";
    }

    /// <summary>A table name, each dot-separated part quoted.</summary>
    public static string QuoteName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return string.Join('.', name.Split('.').Select(Quote));
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string? Text(NpgsqlBinaryExporter copy)
    {
        if (copy.IsNull)
        {
            copy.Skip();
            return null;
        }
        return copy.Read<string>();
    }

    private static long? Number(NpgsqlBinaryExporter copy)
    {
        if (copy.IsNull)
        {
            copy.Skip();
            return null;
        }
        return copy.Read<long>();
    }
}
