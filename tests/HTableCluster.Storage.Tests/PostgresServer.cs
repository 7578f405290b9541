using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Testcontainers.PostgreSql;

namespace HTableCluster.Tests.Support;

/// <summary>
/// A real PostgreSQL server for the database tests: a Testcontainers container when a Docker engine
/// answers, otherwise a private server this fixture starts itself (Debian's <c>postgresql</c> package:
/// initdb and pg_ctl from /usr/lib/postgresql/N/bin, a temporary data directory, a free loopback
/// port; run as the <c>postgres</c> user when the tests run as root). Stopped and removed on dispose.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private const string AdminPassword = "htc-test-admin";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private PostgreSqlContainer? _container;
    private string? _dataDir;
    private string? _bin;
    private int _databases;
    private string? _serverOptions;

    /// <summary>
    /// The rows ../shared/kamailio/pg-seed.sh gives the Kamailio reference (its recorded dump is in
    /// tests/Conformance: arr[0..2], arr::size 3, iarr[0..1], iarr::size 2, badint loaded as 0 there).
    /// </summary>
    public const string KamailioSeedRows = """
        INSERT INTO htable (key_name, key_type, value_type, key_value, expires) VALUES
         ('s1', 0, 0, 'hello', 0), ('n1', 0, 1, '42', 0), ('neg', 0, 1, '-5', 0),
         ('sp', 0, 0, 'with space|pipe', 0), ('arr', 1, 0, 'x', 0), ('arr', 1, 0, 'y', 0),
         ('arr', 1, 0, 'z', 0), ('iarr', 1, 1, '10', 0), ('iarr', 1, 1, '20', 0),
         ('badint', 0, 1, 'notanumber', 0);
        """;

    /// <summary>Connection string of the server's <c>postgres</c> database as superuser.</summary>
    public string AdminConnectionString { get; private set; } = "";

    /// <summary>Host and port the server listens on.</summary>
    public (string Host, int Port) Endpoint { get; private set; }

    /// <summary>How the server was started (for test output).</summary>
    public string Kind { get; private set; } = "";

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        if (DockerAnswers())
        {
            try
            {
                _container = new PostgreSqlBuilder("postgres:15").Build();
                await _container.StartAsync();
                AdminConnectionString = _container.GetConnectionString();
                var b = new NpgsqlConnectionStringBuilder(AdminConnectionString);
                Endpoint = (b.Host!, b.Port);
                Kind = "container";
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The engine did not run the container: fall back to a local server.
                if (_container is not null)
                    await _container.DisposeAsync();
                _container = null;
            }
        }
        await StartLocalAsync();
    }

    /// <summary>A new empty database owned by a new role with a password; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "htc")
    {
        var name = $"{prefix}_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        await using (var c = new NpgsqlConnection(AdminConnectionString))
        {
            await c.OpenAsync();
            foreach (var sql in new[] { $"CREATE ROLE {name} LOGIN PASSWORD 'pw_{name}'", $"CREATE DATABASE {name} OWNER {name}" })
            {
                await using var cmd = new NpgsqlCommand(sql, c);
                await cmd.ExecuteNonQueryAsync();
            }
        }
        return new NpgsqlConnectionStringBuilder
        {
            Host = Endpoint.Host,
            Port = Endpoint.Port,
            Database = name,
            Username = name,
            Password = "pw_" + name,
            Pooling = false,
        }.ConnectionString;
    }

    /// <summary>Runs SQL on a database.</summary>
    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var c = new NpgsqlConnection(connectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
            return;
        }
        if (_dataDir is null)
            return;
        await RunAsync(Path.Combine(_bin!, "pg_ctl"), ["-D", _dataDir, "-m", "immediate", "-w", "stop"], check: false);
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A server that did not stop still holds files; the next fixture removes the directory.
        }
    }

    /// <summary>Takes the server down (connections fail) until <see cref="StartAgainAsync"/>.</summary>
    public async Task StopForAWhileAsync()
    {
        if (_container is not null)
            await _container.PauseAsync();
        else
            await RunAsync(Path.Combine(_bin!, "pg_ctl"), ["-D", _dataDir!, "-m", "fast", "-w", "stop"], check: true);
    }

    /// <summary>Brings the server back on the same address, with its databases.</summary>
    public async Task StartAgainAsync()
    {
        if (_container is not null)
            await _container.UnpauseAsync();
        else
            await RunAsync(Path.Combine(_bin!, "pg_ctl"), ["-D", _dataDir!, "-l", Path.Combine(_dataDir!, "server.log"), "-o", _serverOptions!, "-w", "-t", "60", "start"], check: true);
    }

    private static bool DockerAnswers() =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_HOST")) || File.Exists("/var/run/docker.sock");

    private async Task StartLocalAsync()
    {
        _bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).FirstOrDefault()
            : null;
        if (_bin is null)
            throw new InvalidOperationException("no Docker engine and no PostgreSQL server binaries under /usr/lib/postgresql/N/bin: install Debian's postgresql package (test.sh does)");
        await RemoveLeftoversAsync(_bin);
        _dataDir = Path.Combine(Path.GetTempPath(), $"htc-pg-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dataDir);
        if (Environment.UserName == "root")
            await RunAsync("chown", ["postgres:postgres", _dataDir], check: true, asPostgres: false);
        // Passwords are checked on TCP (as a production server does), so a wrong one is refused.
        var pwfile = Path.Combine(_dataDir, "..", Path.GetFileName(_dataDir) + ".pw");
        await File.WriteAllTextAsync(pwfile, AdminPassword + "\n");
        if (Environment.UserName == "root")
            await RunAsync("chown", ["postgres:postgres", pwfile], check: true, asPostgres: false);
        await RunAsync(Path.Combine(_bin, "initdb"), ["-D", _dataDir, "--auth-local=trust", "--auth-host=scram-sha-256", "-U", "postgres", "--pwfile=" + pwfile, "--no-sync"], check: true);
        File.Delete(pwfile);
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            var options = $"-p {port} -k {_dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200";
            var started = await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", _dataDir, "-l", Path.Combine(_dataDir, "server.log"), "-o", options, "-w", "-t", "60", "start"], check: attempt >= 4);
            if (started)
            {
                Endpoint = ("127.0.0.1", port);
                _serverOptions = options;
                break;
            }
        }
        AdminConnectionString = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Endpoint.Port, Username = "postgres", Password = AdminPassword, Database = "postgres", Pooling = false }.ConnectionString;
        Kind = "local " + _bin;
    }

    // Servers of test processes that ended without stopping them (a killed run, or a process-exit
    // handler cut short) are stopped and their data directories removed.
    private static async Task RemoveLeftoversAsync(string bin)
    {
        foreach (var file in Directory.GetFiles(Path.GetTempPath(), "htc-pg-*.pw"))
        {
            var parts = Path.GetFileName(file).Split('-');
            if (parts.Length >= 4 && int.TryParse(parts[2], out var owner) && !IsAlive(owner))
                File.Delete(file);
        }
        foreach (var dir in Directory.GetDirectories(Path.GetTempPath(), "htc-pg-*"))
        {
            var parts = Path.GetFileName(dir).Split('-');
            if (parts.Length < 4 || !int.TryParse(parts[2], out var pid) || IsAlive(pid))
                continue;
            if (File.Exists(Path.Combine(dir, "postmaster.pid")))
                await RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", dir, "-m", "immediate", "-w", "stop"], check: false);
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Still in use: left for a later run.
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    // Runs a server tool, as the postgres user when the tests run as root (initdb refuses root).
    private static async Task<bool> RunAsync(string file, IReadOnlyList<string> args, bool check, bool asPostgres = true)
    {
        var psi = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (asPostgres && Environment.UserName == "root")
        {
            psi.FileName = "runuser";
            foreach (var a in new[] { "-u", "postgres", "--", file })
                psi.ArgumentList.Add(a);
        }
        else
        {
            psi.FileName = file;
        }
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} did not finish within {CommandTimeout}");
        }
        if (p.ExitCode != 0 && check)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {p.ExitCode}: {await output}{await error}");
        return p.ExitCode == 0;
    }
}

/// <summary>One PostgreSQL server for every database test of the assembly's collection.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    /// <summary>The collection name.</summary>
    public const string Name = "postgres";
}
