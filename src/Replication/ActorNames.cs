namespace HTableCluster.Replication;

/// <summary>Actor names derived from table names (actor names allow a limited character set; anything else is escaped).</summary>
public static class ActorNames
{
    /// <summary>The name part for a table: its URI-escaped form with <c>%</c> replaced by <c>_</c>.</summary>
    public static string ForTable(string table) =>
        Uri.EscapeDataString(table).Replace("%", "_", StringComparison.Ordinal);
}
