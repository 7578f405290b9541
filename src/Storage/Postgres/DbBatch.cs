namespace HTableCluster.Storage.Postgres;

/// <summary>A batch of loaded items, and the bad rows skipped while reading them (one line each, naming the key).</summary>
public sealed record DbBatch(IReadOnlyList<LoadedItem> Items, IReadOnlyList<string> Problems);
