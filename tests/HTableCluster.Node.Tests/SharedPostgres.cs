using HTableCluster.Storage.Postgres;
using HTableCluster.Tests.Support;

namespace HTableCluster.Node.Tests;

/// <summary>
/// One PostgreSQL server for every node of this test assembly that has a <c>dbtable</c> (started on
/// first use, stopped when the test process exits); each node gets a database of its own.
/// </summary>
public static class SharedPostgres
{
    /// <summary>The rows ../shared/kamailio/pg-seed.sh gives the Kamailio reference.</summary>
    public const string SeedRows = PostgresServer.KamailioSeedRows;

    private static readonly Lazy<Task<PostgresServer>> Server = new(StartAsync);

    /// <summary>The server.</summary>
    public static Task<PostgresServer> GetAsync() => Server.Value;

    /// <summary>A new database with Kamailio's htable schema and <paramref name="rows"/> (SQL); returns its connection string.</summary>
    public static async Task<string> DatabaseAsync(string rows = SeedRows)
    {
        var server = await GetAsync();
        var cs = await server.CreateDatabaseAsync("node");
        await HtableSchema.CreateAsync(cs);
        if (rows.Length > 0)
            await PostgresServer.ExecuteAsync(cs, rows);
        return cs;
    }

    private static async Task<PostgresServer> StartAsync()
    {
        var server = new PostgresServer();
        await server.InitializeAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().GetAwaiter().GetResult();
        return server;
    }
}
