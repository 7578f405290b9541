using System.CommandLine;
using HTableCluster.Node.Configuration;
using Microsoft.Extensions.Configuration;

namespace HTableCluster.Node;

/// <summary>
/// <c>htcluster serve</c>: starts a node. Options are layered: embedded defaults &lt; appsettings.json
/// beside the binary &lt; <c>--kamailio-cfg</c> &lt; <c>--config FILE</c> &lt; <c>HTABLE_*</c>
/// environment variables &lt; command line.
/// </summary>
public static class ServeCommand
{
    private const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Stopped on request (SIGTERM, Ctrl-C, the embedded host stopping).</summary>
    public const int Stopped = 0;

    /// <summary>Bad configuration: a value, an unknown key or section, a missing file, a port in use.</summary>
    public const int BadConfiguration = 2;

    /// <summary>Could not start for another reason (an I/O error while starting).</summary>
    public const int CannotStart = 3;

    /// <summary>Another member of the cluster has this node id.</summary>
    public const int NodeIdTaken = 4;

    /// <summary>The cluster downed this node (or a rebuilt node could not rejoin): restart it.</summary>
    public const int Downed = 5;

    /// <summary>The cluster transport's TLS handshake failed before this node ever joined (a certificate not trusted).</summary>
    public const int TlsRefused = 6;

    private const string Help = """
        Start a node (no options: a single node on loopback with table 't').

        Exit codes:
          0   stopped on request (SIGTERM, Ctrl-C)
          2   bad configuration, before anything starts: a bad value, an unknown key or section,
              a missing file, the cluster or RPC port in use (one line naming the key)
          3   could not start for another reason (an I/O error while starting)
          4   another member of the cluster has this node id
          5   the cluster downed this node (unreachable too long) or it could not rejoin: restart it
          6   the cluster's TLS handshake failed before this node joined: its certificate is not
              trusted by the cluster, or the cluster's is not trusted by it (Cluster:Tls*)
          64  bad command line (unknown option, missing value)
        """;

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var nodeId = new Option<string>("--node-id") { Description = "Unique node id (default <public-host>:<cluster-port>)" };
        var host = new Option<string>("--host") { Description = "Address the cluster transport binds (default 127.0.0.1)" };
        var publicHost = new Option<string>("--public-host") { Description = "Host name advertised to peers (default: --host)" };
        var clusterPort = new Option<string>("--cluster-port") { Description = "Cluster TCP port (default 4053)" };
        var rpcBind = new Option<string>("--rpc-bind") { Description = "Address of the HTTP endpoint (default 127.0.0.1)" };
        var rpcPort = new Option<string>("--rpc-port") { Description = "HTTP port for JSON-RPC, health and metrics (default 7080)" };
        var seeds = new Option<string[]>("--seed") { Description = "Seed node, akka.tcp://htcluster@HOST:PORT (repeatable)" };
        var tables = new Option<string[]>("--table") { Description = "Table definition in Kamailio syntax, e.g. 'a=>size=8;autoexpire=60' (repeatable)" };
        var dbUrl = new Option<string>("--db-url") { Description = "Database URL (htable db_url)" };
        var flatstoreDir = new Option<string>("--flatstore-dir") { Description = "Directory of the accounting files (FlatStore:Dir; must exist)" };
        var kamailioCfg = new Option<FileInfo>("--kamailio-cfg") { Description = "Import the htable and db_flatstore modparam lines (and acc's flatstore: db_url) of an existing kamailio.cfg, after its preprocessor (#!define, #!ifdef, include_file, ...)" };
        var kamailioDefines = new Option<string[]>("--kamailio-define") { Description = "Define NAME, or NAME=VALUE, for the preprocessor of --kamailio-cfg, as kamailio -A does (repeatable; a string VALUE keeps its quotes)" };
        var configFile = new Option<FileInfo>("--config") { Description = "JSON configuration file" };
        var logLevel = new Option<string>("--log-level") { Description = "Lowest level logged: Trace, Debug, Information, Warning, Error, Critical, None (Logging:LogLevel:Default; default Information)" };

        var command = new Command("serve", Help)
        {
            nodeId, host, publicHost, clusterPort, rpcBind, rpcPort, seeds, tables, dbUrl, flatstoreDir, kamailioCfg, kamailioDefines, configFile, logLevel,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cli = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            void Put(string key, string? value)
            {
                if (value is not null)
                    cli[key] = value;
            }
            Put("Node:NodeId", parse.GetValue(nodeId));
            Put("Node:Host", parse.GetValue(host));
            Put("Node:PublicHost", parse.GetValue(publicHost));
            Put("Node:ClusterPort", parse.GetValue(clusterPort));
            Put("Node:RpcBind", parse.GetValue(rpcBind));
            Put("Node:RpcPort", parse.GetValue(rpcPort));
            Put("Htable:DbUrl", parse.GetValue(dbUrl));
            Put("FlatStore:Dir", parse.GetValue(flatstoreDir));
            Put("Logging:LogLevel:Default", parse.GetValue(logLevel));
            var seedValues = parse.GetValue(seeds) ?? [];
            for (var i = 0; i < seedValues.Length; i++)
                cli[$"Cluster:Seeds:{i}"] = seedValues[i];
            var tableValues = parse.GetValue(tables) ?? [];
            for (var i = 0; i < tableValues.Length; i++)
                cli[$"Htable:Tables:{i}"] = tableValues[i];

            WebApplication app;
            try
            {
                var settings = Load(cli, parse.GetValue(kamailioCfg), parse.GetValue(configFile), tableValues.Length > 0, seedValues.Length > 0,
                    parse.GetValue(kamailioDefines));
                // .NET reads this once, when the first asynchronous socket is made (Rpc:InlineIo):
                // socket completions then run on the epoll threads instead of hopping to the thread pool.
                if (settings.Rpc.InlineIo && Environment.GetEnvironmentVariable(InlineCompletions) is null)
                    Environment.SetEnvironmentVariable(InlineCompletions, "1");
                app = NodeHost.Build(settings);
            }
            catch (Exception ex) when (ex is OptionsException or FormatException or IOException or InvalidDataException)
            {
                await Console.Error.WriteLineAsync("htcluster: " + ex.Message).ConfigureAwait(false);
                return BadConfiguration;
            }
            return await RunAsync(app, Console.Error, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// Runs a built node until it stops; returns the exit code. A start that fails (a port taken
    /// between the start-up check and the bind) stops what had started and is reported in one line
    /// on <paramref name="error"/>.
    /// </summary>
    public static async Task<int> RunAsync(WebApplication app, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(error);
        await using (app.ConfigureAwait(false))
        {
            var readiness = app.Services.GetRequiredService<Readiness>();
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException || FindInner<Akka.Remote.RemoteTransportException>(ex) is not null)
            {
                // Stop the services that did start (the cluster member leaves, the writers drain).
                using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
                {
                    try
                    {
                        await app.StopAsync(stopping.Token).ConfigureAwait(false);
                    }
                    catch (Exception stop) when (stop is OperationCanceledException or AggregateException or InvalidOperationException)
                    {
                        // Leaving anyway: the process ends.
                    }
                }
                var node = app.Services.GetRequiredService<Configuration.NodeSettings>().Node;
                if (FindInner<Microsoft.AspNetCore.Connections.AddressInUseException>(ex) is not null)
                {
                    await error.WriteLineAsync("htcluster: " + PortProbe.Taken("Node:RpcPort", "--rpc-port", $"{node.RpcBind}:{node.RpcPort}",
                        node.RpcPort, "address already in use").Message).ConfigureAwait(false);
                    return BadConfiguration;
                }
                // The cluster transport's bind (Akka wraps it in aggregates).
                if (FindInner<System.Net.Sockets.SocketException>(ex) is { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse })
                {
                    await error.WriteLineAsync("htcluster: " + PortProbe.Taken("Node:ClusterPort", "--cluster-port", $"{node.Host}:{node.ClusterPort}",
                        node.ClusterPort, "address already in use").Message).ConfigureAwait(false);
                    return BadConfiguration;
                }
                var inner = ex;
                while (inner.InnerException is not null)
                    inner = inner.InnerException;
                await error.WriteLineAsync("htcluster: cannot start: " + inner.Message).ConfigureAwait(false);
                return CannotStart;
            }
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            if (readiness.Refused is { } refused)
            {
                await error.WriteLineAsync("htcluster: " + refused).ConfigureAwait(false);
                return readiness.RefusedByTls ? TlsRefused : NodeIdTaken;
            }
            if (readiness.Downed)
            {
                // Non-zero so a supervisor (systemd, restart: on-failure) starts it again; it then
                // rejoins as a new incarnation and takes a snapshot.
                await error.WriteLineAsync("htcluster: this node was downed by the cluster (unreachable for longer than the split-brain resolver waits); restart it to rejoin").ConfigureAwait(false);
                return Downed;
            }
            return Stopped;
        }
    }

    private static T? FindInner<T>(Exception? ex)
        where T : Exception
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is T found)
                return found;
        }
        return null;
    }

    /// <summary>
    /// Builds the layered configuration and validates it. <paramref name="kamailioDefines"/> are
    /// <c>NAME</c> or <c>NAME=VALUE</c> for the kamailio.cfg preprocessor. A bad value that came from
    /// the kamailio.cfg is reported with the file and line it came from.
    /// </summary>
    public static NodeSettings Load(IDictionary<string, string?> commandLine, FileInfo? kamailioCfg, FileInfo? configFile,
        bool tablesOnCommandLine = false, bool seedsOnCommandLine = false, IReadOnlyList<string>? kamailioDefines = null)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true);
        var notes = new List<string>();
        var importedTables = new List<string>();
        KamailioCfgImporter.Result? imported = null;
        if (kamailioDefines is { Count: > 0 } && kamailioCfg is null)
            throw new OptionsException("--kamailio-define", kamailioDefines[0], "applies only with --kamailio-cfg");
        if (kamailioCfg is not null)
        {
            if (!kamailioCfg.Exists)
                throw new OptionsException("--kamailio-cfg", kamailioCfg.FullName, "file not found");
            var defines = (kamailioDefines ?? []).Select(d => d.IndexOf('=', StringComparison.Ordinal) is var eq and >= 0
                ? new KeyValuePair<string, string?>(d[..eq], d[(eq + 1)..])
                : new KeyValuePair<string, string?>(d, null));
            imported = KamailioCfgImporter.Import(kamailioCfg.FullName, defines);
            builder.AddInMemoryCollection(imported.Values);
            notes.AddRange(imported.Notes);
            importedTables.AddRange(imported.Values.Where(kv => kv.Key.StartsWith("Htable:Tables:", StringComparison.OrdinalIgnoreCase) && kv.Value is not null).Select(kv => kv.Value!));
        }
        if (configFile is not null)
        {
            if (!configFile.Exists)
                throw new OptionsException("--config", configFile.FullName, "file not found");
            builder.AddJsonFile(configFile.FullName, optional: false);
        }
        builder.AddEnvironmentVariables("HTABLE_");
        builder.AddInMemoryCollection(commandLine);
        IConfiguration configuration = builder.Build();
        // A list given on the command line replaces the lists of lower layers instead of merging by index.
        if (tablesOnCommandLine || seedsOnCommandLine)
            configuration = new ListOverride(configuration, commandLine, tablesOnCommandLine, seedsOnCommandLine).Build();
        try
        {
            return NodeSettings.Load(configuration, notes, importedTables);
        }
        catch (OptionsException ex) when (imported is not null && imported.Origins.TryGetValue(ex.Key, out var origin)
            && imported.Values.TryGetValue(ex.Key, out var value) && configuration[ex.Key] == value)
        {
            // The value in effect is the one read from the kamailio.cfg: say where it is.
            throw new FormatException($"{origin}: {ex.Message}", ex);
        }
    }

    private sealed class ListOverride(IConfiguration inner, IDictionary<string, string?> cli, bool tables, bool seeds)
    {
        public IConfiguration Build()
        {
            var flat = inner.AsEnumerable().Where(kv => kv.Value is not null
                && !(tables && kv.Key.StartsWith("Htable:Tables:", StringComparison.OrdinalIgnoreCase))
                && !(seeds && kv.Key.StartsWith("Cluster:Seeds:", StringComparison.OrdinalIgnoreCase)))
                .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase);
            foreach (var (k, v) in cli)
                flat[k] = v;
            return new ConfigurationBuilder().AddInMemoryCollection(flat).Build();
        }
    }
}
