using System.Globalization;
using System.Text;

namespace HTableCluster.Storage.Postgres;

/// <summary>
/// Turns a table's database rows into items the way Kamailio's htable loads them: key type 1 adds
/// <c>name[n]</c> (n counting from 0 per name) plus an integer <c>name::size</c>, value type 1 is an
/// integer, <c>db_expires=1</c> on an autoexpire table reads the absolute expiry (an expired row is
/// skipped), and a table with <c>cols</c> gets the value columns packed into one string (joined by
/// <c>coldelim</c>, NULL written as <c>colnull</c>). Unlike Kamailio, which stops the whole load at
/// a NULL key or value, a bad row (NULL key or value, an integer that does not parse, a key or value
/// beyond the limits) is reported with its key and skipped; the rest loads.
/// </summary>
/// <remarks>
/// Rows are not required in key order: the array numbering is kept per name, and the sizes come
/// out at <see cref="Finish"/> (Kamailio sorts by key name for that).
/// </remarks>
public sealed class DbRowDecoder(TableOptions table, DbLoadOptions options)
{
    private readonly Dictionary<string, long> _arrays = new(StringComparer.Ordinal);
    private readonly bool _readExpires = options.DbExpires && table.AutoExpire > 0;
    private long _row;

    /// <summary>Rows seen.</summary>
    public long Rows => _row;

    /// <summary>Rows skipped as bad.</summary>
    public long Skipped { get; private set; }

    /// <summary>
    /// Decodes one row into <paramref name="items"/>; a bad row adds its reason to
    /// <paramref name="problems"/> instead.
    /// </summary>
    public void Add(in DbRow row, List<LoadedItem> items, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(problems);
        _row++;
        if (Problem(row) is { } problem)
        {
            Skipped++;
            problems.Add($"table {table.Name} ({table.DbTable}) row {_row}: {problem}; skipped");
            return;
        }
        var key = row.Key!;
        if (table.Cols.Count > 0)
        {
            items.Add(LoadedItem.OfString(key, Pack(row.Columns!)));
            return;
        }
        var expires = _readExpires ? Math.Max(0, row.Expires ?? 0) : 0;
        if (row.KeyType == 1)
        {
            var n = _arrays.GetValueOrDefault(key);
            _arrays[key] = n + 1;
            key = string.Create(CultureInfo.InvariantCulture, $"{key}[{n}]");
        }
        items.Add(row.ValueType == 1
            ? LoadedItem.OfInteger(key, long.Parse(row.Value!.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture), expires)
            : LoadedItem.OfString(key, row.Value!, expires));
    }

    /// <summary>The array sizes (<c>name::size</c>), once every row is in.</summary>
    public void Finish(List<LoadedItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        foreach (var (name, count) in _arrays)
            items.Add(LoadedItem.OfInteger(name + options.ArraySizeSuffix, count));
        _arrays.Clear();
    }

    /// <summary>
    /// Why a load skips <paramref name="row"/> (the text names its key), or null when it loads. A
    /// function of the row and the options alone, so the store can tell which database rows never
    /// reached memory and must be kept.
    /// </summary>
    public string? Problem(in DbRow row)
    {
        if (row.Key is null)
            return $"{Column(0)} is NULL";
        var label = $"key '{Shorten(row.Key)}'";
        if (Encoding.UTF8.GetByteCount(row.Key) > options.MaxKeyBytes)
            return $"{label} is longer than {options.MaxKeyBytes} bytes (Rpc:MaxKeyBytes)";
        if (row.Key.Length == 0)
            return $"{Column(0)} is empty";
        if (table.Cols.Count > 0)
        {
            var length = 0L;
            foreach (var c in row.Columns!)
                length += Encoding.UTF8.GetByteCount(c ?? table.ColNull) + table.ColDelim.Length;
            return length > options.MaxValueBytes ? $"{label}: the packed value is longer than {options.MaxValueBytes} bytes (Rpc:MaxValueBytes)" : null;
        }
        if (row.Value is null)
            return $"{label}: {options.KeyValueColumn} is NULL";
        if (row.ValueType == 1)
        {
            return long.TryParse(row.Value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
                ? null
                : $"{label}: value '{Shorten(row.Value)}' is not a 64-bit integer but {options.ValueTypeColumn} is 1";
        }
        return Encoding.UTF8.GetByteCount(row.Value) > options.MaxValueBytes
            ? $"{label}: the value is longer than {options.MaxValueBytes} bytes (Rpc:MaxValueBytes)"
            : null;
    }

    private string Pack(IReadOnlyList<string?> values)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < values.Count; i++)
        {
            if (i > 0)
                sb.Append(table.ColDelim);
            sb.Append(values[i] ?? table.ColNull);
        }
        return sb.ToString();
    }

    private string Column(int index) => table.Cols.Count > 0 ? table.Cols[index] : options.KeyNameColumn;

    private static string Shorten(string s) => s.Length <= 64 ? s : string.Concat(s.AsSpan(0, 61), "...");
}
