using HTableCluster.Node.Tables;

namespace HTableCluster.Node.Resp;

/// <summary>
/// What every connection of the Redis protocol endpoint shares: the node's tables and the order in
/// which SELECT numbers them, and the command table.
/// </summary>
public sealed class RespServer(HTableNode node, RespCommandTable commands, IReadOnlyList<string>? databaseOrder = null)
{
    private (IReadOnlyList<TableClient> Source, IReadOnlyList<TableClient> Ordered) _databases = ([], []);

    /// <summary>The node's tables.</summary>
    public HTableNode Node { get; } = node;

    /// <summary>The commands served.</summary>
    public RespCommandTable Commands { get; } = commands;

    /// <summary>
    /// The current value of a CONFIG parameter (<see cref="RespCommandTable.Parameters"/>): its default
    /// until CONFIG SET changes it; null for an unknown name.
    /// </summary>
    public string? ConfigValue(string name) =>
        _config.TryGetValue(name, out var v) ? v : Commands.Parameters.TryGetValue(name, out var p) ? p.Default : null;

    /// <summary>
    /// Stores a parameter's new value (already checked by its <see cref="RespConfigParameter.Normalize"/>);
    /// <see cref="ConfigChanged"/> tells the families that cache a parsed form.
    /// </summary>
    public void SetConfigValue(string name, string value)
    {
        _config[name] = value;
        ConfigChanged?.Invoke(name, value);
    }

    /// <summary>Raised after CONFIG SET stored a value (name, value).</summary>
    public event Action<string, string>? ConfigChanged;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _config = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The most keys (or fields) one reply may list: KEYS, HKEYS, HVALS, HGETALL past it answer with
    /// <see cref="RespErrors.TooManyKeys"/> (Resp:MaxReplyKeys).
    /// </summary>
    public int MaxReplyKeys { get; init; } = 100_000;

    /// <summary>
    /// A command changed a key (Redis's keyspace notification): <paramref name="kind"/> is Redis's
    /// class letter (<c>$</c> string, <c>g</c> generic, <c>h</c> hash, <c>x</c> expired), then the event
    /// name (<c>set</c>, <c>del</c>, <c>expire</c>, <c>hset</c>...), the table and the item's key.
    /// The pub/sub family turns these into <c>__keyspace@db__</c> and <c>__keyevent@db__</c> messages.
    /// </summary>
    public void Notify(char kind, string eventName, TableClient table, string key) => KeyspaceChanged?.Invoke(kind, eventName, table, key);

    /// <summary>See <see cref="Notify"/>.</summary>
    public event Action<char, string, TableClient, string>? KeyspaceChanged;

    /// <summary>
    /// The node's table events: their expired items become <c>expired</c> keyspace notifications
    /// (null: no expiry notifications).
    /// </summary>
    public TableEvents? Events { get; init; }

    private RespPubSub? _pubSub;

    /// <summary>
    /// True while keyspace notifications are on (<see cref="RespPubSub.NotifiesKeyspace"/>; false
    /// until pub/sub is first used): connections then run writes one at a time, so notifications
    /// go out in the order of the commands.
    /// </summary>
    public bool NotifiesKeyspace => Volatile.Read(ref _pubSub) is { } p && p.NotifiesKeyspace;

    /// <summary>Channels, patterns and subscribers of this endpoint (PUBLISH, SUBSCRIBE, keyspace notifications).</summary>
    public RespPubSub PubSub
    {
        get
        {
            if (Volatile.Read(ref _pubSub) is { } p)
                return p;
            var created = new RespPubSub(this);
            if (Interlocked.CompareExchange(ref _pubSub, created, null) is { } other)
            {
                created.Dispose();
                return other;
            }
            return created;
        }
    }

    /// <summary>When the endpoint started (Unix seconds; LASTSAVE answers with it).</summary>
    public long StartedAtSeconds { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>
    /// The tables SELECT numbers from 0: those named in the configured order first (unknown names
    /// are skipped), then the others in definition order. Follows the node when its actor system is
    /// rebuilt (new table clients, same tables).
    /// </summary>
    public IReadOnlyList<TableClient> Databases
    {
        get
        {
            var current = _databases;
            var tables = Node.Tables;
            if (ReferenceEquals(current.Source, tables))
                return current.Ordered;
            var ordered = new List<TableClient>(tables.Count);
            foreach (var name in databaseOrder ?? [])
            {
                if (Node.Find(name) is { } t && !ordered.Contains(t))
                    ordered.Add(t);
            }
            foreach (var t in tables)
            {
                if (!ordered.Contains(t))
                    ordered.Add(t);
            }
            _databases = (tables, ordered);
            return ordered;
        }
    }

    /// <summary>Most clients connected at once (Resp:MaxClients; INFO clients maxclients).</summary>
    public int MaxClients { get; init; } = 10_000;

    /// <summary>The password AUTH and HELLO AUTH check (the node's token); null: none is needed.</summary>
    public string? Password { get; init; }

    /// <summary>The node's cluster figures for INFO replication (null: a node alone).</summary>
    public Func<RespClusterInfo>? ClusterInfo { get; init; }

    /// <summary>The clients connected now, by CLIENT ID.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<long, RespContext> Clients { get; } = new();

    private long _lastClientId;
    private long _connectionsReceived;
    private long _commandsProcessed;
    private long _rejectedConnections;

    /// <summary>A new CLIENT ID (increasing from 1).</summary>
    public long NextClientId() => Interlocked.Increment(ref _lastClientId);

    /// <summary>Connections accepted since start (INFO stats total_connections_received).</summary>
    public long ConnectionsReceived => Interlocked.Read(ref _connectionsReceived);

    /// <summary>Commands run since start (INFO stats total_commands_processed).</summary>
    public long CommandsProcessed => Interlocked.Read(ref _commandsProcessed);

    /// <summary>Connections refused for maxclients (INFO stats rejected_connections).</summary>
    public long RejectedConnections => Interlocked.Read(ref _rejectedConnections);

    internal void CountConnection() => Interlocked.Increment(ref _connectionsReceived);

    internal void CountCommands(long n) => Interlocked.Add(ref _commandsProcessed, n);

    internal void CountRejected() => Interlocked.Increment(ref _rejectedConnections);
}
