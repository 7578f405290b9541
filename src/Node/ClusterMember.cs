using System.Globalization;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Remote.Hosting;
using HTableCluster.Node.Accounting;
using HTableCluster.Node.Configuration;
using HTableCluster.Node.Database;
using HTableCluster.Node.Tables;
using HTableCluster.Replication;
using HTableCluster.Storage;

namespace HTableCluster.Node;

/// <summary>
/// The Akka.NET part of a node: an inner host (Akka.Hosting) with the actor system, the table
/// writers and the replication actor, over Storage tables that outlive it. When the cluster downs
/// this node (split-brain resolver), the actor system stops; the member then builds a new one (a
/// new incarnation) over the same tables, rejoins through the peers it knew, takes a snapshot and
/// publishes its own content again, so writes made on a minority side merge back instead of being
/// lost. Reads keep being served from Storage meanwhile; writes are refused until it is back.
/// </summary>
public sealed class ClusterMember : IHostedService
{
    private static readonly TimeSpan RestartDelay = TimeSpan.FromSeconds(1);
    private const int MaxRestartAttempts = 30;

    private readonly NodeSettings _settings;
    private readonly IReadOnlyList<HTable> _tables;
    private readonly HTableNode _node;
    private readonly TableEvents _events;
    private readonly Readiness _readiness;
    private readonly TableStore _store;
    private readonly ReplicaStart _replicaStart;
    private readonly ILoggerFactory _loggerFactory;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<ClusterMember> _log;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IHost? _inner;
    private volatile bool _stopping;
    private List<Address> _knownPeers = [];
    private int _generation;
    private string? _lastTlsRefusal;
    private volatile bool _wasMember;
    private volatile bool _tlsStopped;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _tlsRefusedPeers = new(StringComparer.Ordinal);

    /// <summary>Creates the member (started by the outer host).</summary>
    public ClusterMember(NodeSettings settings, IReadOnlyList<HTable> tables, HTableNode node, TableEvents events,
        Readiness readiness, ReplicaStart replicaStart, TableStore store, ILoggerFactory loggerFactory, IHostApplicationLifetime lifetime)
    {
        _settings = settings;
        _tables = tables;
        _node = node;
        _events = events;
        _readiness = readiness;
        _store = store;
        _replicaStart = replicaStart;
        _loggerFactory = loggerFactory;
        _lifetime = lifetime;
        _log = loggerFactory.CreateLogger<ClusterMember>();
    }

    /// <summary>The current actor system (null while it is being rebuilt).</summary>
    public ActorSystem? System { get; private set; }

    /// <summary>The current actor registry.</summary>
    public ActorRegistry? Registry { get; private set; }

    /// <summary>Replication counters of the current incarnation.</summary>
    public ReplicationStatus Replication { get; private set; } = new();

    /// <summary>How many times the actor system was rebuilt after a downing.</summary>
    public int Restarts { get; private set; }

    private bool Replicate => _settings.Htable.EnableDmq == 1;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => StartInnerAsync(restart: false, cancellationToken);

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_inner is not null)
            {
                await _inner.StopAsync(cancellationToken).ConfigureAwait(false);
                _inner.Dispose();
                _inner = null;
                AkkaStdoutLogger.Release(_loggerFactory);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task StartInnerAsync(bool restart, CancellationToken cancellationToken, long republishSinceMs = 0)
    {
        var status = new ReplicationStatus();
        Replication = status;
        var seeds = restart ? [] : _settings.Cluster.Seeds.ToList();
        // A rebuilt node rejoins through the peers it knew and the configured seeds, never by
        // joining itself: that could found a second cluster while the cut lasts.
        var rejoinVia = restart ? RejoinAddresses() : [];
        _readiness.Use(Replicate && _tables.Any(t => t.Replicated) ? status : null, DescribeJoin(seeds, rejoinVia));
        var start = _replicaStart with { RepublishOnStart = restart, RepublishSinceMs = republishSinceMs };
        AkkaStdoutLogger.Use(_loggerFactory);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton(_loggerFactory);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        // The node's host already logs "Application started", the content root and the shutdown.
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.AddAkka(NodeHost.SystemName, (akka, sp) =>
        {
            akka.ConfigureLoggers(l =>
            {
                l.LogLevel = LogLevels.AkkaLevel(_settings.Logging);
                l.ClearLoggers().AddLogger<AkkaLogForwarder>();
            });
            akka.AddHocon(Hocon.Remote(_settings), HoconAddMode.Prepend);
            var remote = new RemoteOptions
            {
                HostName = _settings.Node.Host,
                PublicHostName = _settings.Node.EffectivePublicHost,
                Port = _settings.Node.ClusterPort,
            };
            if (_settings.ClusterTls is { } tls)
            {
                remote.EnableSsl = true;
                remote.Ssl = TlsOptions(tls);
            }
            akka.WithRemoting(remote);
            akka.WithClustering(new Akka.Cluster.Hosting.ClusterOptions
            {
                SeedNodes = [.. seeds],
                Roles = [IdentityGuardActor.RoleOf(_settings.Node.EffectiveNodeId)],
                // Unreachable members are downed by the side holding the majority once the
                // membership has been stable for Cluster:DownAfterSeconds.
                SplitBrainResolver = new Akka.Cluster.Hosting.SBR.KeepMajorityOption(),
            });
            if (Replicate)
                akka.WithReplication([.. _tables.Where(t => t.Replicated)], _settings.Replication, start, status);
            akka.WithFlatStore(_node.FlatStore);
            akka.WithTables(_tables, _node, _events, TimeSpan.FromSeconds(_settings.Htable.TimerInterval),
                writeConcern: _settings.Replication.WriteConcern > 0);
            // Replicated tables are written back by one member: the oldest hosts the store singleton.
            if (Replicate && _tables.Any(t => t.Replicated && t.Options.DbTable.Length > 0))
                akka.WithSingleton<TableStoreActor>("table-store", TableStoreActor.Props(_store), new Akka.Cluster.Hosting.ClusterSingletonOptions());
            akka.WithActors((system, registry) =>
            {
                _store.UseSingleton(registry.TryGet<TableStoreActor>(out var proxy) ? proxy : null);
                Watch(system, seeds, rejoinVia);
            });
        });
        var inner = builder.Build();
        try
        {
            await inner.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // A half-started host still holds the cluster port.
            await StopQuietlyAsync(inner).ConfigureAwait(false);
            throw;
        }
        _inner = inner;
        System = inner.Services.GetRequiredService<ActorSystem>();
        Registry = inner.Services.GetRequiredService<ActorRegistry>();
        var system = System;
        var generation = ++_generation;
        _ = system.WhenTerminated.ContinueWith(_ => OnTerminatedAsync(generation), TaskScheduler.Default).Unwrap();
        if (restart)
            _ = WatchRejoinAsync(generation, system);
    }

    // Akka's seed-node rules: the first seed of the list forms the cluster only when no other seed
    // answers within seed-node-timeout; any other node keeps asking the seeds until one lets it in.
    // Every node lists the same seeds in the same order, so a restarted first seed joins the members
    // still running instead of founding a second cluster.
    private string DescribeJoin(List<string> seeds, List<Address> rejoinVia)
    {
        if (rejoinVia.Count > 0)
            return "rejoining through " + string.Join(", ", rejoinVia) + " (retrying until one answers)";
        if (seeds.Count == 0)
            return "forming a cluster of its own (no seed nodes configured)";
        var self = $"@{_settings.Node.EffectivePublicHost}:{_settings.Node.ClusterPort.ToString(CultureInfo.InvariantCulture)}";
        var others = seeds.Where(s => !s.EndsWith(self, StringComparison.Ordinal)).ToList();
        if (seeds[0].EndsWith(self, StringComparison.Ordinal))
        {
            return others.Count == 0
                ? "forming the cluster (this node is the only seed)"
                : "first seed: joining the members running at " + string.Join(", ", others) + ", or forming the cluster if none answers within the seed-node timeout";
        }
        return "joining through the seed nodes " + string.Join(", ", others) + " (retrying until one answers)";
    }

    // Mutual TLS: both ends present a certificate and check the other's with ClusterTls (no host
    // name check: peers connect by address). A refused peer fails the handshake and is logged here.
    private SslOptions TlsOptions(ClusterTls tls) => new()
    {
        X509Certificate = tls.Certificate,
        SuppressValidation = false,
        RequireMutualAuthentication = true,
        ValidateCertificateHostname = false,
        CustomValidator = (certificate, chain, peer, _, _) =>
        {
            if (tls.Accepts(certificate, chain, out var reason))
                return true;
            _readiness.NoteTlsRefusal(peer + ": " + reason);
            // An outbound peer ("ssl.tcp://htcluster@HOST:PORT"): a rebuilt incarnation does not rejoin through it.
            if (peer.LastIndexOf('@') is var at and >= 0)
                _tlsRefusedPeers[peer[(at + 1)..]] = 0;
            // A refused peer retries about every second: the same refusal is logged once at warning level.
            if (Interlocked.Exchange(ref _lastTlsRefusal, reason) != reason)
                _log.LogWarning("Cluster TLS: refused {Peer}: {Reason}", peer, reason);
            else
                _log.LogDebug("Cluster TLS: refused {Peer}: {Reason}", peer, reason);
            return false;
        },
    };

    // A peer whose certificate this node refused (an address now served by a node with another
    // certificate) is left out: Akka.Remote would stop the new actor system again at once.
    private List<Address> RejoinAddresses()
    {
        var addresses = new List<Address>();
        foreach (var a in _knownPeers)
        {
            if (!_tlsRefusedPeers.ContainsKey($"{a.Host}:{a.Port}"))
                addresses.Add(a);
        }
        foreach (var seed in _settings.Cluster.Seeds)
        {
            var a = Address.Parse(seed);
            if (!addresses.Contains(a) && !(a.Host == _settings.Node.EffectivePublicHost && a.Port == _settings.Node.ClusterPort)
                && !_tlsRefusedPeers.ContainsKey($"{a.Host}:{a.Port}"))
                addresses.Add(a);
        }
        return addresses;
    }

    // A rebuilt node that cannot rejoin (every peer down too, or the cut goes on) gives up after a
    // while and exits with status 5, for a supervisor to start it afresh.
    private async Task WatchRejoinAsync(int generation, ActorSystem system)
    {
        var limit = TimeSpan.FromSeconds(Math.Max(120, 6 * _settings.Cluster.DownAfterSeconds));
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            if (_stopping || generation != _generation || system.WhenTerminated.IsCompleted)
                return;
            if (Cluster.Get(system).SelfMember.Status == MemberStatus.Up)
            {
                _readiness.ClearDowned();
                return;
            }
        }
        _log.LogCritical("The rebuilt node could not rejoin the cluster within {Limit}; stopping", limit);
        _readiness.MarkDowned();
        _lifetime.StopApplication();
    }

    private static async Task StopQuietlyAsync(IHost host)
    {
        try
        {
            await host.StopAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or AggregateException)
        {
            // Stopping what failed to start: nothing more to do.
        }
        host.Dispose();
    }

    private void Watch(ActorSystem system, IReadOnlyList<string> seeds, IReadOnlyList<Address> rejoinVia)
    {
        system.ActorOf(IdentityGuardActor.Props(_settings.Node.EffectiveNodeId, message =>
        {
            _readiness.Refuse(message);
            _lifetime.StopApplication();
        }), "identity-guard");
        var cluster = Cluster.Get(system);
        cluster.RegisterOnMemberUp(() =>
        {
            _wasMember = true;
            _tlsRefusedPeers.Clear();
            _readiness.MarkJoined();
        });
        // Removed while nobody asked this node to stop: the cluster downed it.
        cluster.RegisterOnMemberRemoved(() =>
        {
            _readiness.MarkLeft();
            if (_stopping || _lifetime.ApplicationStopping.IsCancellationRequested || _readiness.Refused is not null)
                return;
            // Akka.Remote stops the actor system when a TLS handshake it started fails. A node that
            // never got into the cluster has a certificate the cluster does not trust (or does not
            // trust the cluster's): it stops with the reason instead of retrying for ever. A member
            // that met a peer it does not trust rebuilds and rejoins like a downed node.
            // (The reason's type is internal to Akka.Remote: it is recognised by name.)
            _tlsStopped = CoordinatedShutdown.Get(system).ShutdownReason?.GetType().FullName == "Akka.Remote.Transport.DotNetty.TlsHandshakeFailureReason";
            if (_tlsStopped && !_wasMember)
            {
                _readiness.RefuseTls("the cluster's TLS handshake failed: " + (_lastTlsRefusal ?? "the peer refused this node's certificate")
                    + " (check Cluster:TlsCertificate and Cluster:TlsCaCertificate)");
                _lifetime.StopApplication();
                return;
            }
            _readiness.MarkDowned();
        });
        // Peers seen Up are where a rebuilt incarnation rejoins (the configured seeds may be down).
        Action<List<Address>> remember = peers => _knownPeers = peers;
        cluster.Subscribe(system.ActorOf(Props.Create(() => new PeerWatcher(remember)), "peer-watcher"),
            ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent));
        // Writes queued in the writers are applied and answered before the actor system goes;
        // new writes are refused from here on.
        // The replicated tables are stored at shutdown by the oldest member (the store singleton's
        // host, also when every member stops at once) or by the last one.
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeClusterShutdown, "note-remaining-members", () =>
        {
            var others = cluster.State.Members.Where(m => m.Status == MemberStatus.Up && m.UniqueAddress != cluster.SelfUniqueAddress).ToList();
            _store.Leaving(others.Count, oldest: others.All(m => cluster.SelfMember.IsOlderThan(m)));
            return Task.FromResult(Akka.Done.Instance);
        });
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "drain-table-writers", async () =>
        {
            await _node.SuspendAsync().ConfigureAwait(false);
            return Akka.Done.Instance;
        });
        if (rejoinVia.Count > 0)
            cluster.JoinSeedNodes(rejoinVia);
        else if (seeds.Count == 0)
            cluster.Join(cluster.SelfAddress);
        // (A rebuilt node that knew no peer and has no seeds was alone: it forms its cluster again.)
    }

    private async Task OnTerminatedAsync(int generation)
    {
        if (_stopping || _lifetime.ApplicationStopping.IsCancellationRequested || _readiness.Refused is not null || !_readiness.Downed)
            return;
        // Items written since shortly before the cut (failure detection plus the resolver's wait,
        // with a margin) are published again once rejoined; older ones the others already have.
        var since = _tables[0].Clock.NowMs - ((_settings.Cluster.DownAfterSeconds + 60) * 1000L);
        if (_tlsStopped)
            _log.LogWarning("Akka.Remote stopped the actor system after a failed TLS handshake with a peer ({Refusal}); rebuilding it over the same tables and rejoining through {Peers}",
                _lastTlsRefusal ?? "the peer refused this node's certificate", string.Join(", ", RejoinAddresses()));
        else
            _log.LogWarning("This node was downed by the cluster; rebuilding its actor system over the same tables and rejoining through {Peers}",
                string.Join(", ", RejoinAddresses()));
        System = null;
        Registry = null;
        for (var attempt = 1; attempt <= MaxRestartAttempts; attempt++)
        {
            await Task.Delay(RestartDelay).ConfigureAwait(false);
            await _gate.WaitAsync().ConfigureAwait(false);
            try
            {
                if (_stopping || generation != _generation)
                    return;
                if (_inner is not null)
                {
                    var old = _inner;
                    _inner = null;
                    await StopQuietlyAsync(old).ConfigureAwait(false);
                }
                await StartInnerAsync(restart: true, CancellationToken.None, since).ConfigureAwait(false);
                Restarts++;
                _log.LogInformation("Actor system rebuilt (restart {Restart}); rejoining", Restarts);
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _log.LogError(ex, "Rebuilding the actor system failed (attempt {Attempt} of {Max})", attempt, MaxRestartAttempts);
            }
            finally
            {
                _gate.Release();
            }
        }
        if (_stopping)
            return;
        _log.LogCritical("The actor system could not be rebuilt; stopping the node");
        _lifetime.StopApplication();
    }

    private sealed class PeerWatcher : ReceiveActor
    {
        public PeerWatcher(Action<List<Address>> update)
        {
            var cluster = Cluster.Get(Context.System);
            // The last non-empty view is kept: while this node is being downed its view empties.
            void Publish(IEnumerable<Member> members)
            {
                List<Address> peers = [.. members.Where(m => m.Status == MemberStatus.Up && m.Address != cluster.SelfAddress).Select(m => m.Address)];
                if (peers.Count > 0)
                    update(peers);
            }
            Receive<ClusterEvent.CurrentClusterState>(s => Publish(s.Members));
            Receive<ClusterEvent.IMemberEvent>(_ => Publish(cluster.State.Members));
        }
    }
}
