namespace HTableCluster.Storage.Postgres;

/// <summary>
/// One database row as read: Kamailio's columns (key name, key type, value type, value, expires),
/// or, for a table with <c>cols</c>, the key and the value columns. Null stands for SQL NULL.
/// </summary>
public readonly record struct DbRow(string? Key, long? KeyType, long? ValueType, string? Value, long? Expires, IReadOnlyList<string?>? Columns = null);
