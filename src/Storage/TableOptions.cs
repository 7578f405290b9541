using System.Globalization;
using System.Text;

namespace HTableCluster.Storage;

/// <summary>
/// A table definition in Kamailio's syntax, e.g. <c>a=&gt;size=8;autoexpire=7200;dmqreplicate=1</c>.
/// Every attribute of the htable module is parsed and validated here; Storage uses the in-memory ones
/// and the PostgreSQL layer the database ones.
/// </summary>
public sealed record TableOptions
{
    /// <summary>Sizes above 31 get 2^14 slots (Kamailio 5.6's clamp).</summary>
    public const int ClampedSizeBits = 14;

    /// <summary>Largest size accepted: 31 would mean 2^31 slots, which Kamailio cannot allocate either.</summary>
    public const int MaxSize = 30;

    /// <summary>Table name, as used in <c>$sht(name=&gt;key)</c> and every RPC.</summary>
    public required string Name { get; init; }

    /// <summary>The <c>size</c> attribute as written (default 4).</summary>
    public int Size { get; init; } = 4;

    /// <summary>Number of slots as Kamailio 5.6 computes it: size &lt;= 1 gives 8, 2..30 gives 2^size, above 31 gives 2^14.</summary>
    public int SlotCount => Size <= 1 ? 8 : Size > 31 ? 1 << ClampedSizeBits : 1 << Size;

    /// <summary>Seconds after the last update (or creation) before an item expires; 0 = never.</summary>
    public int AutoExpire { get; init; }

    /// <summary>Database table preloaded at start (empty = none).</summary>
    public string DbTable { get; init; } = "";

    /// <summary>Column names from <c>cols</c>; first is the key column. Empty when not set.</summary>
    public IReadOnlyList<string> Cols { get; init; } = [];

    /// <summary>1 = write the table back to <see cref="DbTable"/> on shutdown and <c>htable.store</c>.</summary>
    public int DbMode { get; init; }

    /// <summary>Integer returned instead of $null for a missing key (the <c>initval</c> attribute).</summary>
    public long? InitVal { get; init; }

    /// <summary>When true (default) an update restarts the item's expiry.</summary>
    public bool UpdateExpire { get; init; } = true;

    /// <summary>Replicate mutations to the other nodes (<c>dmqreplicate=1</c>).</summary>
    public bool DmqReplicate { get; init; }

    /// <summary>Delimiter used to pack several value columns (<c>coldelim</c>, default ",").</summary>
    public string ColDelim { get; init; } = ",";

    /// <summary>
    /// Text stored for a NULL column when packing (<c>colnull</c>; empty: nothing). Default <c>*</c>,
    /// as Kamailio packs a NULL column (5.6 always, later versions unless <c>colnull</c> is set).
    /// </summary>
    public string ColNull { get; init; } = "*";

    /// <summary>
    /// Seconds between reloads of the table from its <see cref="DbTable"/> (<c>reloadat</c>, from
    /// Kamailio after 6.0; 0, the default, never). Each reload raises <c>htable:reloaded:&lt;table&gt;</c>.
    /// Node-local, like <c>htable.reload</c>: not part of what must agree between replicating nodes.
    /// </summary>
    public int ReloadAt { get; init; }

    /// <summary>The attributes this version knows, in Kamailio's documentation order.</summary>
    public static IReadOnlyList<string> Attributes { get; } =
        ["size", "autoexpire", "reloadat", "dbtable", "cols", "dbmode", "initval", "updateexpire", "dmqreplicate", "coldelim", "colnull"];

    /// <summary>Parses one definition; throws <see cref="FormatException"/> naming the bad attribute.</summary>
    public static TableOptions Parse(string definition) => Parse(definition, null);

    /// <summary>
    /// Parses one definition. An attribute this version does not know is an error naming it when
    /// <paramref name="unknown"/> is null; otherwise it is added there (<c>name=value</c>) and
    /// skipped, so a definition written for a newer Kamailio still loads. A bad value of a known
    /// attribute is always an error (<see cref="FormatException"/>): Kamailio refuses it too.
    /// </summary>
    public static TableOptions Parse(string definition, ICollection<string>? unknown)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var arrow = definition.IndexOf("=>", StringComparison.Ordinal);
        if (arrow <= 0)
            throw new FormatException($"htable definition '{definition}': expected 'name=>attribute=value;...'");
        var name = definition[..arrow].Trim();
        if (name.Length == 0 || name.Any(char.IsWhiteSpace))
            throw new FormatException($"htable definition '{definition}': invalid table name '{name}'");

        var options = new TableOptions { Name = name };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in SplitAttributes(definition, definition[(arrow + 2)..]))
        {
            if (unknown is not null && !Attributes.Contains(key))
            {
                unknown.Add(key + "=" + value);
                continue;
            }
            // As in Kamailio, every occurrence is validated and the first one wins.
            var candidate = key switch
            {
                "size" => options with { Size = Size31(definition, Int(definition, key, value, 0, int.MaxValue)) },
                "autoexpire" => options with { AutoExpire = Int(definition, key, value, 0, int.MaxValue) },
                "dbtable" => options with { DbTable = value },
                "cols" => options with { Cols = ParseCols(definition, value) },
                "dbmode" => options with { DbMode = Int(definition, key, value, 0, 1) },
                "initval" => options with { InitVal = Long(definition, key, value) },
                "updateexpire" => options with { UpdateExpire = Int(definition, key, value, 0, 1) == 1 },
                "dmqreplicate" => options with { DmqReplicate = Int(definition, key, value, 0, 1) == 1 },
                "coldelim" => options with { ColDelim = NonEmpty(definition, key, value) },
                "colnull" => options with { ColNull = value },
                "reloadat" => options with { ReloadAt = Int(definition, key, value, 0, int.MaxValue) },
                _ => throw new FormatException($"htable definition '{definition}': unknown attribute '{key}'"),
            };
            if (seen.Add(key))
                options = candidate;
        }
        return options;
    }

    /// <summary>Formats the definition back into Kamailio's syntax (canonical attribute order).</summary>
    public string ToDefinition()
    {
        var sb = new StringBuilder();
        sb.Append(Name).Append("=>size=").Append(Size.ToString(CultureInfo.InvariantCulture));
        sb.Append(";autoexpire=").Append(AutoExpire.ToString(CultureInfo.InvariantCulture));
        if (ReloadAt != 0) sb.Append(";reloadat=").Append(ReloadAt.ToString(CultureInfo.InvariantCulture));
        if (DbTable.Length > 0) sb.Append(";dbtable=").Append(DbTable);
        if (Cols.Count > 0) sb.Append(";cols='").Append(string.Join(',', Cols)).Append('\'');
        if (DbMode != 0) sb.Append(";dbmode=").Append(DbMode.ToString(CultureInfo.InvariantCulture));
        if (InitVal is { } iv) sb.Append(";initval=").Append(iv.ToString(CultureInfo.InvariantCulture));
        if (!UpdateExpire) sb.Append(";updateexpire=0");
        if (DmqReplicate) sb.Append(";dmqreplicate=1");
        if (ColDelim != ",") sb.Append(";coldelim=").Append(ColDelim);
        if (ColNull != "*") sb.Append(";colnull=").Append(ColNull);
        return sb.ToString();
    }

    private static IEnumerable<(string Key, string Value)> SplitAttributes(string definition, string body)
    {
        var i = 0;
        while (i < body.Length)
        {
            char? quote = null;
            var sb = new StringBuilder();
            var keyEnd = -1;
            for (; i < body.Length; i++)
            {
                var c = body[i];
                if (quote is { } q)
                {
                    if (c == q) quote = null;
                    else sb.Append(c);
                    continue;
                }
                if (c == ';') break;
                if ((c == '"' || c == '\'') && keyEnd >= 0)
                {
                    quote = c;
                    continue;
                }
                if (c == '=' && keyEnd < 0)
                {
                    keyEnd = sb.Length;
                }
                sb.Append(c);
            }
            if (quote is not null)
            {
                var attr = keyEnd >= 0 ? sb.ToString(0, keyEnd).Trim() : sb.ToString().Trim();
                throw new FormatException($"htable definition '{definition}': attribute '{attr}' has an unterminated quote");
            }
            i++; // skip ';'
            var text = sb.ToString();
            if (text.Trim().Length == 0)
                continue;
            if (keyEnd < 0)
                throw new FormatException($"htable definition '{definition}': attribute '{text.Trim()}' has no value");
            var key = text[..keyEnd].Trim().ToLowerInvariant();
            var value = text[(keyEnd + 1)..].Trim();
            yield return (key, value);
        }
    }

    private static int Int(string definition, string key, string value, int min, int max)
    {
        if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
            throw new FormatException($"htable definition '{definition}': attribute '{key}' has value '{value}', expected an integer from {min} to {max}");
        return n;
    }

    private static int Size31(string definition, int size) =>
        size == 31 ? throw new FormatException($"htable definition '{definition}': attribute 'size' has value '31' (2^31 slots); use at most {MaxSize}, or more than 31 for 2^{ClampedSizeBits}") : size;

    private static long Long(string definition, string key, string value)
    {
        if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
            throw new FormatException($"htable definition '{definition}': attribute '{key}' has value '{value}', expected an integer");
        return n;
    }

    private static string NonEmpty(string definition, string key, string value) =>
        value.Length > 0 ? value : throw new FormatException($"htable definition '{definition}': attribute '{key}' must not be empty");

    private static string[] ParseCols(string definition, string value)
    {
        var cols = value.Split(',', StringSplitOptions.TrimEntries);
        if (cols.Length < 2 || cols.Any(c => c.Length == 0))
            throw new FormatException($"htable definition '{definition}': attribute 'cols' has value '{value}', expected at least two comma-separated column names");
        return cols;
    }
}
