namespace HTableCluster.Storage.Postgres;

/// <summary>
/// What a store did: <paramref name="Rows"/> rows written from memory, <paramref name="Kept"/> rows
/// of the database table left in place because a load skips them as bad (they never reached memory).
/// </summary>
public sealed record DbStoreResult(int Rows, int Kept);
