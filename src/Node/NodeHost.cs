using HTableCluster.FlatStore;
using HTableCluster.Node.Accounting;
using Microsoft.AspNetCore.Connections;
using HTableCluster.Node.Configuration;
using HTableCluster.Node.Database;
using HTableCluster.Node.Resp;
using HTableCluster.Node.Rpc;
using HTableCluster.Node.Tables;
using HTableCluster.Replication;
using HTableCluster.Storage;
using Prometheus;

namespace HTableCluster.Node;

/// <summary>
/// Builds a node: Storage tables, the Akka.NET cluster member with one writer actor per table
/// partition, and the HTTP endpoint (JSON-RPC on POST /RPC, /health/live, /health/ready, /metrics).
/// Applications embed a node by calling <see cref="Build"/> and using <see cref="HTableNode"/>.
/// </summary>
public static class NodeHost
{
    /// <summary>Name of the actor system (part of every cluster address).</summary>
    public const string SystemName = "htcluster";

    /// <summary>Creates the application; start it with RunAsync or StartAsync.</summary>
    public static WebApplication Build(NodeSettings settings, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        PortProbe.EnsureFree(settings.Node);
        PortProbe.EnsureRespFree(settings.Resp);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fff ";
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // With any level of this category enabled, ASP.NET Core starts an Activity and a logging
        // scope for every request (to put trace ids into request logs): a measurable part of a
        // single RPC call. It only logs "Request starting/finished" lines, which the node never shows.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        // "Hosting failed to start" repeats, with its stack trace, the start-up error that
        // ServeCommand reports in one line; a failing background service is still logged (critical).
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        // The node's Logging section (Logging:LogLevel:Default, --log-level, ...) over the rules above.
        builder.Logging.AddConfiguration(settings.Logging);
        // Requests run on the socket threads that read them (no hop to the thread pool); handlers
        // that scan or take large bodies yield to the thread pool themselves (RpcDispatcher, RpcEndpoint).
        if (settings.Rpc.InlineIo)
            builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = true);
        var respEndpoint = new RespEndpoint();
        builder.WebHost.ConfigureKestrel(k =>
        {
            // The body limit is enforced by the RPC handler, which answers with a JSON-RPC error.
            k.Limits.MaxRequestBodySize = null;
            k.AddServerHeader = false;
            if (settings.Node.RpcBind is "0.0.0.0" or "*")
                k.ListenAnyIP(settings.Node.RpcPort);
            else
                k.Listen(System.Net.IPAddress.Parse(ResolveBind(settings.Node.RpcBind)), settings.Node.RpcPort);
            // The Redis protocol endpoint: Kestrel's connection layer, after the HTTP endpoint.
            if (settings.Resp.Port is { } respPort)
            {
                var address = settings.Resp.Address is "0.0.0.0" or "*" ? System.Net.IPAddress.Any : System.Net.IPAddress.Parse(ResolveBind(settings.Resp.Address));
                k.Listen(address, respPort, listen =>
                {
                    listen.UseConnectionHandler<RespConnectionHandler>();
                    respEndpoint.Listen = listen;
                });
            }
        });

        var clock = new HybridClock(time ?? TimeProvider.System);
        var replicate = settings.Htable.EnableDmq == 1;
        var grace = TimeSpan.FromSeconds(settings.Replication.TombstoneGraceSeconds);
        // Counters keep one total per (node, start): a restarted node continues under a new name.
        var replicaId = settings.Node.EffectiveNodeId + "#" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6));
        var tables = settings.Tables.Select(t => new HTable(t, clock, settings.Node.Partitions, replicate && t.DmqReplicate, grace, replicaId)).ToList();
        // The accounting files belong to the process: they outlive an actor system that is rebuilt.
        var flatStore = new FlatStoreClient(settings.FlatStore.Enabled ? new FlatStoreFiles(settings.FlatStore.ToOptions(settings.Node.EffectiveNodeId)) : null);
        var node = new HTableNode(flatStore);
        var readiness = new Readiness();
        _ = node.Started.ContinueWith(_ => readiness.MarkTablesStarted(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var replicaStart = new ReplicaStart
        {
            NodeId = settings.Node.EffectiveNodeId,
            InitSync = settings.Htable.DmqInitSync == 1,
            MaxItemBytes = Hocon.MaxItemBytes(settings),
            LagObserver = NodeMetrics.LagObserver,
        };
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(clock);
        builder.Services.AddSingleton(node);
        builder.Services.AddSingleton(flatStore);
        builder.Services.AddSingleton<FlatStoreMethods>();
        builder.Services.AddSingleton(readiness);
        builder.Services.AddSingleton<TableEvents>();
        builder.Services.AddSingleton<EventStream>();
        builder.Services.AddSingleton<EventWebhooks>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EventWebhooks>());
        builder.Services.AddSingleton<KamailioMethods>();
        builder.Services.AddSingleton<ScriptMethods>();
        builder.Services.AddSingleton<ClusterMethods>();
        builder.Services.AddSingleton(new CoreMethods(time ?? TimeProvider.System));
        builder.Services.AddSingleton(new LeaseLocks(time ?? TimeProvider.System));
        builder.Services.AddSingleton(sp => new RpcDispatcher(
            sp.GetRequiredService<KamailioMethods>().Methods()
                .Concat(sp.GetRequiredService<ScriptMethods>().Methods())
                .Concat(sp.GetRequiredService<CoreMethods>().Methods())
                .Concat(sp.GetRequiredService<FlatStoreMethods>().Methods())
                .Concat(sp.GetRequiredService<ClusterMethods>().Methods()),
            settings.Rpc.MaxBatch,
            sp.GetRequiredService<ILogger<RpcDispatcher>>(),
            inlineWrites: settings.Rpc.InlineIo));

        // Registered before the cluster member, so they stop after it: the flatstore files are closed
        // after the last record routed through the actors, a shutdown store sees every write the
        // table writers accepted.
        builder.Services.AddHostedService<FlatStoreService>();
        builder.Services.AddSingleton<TableDatabase>();
        builder.Services.AddSingleton<TableGates>();
        builder.Services.AddSingleton<TableStore>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TableStore>());
        builder.Services.AddSingleton(sp => new ClusterMember(settings, tables, node, sp.GetRequiredService<TableEvents>(), readiness,
            replicaStart, sp.GetRequiredService<TableStore>(), sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<IHostApplicationLifetime>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ClusterMember>());
        builder.Services.AddHostedService<MemoryCompactor>();
        builder.Services.AddSingleton<TableReloader>();
        builder.Services.AddSingleton<TableLoader>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TableLoader>());
        builder.Services.AddSingleton<TableReloadTimer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TableReloadTimer>());
        if (settings.BinRpcAddresses.Count > 0)
        {
            builder.Services.AddSingleton(sp => new Admin.BinRpcProcessor(sp.GetRequiredService<RpcDispatcher>(), settings.Admin.BinRpcMaxReplyBytes));
            builder.Services.AddSingleton<Admin.BinRpcListener>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<Admin.BinRpcListener>());
        }
        if (settings.Admin.JsonRpcFifo.Length > 0)
            builder.Services.AddHostedService<Admin.JsonRpcFifoServer>();
        if (settings.JsonRpcDgramAddress is not null)
        {
            builder.Services.AddSingleton<Admin.JsonRpcDgramServer>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<Admin.JsonRpcDgramServer>());
        }
        if (settings.JsonRpcTcpAddress is not null)
        {
            builder.Services.AddSingleton<Admin.JsonRpcTcpServer>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<Admin.JsonRpcTcpServer>());
        }

        builder.Services.AddSingleton(settings.Resp);
        builder.Services.AddSingleton(respEndpoint);
        builder.Services.AddSingleton(sp => new RespServer(node, RespCommandTable.CreateDefault(), settings.Resp.Databases)
        {
            Password = settings.RpcToken,
            MaxReplyKeys = settings.Resp.MaxReplyKeys,
            MaxClients = settings.Resp.MaxClients,
            Events = sp.GetRequiredService<TableEvents>(),
            ClusterInfo = () => RespClusterInfoOf(settings.Node.EffectiveNodeId, sp.GetRequiredService<ClusterMember>(), readiness),
        });

        var app = builder.Build();
        var rpc = new RpcEndpoint(app.Services.GetRequiredService<RpcDispatcher>(), settings.Rpc.MaxBodyBytes, app.Services.GetRequiredService<ILogger<RpcEndpoint>>());
        // JSON-RPC is answered before routing (the hot path); like Kamailio's xhttp route, any path
        // under /RPC is accepted.
        if (settings.RpcToken is null)
        {
            app.Use((ctx, next) =>
                HttpMethods.IsPost(ctx.Request.Method) && ctx.Request.Path.StartsWithSegments("/RPC", StringComparison.Ordinal)
                    ? rpc.HandleAsync(ctx)
                    : next(ctx));
        }
        else
        {
            // With Rpc:Token, everything but the health probes (which orchestrators call without
            // credentials) needs the bearer token.
            var token = new BearerToken(settings.RpcToken);
            app.Use((ctx, next) =>
            {
                if (HttpMethods.IsPost(ctx.Request.Method) && ctx.Request.Path.StartsWithSegments("/RPC", StringComparison.Ordinal))
                    return token.Allows(ctx.Request) ? rpc.HandleAsync(ctx) : BearerToken.RefuseRpcAsync(ctx);
                return token.Allows(ctx.Request) || ctx.Request.Path.StartsWithSegments("/health", StringComparison.Ordinal)
                    ? next(ctx)
                    : BearerToken.RefuseAsync(ctx);
            });
        }
        app.UseRouting();
        app.MapGet("/health/live", () => Results.Text("live\n"));
        app.MapGet("/health/ready", () => readiness.Reasons() is { Count: > 0 } reasons
            ? Results.Text("not ready: " + string.Join("; ", reasons) + "\n", statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Text("ready\n"));
        app.MapMetrics("/metrics");
        var stream = app.Services.GetRequiredService<EventStream>();
        app.MapGet("/events", (RequestDelegate)stream.ServeAsync);
        NodeMetrics.Register(node, app.Services.GetRequiredService<TableEvents>(), app.Services.GetRequiredService<ClusterMember>());
        FlatStoreMetrics.Register(flatStore);
        foreach (var note in settings.Notes)
        {
            if (note.StartsWith(KamailioPreprocessor.WarningPrefix, StringComparison.Ordinal))
                app.Logger.LogWarning("{Note}", note[KamailioPreprocessor.WarningPrefix.Length..]);
            else
                app.Logger.LogInformation("{Note}", note);
        }
        foreach (var warning in settings.Warnings)
            app.Logger.LogWarning("{Warning}", warning);
        if (settings.Resp.Enabled)
        {
            app.Logger.LogInformation("Redis protocol endpoint on {Address}:{Port}{Auth}", settings.Resp.Address, settings.Resp.Port,
                settings.RpcToken is null ? "" : " (AUTH with the node's token)");
        }
        if (settings.RpcToken is not null)
            app.Logger.LogInformation("HTTP endpoint: a bearer token is required on everything but /health/live and /health/ready (Rpc:Token)");
        if (settings.ClusterTls is { } tls)
            app.Logger.LogInformation("Cluster transport: mutual TLS with {Certificate}; {Peers}", tls.Certificate.Subject, tls.Describe());
        app.Logger.LogInformation("Node {NodeId}: tables {Tables}", settings.Node.EffectiveNodeId,
            string.Join("; ", settings.Tables.Select(t => t.ToDefinition())));
        return app;
    }

    // INFO replication: the other members that are up (each holds the same replicated tables).
    private static RespClusterInfo RespClusterInfoOf(string nodeId, ClusterMember member, Readiness readiness)
    {
        var peers = new List<string>();
        if (member.System is { WhenTerminated.IsCompleted: false } system)
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            foreach (var m in cluster.State.Members)
            {
                if (m.Status == Akka.Cluster.MemberStatus.Up && m.Address != cluster.SelfAddress)
                    peers.Add($"{m.Address.Host}:{m.Address.Port}");
            }
        }
        return new(nodeId, peers, readiness.IsReady);
    }

    private static string ResolveBind(string bind) => bind == "localhost" ? "127.0.0.1" : bind;
}
