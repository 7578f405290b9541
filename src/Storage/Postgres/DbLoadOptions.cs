namespace HTableCluster.Storage.Postgres;

/// <summary>
/// How database rows are read, with Kamailio's parameter names and defaults (<c>key_name_column</c>,
/// <c>key_type_column</c>, <c>value_type_column</c>, <c>key_value_column</c>, <c>expires_column</c>,
/// <c>array_size_suffix</c>, <c>fetch_rows</c>, <c>db_expires</c>), and the size limits of a key and
/// a value (the node's RPC limits: a row beyond them is reported and skipped).
/// </summary>
public sealed record DbLoadOptions
{
    /// <summary>Column with the key name.</summary>
    public string KeyNameColumn { get; init; } = "key_name";

    /// <summary>Column with the key type (0 simple, 1 array).</summary>
    public string KeyTypeColumn { get; init; } = "key_type";

    /// <summary>Column with the value type (0 string, 1 integer).</summary>
    public string ValueTypeColumn { get; init; } = "value_type";

    /// <summary>Column with the value.</summary>
    public string KeyValueColumn { get; init; } = "key_value";

    /// <summary>Column with the absolute expiry (Unix seconds, 0 none).</summary>
    public string ExpiresColumn { get; init; } = "expires";

    /// <summary>Suffix of the key that holds an array's length.</summary>
    public string ArraySizeSuffix { get; init; } = "::size";

    /// <summary>Rows per batch handed to the table writers.</summary>
    public int FetchRows { get; init; } = 100;

    /// <summary>Load (and store) the expires column, for tables with autoexpire (<c>db_expires=1</c>).</summary>
    public bool DbExpires { get; init; }

    /// <summary>Longest key in UTF-8 bytes.</summary>
    public int MaxKeyBytes { get; init; } = 4096;

    /// <summary>Longest string value in UTF-8 bytes.</summary>
    public int MaxValueBytes { get; init; } = 1024 * 1024;
}
