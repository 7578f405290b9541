using System.Collections.Frozen;
using Akka.Actor;
using HTableCluster.Node.Accounting;
using HTableCluster.Replication;

namespace HTableCluster.Node.Tables;

/// <summary>
/// The tables of this node, for embedding applications and the RPC layer. Filled once the actor
/// system has started the partition writers, and filled again with new writers when the actor
/// system is rebuilt (the Storage tables stay the same).
/// </summary>
public sealed class HTableNode
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);
    private FrozenDictionary<string, TableClient> _tables = FrozenDictionary<string, TableClient>.Empty;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates the node's table directory; <paramref name="flatStore"/> writes its accounting records (none: not configured).</summary>
    public HTableNode(FlatStoreClient? flatStore = null) => FlatStore = flatStore ?? new FlatStoreClient(null);

    /// <summary>
    /// This node's accounting records (db_flatstore's insert and rotate); <see cref="FlatStoreClient.Enabled"/>
    /// is false when no flatstore directory is configured.
    /// </summary>
    public FlatStoreClient FlatStore { get; }

    /// <summary>Tables in definition order.</summary>
    public IReadOnlyList<TableClient> Tables { get; private set; } = [];

    /// <summary>Completes when every table is ready for writes.</summary>
    public Task Started => _started.Task;

    /// <summary>True once started.</summary>
    public bool IsStarted => _started.Task.IsCompleted;

    /// <summary>The table or null when there is no such table.</summary>
    public TableClient? Find(string name) => _tables.GetValueOrDefault(name);

    /// <summary>The table; throws <see cref="ArgumentException"/> when it is not defined.</summary>
    public TableClient Table(string name) => Find(name) ?? throw new ArgumentException($"no table '{name}'", nameof(name));

    /// <summary>
    /// The replication layer of the current actor system (null when nothing replicates, and while
    /// the actor system stops or is rebuilt).
    /// </summary>
    public ReplicationClient? Replication { get; private set; }

    private volatile IActorRef? _broadcast;
    private string _nodeId = "";

    /// <summary>
    /// Raised for each message another member published to its Redis clients (channel, message),
    /// for this node's subscribers; runs on the relay actor and must be quick.
    /// </summary>
    public event Action<byte[], byte[]>? Published;

    /// <summary>
    /// Sends a Redis PUBLISH to the subscribers of the other members (best effort; nothing when this
    /// node's actor system has no cluster pub-sub, e.g. while it is rebuilt).
    /// </summary>
    public void Broadcast(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message)
    {
        if (_broadcast is { } relay)
            relay.Tell(new BroadcastProtocol.Outgoing(new BroadcastProtocol.Published(_nodeId, channel.ToArray(), message.ToArray())));
    }

    /// <summary>Sends this node's PUBLISH messages through <paramref name="relay"/> (its actor system's).</summary>
    internal void UseBroadcast(string nodeId, IActorRef relay)
    {
        _nodeId = nodeId;
        _broadcast = relay;
    }

    /// <summary>Stops using <paramref name="relay"/> (its actor system terminated) unless another one replaced it.</summary>
    internal void ReleaseBroadcast(IActorRef relay) => Interlocked.CompareExchange(ref _broadcast, null, relay);

    /// <summary>Hands a message another member published to this node's subscribers.</summary>
    internal void DeliverPublished(BroadcastProtocol.Published message) => Published?.Invoke(message.Channel, message.Message);

    internal void Start(IReadOnlyList<TableClient> tables, ReplicationClient? replication)
    {
        Tables = tables;
        Replication = replication;
        _tables = tables.ToFrozenDictionary(t => t.Name, StringComparer.Ordinal);
        _started.TrySetResult();
    }

    /// <summary>
    /// Refuses new writes (<see cref="NodeUnavailableException"/>) and waits until every writer has
    /// applied and answered what was sent to it before (the actor system is about to stop).
    /// </summary>
    internal async Task SuspendAsync()
    {
        var tables = Tables;
        Replication = null;
        foreach (var t in tables)
            t.Close();
        var drains = tables.SelectMany(t => t.Writers).Select(w => w.Ask<WriterProtocol.BarrierPassed>(new WriterProtocol.Barrier(0), DrainTimeout));
        try
        {
            await Task.WhenAll(drains).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
        {
            // A writer already stopped: its queue went with it.
        }
        // Whatever is still unanswered will never be: its callers get NodeUnavailableException.
        foreach (var t in tables)
            t.FailPending();
    }
}

/// <summary>A write was applied on this node but not confirmed by enough peers in time (write concern).</summary>
public sealed class WriteConcernException(string message) : Exception(message);

/// <summary>The node cannot take writes right now (its actor system is stopping or being rebuilt); retry shortly.</summary>
public sealed class NodeUnavailableException() : Exception("the node is rejoining the cluster and takes no writes right now; retry shortly");
