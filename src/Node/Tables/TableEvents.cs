using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Akka.Actor;
using HTableCluster.Node.Configuration;
using HTableCluster.Replication;
using HTableCluster.Storage;
using Microsoft.Extensions.Logging;

namespace HTableCluster.Node.Tables;

/// <summary>
/// Table events raised on this node, the counterparts of Kamailio's event routes:
/// <c>htable:mod-init</c> once the tables are started (<see cref="ModInit"/>), and
/// <c>htable:expired:&lt;table&gt;</c> for each item the expiry sweep collects (<see cref="Expired"/>,
/// with the item's key and value as <c>$shtrecord(key)</c>/<c>$shtrecord(value)</c>), and
/// <c>htable:reloaded:&lt;table&gt;</c> after <c>htable.reload</c> swapped new contents in
/// (<see cref="Reloaded"/>). Embedded
/// applications subscribe to the events; remote clients read them from GET /events.
/// <para>
/// <see cref="Expired"/> reports what this node's own sweep collects (every replica collects its
/// copy). <see cref="Raised"/> and <see cref="ReadAllAsync"/> carry the events as the cluster
/// delivers them: with <c>Htable:EventMode=cluster</c> (default) the expired event of a replicated
/// table's item is fired by one member (<see cref="EventRelayActor"/>) and reaches every member
/// once; with <c>node</c> every node fires for what it collects, as Kamailio does.
/// </para>
/// </summary>
public sealed partial class TableEvents(ILogger<TableEvents> logger, NodeSettings? settings = null, long firstSequence = 0)
{
    /// <summary>Events kept for clients resuming with a sequence number.</summary>
    public const int RingLength = 10_000;

    /// <summary>Events a reader may fall behind (beyond a replay of up to <see cref="RingLength"/>) before it is ended.</summary>
    public const int ReaderQueueLength = 4096;

    /// <summary>
    /// The sequence number of this run's first event: the start time in Unix milliseconds times
    /// 1,000 unless given, so a number a client kept from an earlier run is older than anything this
    /// run holds (a gap, never a wrong resume), as long as a run delivers fewer than 1,000 events
    /// per millisecond on average.
    /// </summary>
    public long FirstSequence => _ring.First;

    private readonly EventRing _ring = new(RingLength, firstSequence > 0 ? firstSequence : DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000);
    private volatile IActorRef? _relay;

    /// <summary>Raised on the partition's writer for each item this node's sweep collected; handlers must be quick.</summary>
    public event Action<HTable, Entry>? Expired;

    /// <summary>
    /// Raised for every event this node delivers (expired once per cluster in cluster mode,
    /// reloaded, mod-init), numbered by <see cref="TableEvent.Sequence"/>; handlers must be quick.
    /// </summary>
    public event Action<TableEvent>? Raised;

    /// <summary>This node's id, the origin of the events it fires.</summary>
    public string NodeId { get; } = settings?.Node.EffectiveNodeId ?? "local";

    /// <summary>True when expired events of replicated tables fire once per cluster (<c>Htable:EventMode=cluster</c>).</summary>
    public bool ClusterWide { get; } = settings is null || settings.Htable.EventMode == "cluster";

    /// <summary>How long a member not ranked first waits for the owner's expired event before firing it.</summary>
    public TimeSpan Grace { get; } = settings is null
        ? TimeSpan.FromSeconds(5)
        : TimeSpan.FromSeconds(settings.Htable.EventGraceSeconds > 0 ? settings.Htable.EventGraceSeconds : (2 * settings.Htable.TimerInterval) + 5);

    /// <summary>The sequence number the next delivered event gets.</summary>
    public long NextSequence => _ring.Next;

    /// <summary>How many readers (SSE clients, <see cref="ReadAllAsync"/>, webhooks) are attached.</summary>
    internal int Readers => _ring.Subscribers;

    /// <summary>The sequence number of the oldest event a resuming reader can still get.</summary>
    public long OldestSequence => _ring.Oldest;

    /// <summary>
    /// The delivered events as they come, after those still in the ring with a sequence number
    /// greater than <paramref name="after"/> (null: only new ones). A reader more than
    /// <see cref="ReaderQueueLength"/> events behind is ended with an <see cref="InvalidOperationException"/>
    /// naming the last sequence number it got, from which it can resume.
    /// </summary>
    public async IAsyncEnumerable<TableEvent> ReadAllAsync(long? after = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (reader, dispose) = Subscribe(after, out _);
        try
        {
            await foreach (var e in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                yield return e;
        }
        finally
        {
            dispose();
        }
    }

    /// <summary>
    /// A bounded queue of the events after <paramref name="after"/> and then the live ones; when the
    /// reader falls <see cref="ReaderQueueLength"/> events behind, the queue is completed with an
    /// error and <paramref name="overflowed"/> runs once, on the thread pool (a reader blocked on
    /// its client's socket never reads the error, so its owner closes the connection there).
    /// <paramref name="gap"/> says the ring no longer held every event after <paramref name="after"/>.
    /// </summary>
    internal (ChannelReader<TableEvent> Reader, Action Dispose) Subscribe(long? after, out bool gap, Action? overflowed = null)
    {
        var queue = Channel.CreateBounded<TableEvent>(new BoundedChannelOptions(ReaderQueueLength + RingLength) { SingleReader = true });
        long last = after ?? 0;
        var full = false;
        void OnEvent(TableEvent e)
        {
            if (full)
                return;
            if (!queue.Writer.TryWrite(e))
            {
                full = true;
                queue.Writer.TryComplete(new InvalidOperationException($"the event reader fell more than {ReaderQueueLength + RingLength} events behind; resume after {Volatile.Read(ref last)}"));
                if (overflowed is not null)
                    ThreadPool.UnsafeQueueUserWorkItem(static a => a(), overflowed, preferLocal: false);
            }
        }

        var (replay, g) = _ring.Subscribe(after, OnEvent);
        gap = g;
        foreach (var e in replay)
            queue.Writer.TryWrite(e);
        return (new TrackingReader(queue.Reader, s => Volatile.Write(ref last, s)), () =>
        {
            _ring.Unsubscribe(OnEvent);
            queue.Writer.TryComplete();
        }
        );
    }

    /// <summary>Hands the expired items of replicated tables to the cluster relay (null: fire locally).</summary>
    internal void UseRelay(IActorRef? relay) => _relay = relay;

    /// <summary>Stops using <paramref name="relay"/> (its actor system terminated) unless another one replaced it.</summary>
    internal void ReleaseRelay(IActorRef relay) => Interlocked.CompareExchange(ref _relay, null, relay);

    /// <summary>Delivers an event fired by the cluster relay (this node's or another's).</summary>
    internal void Deliver(EventProtocol.Fired e) =>
        Deliver(e.Kind == EventProtocol.EventKind.Expired
            ? new TableEvent(TableEventKind.Expired, e.Table, e.Key, e.IsInteger, e.IntValue, e.IsInteger ? null : e.StringValue, e.Version, e.OriginNode,
                DateTimeOffset.FromUnixTimeMilliseconds(e.AtMs))
            : new TableEvent((TableEventKind)(int)e.Kind, e.Table, "", false, 0, null, 0, e.OriginNode, DateTimeOffset.FromUnixTimeMilliseconds(e.AtMs)));

    // A reload or this node's mod-init reaches the other members' subscribers too (cluster mode).
    // Its id is (table, this node, a timestamp in ticks): unique per node and never an item's id.
    private void Announce(TableEventKind kind, string table)
    {
        if (!ClusterWide || _relay is not { } relay)
            return;
        var now = DateTimeOffset.UtcNow;
        relay.Tell(new EventProtocol.Announced(new EventProtocol.Fired((EventProtocol.EventKind)(int)kind, table, NodeId, false, 0, "", now.UtcTicks, NodeId, now.ToUnixTimeMilliseconds())));
    }

    private void Deliver(TableEvent e)
    {
        e = _ring.Append(e);
        foreach (var h in Raised?.GetInvocationList() ?? [])
        {
            try
            {
                ((Action<TableEvent>)h)(e);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogSubscriberFailed(logger, ex, e.Table);
            }
        }
    }

    private TableEvent Local(TableEventKind kind, string table, string key = "", Entry? item = null) =>
        new(kind, table, key, item?.IsInteger ?? false, item?.IntValue ?? 0, item?.StringValue, item?.Version ?? 0, NodeId, DateTimeOffset.UtcNow);

    /// <summary>Raised once when every table is started.</summary>
    public event Action? ModInit;

    /// <summary>Raised after a table's contents were reloaded from its database.</summary>
    public event Action<HTable>? Reloaded;

    /// <summary>True once <see cref="ModInit"/> has been raised.</summary>
    public bool Initialized { get; private set; }

    internal void OnModInit()
    {
        LogModInit(logger);
        Initialized = true;
        ModInit?.Invoke();
        Deliver(Local(TableEventKind.ModInit, ""));
        Announce(TableEventKind.ModInit, "");
    }

    internal void OnReloaded(HTable table)
    {
        LogReloaded(logger, table.Name, table.RawCount);
        foreach (var h in Reloaded?.GetInvocationList() ?? [])
        {
            try
            {
                ((Action<HTable>)h)(table);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogSubscriberFailed(logger, ex, table.Name);
            }
        }
        Deliver(Local(TableEventKind.Reloaded, table.Name));
        Announce(TableEventKind.Reloaded, table.Name);
    }

    /// <summary>Number of items collected by expiry since start.</summary>
    public long ExpiredCount => Interlocked.Read(ref _expiredCount);

    private long _expiredCount;

    internal void OnExpired(HTable table, List<Entry> items)
    {
        if (items.Count == 0)
            return;
        Interlocked.Add(ref _expiredCount, items.Count);
        LogExpired(logger, items.Count, table.Name);
        Raise(table, items);
        var handlers = Expired?.GetInvocationList();
        if (handlers is null)
            return;
        foreach (var e in items)
        {
            foreach (var h in handlers)
            {
                // A failing subscriber must not stop the others or restart the table writer:
                // the items are already removed, so an unreported one would be lost.
                try
                {
                    ((Action<HTable, Entry>)h)(table, e);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    LogSubscriberFailed(logger, ex, table.Name);
                }
            }
        }
    }

    // In cluster mode a replicated table's items go to the relay, which fires each once per cluster.
    private void Raise(HTable table, List<Entry> items)
    {
        // No relay while the actor system is rebuilt after a downing (ReleaseRelay): the items
        // fire locally then rather than being lost (at-least-once).
        if (table.Replicated && ClusterWide && _relay is { } relay)
        {
            var fired = new EventProtocol.Fired[items.Count];
            for (var i = 0; i < fired.Length; i++)
            {
                var e = items[i];
                fired[i] = new EventProtocol.Fired(EventProtocol.EventKind.Expired, table.Name, e.Key, e.IsInteger, e.IntValue, e.StringValue ?? "", e.Version, NodeId, 0);
            }
            relay.Tell(new EventProtocol.Collected(fired));
            return;
        }
        foreach (var e in items)
            Deliver(Local(TableEventKind.Expired, table.Name, e.Key, e));
    }

    // Notes the sequence number of each event read, for the error that ends a reader too far behind.
    private sealed class TrackingReader(ChannelReader<TableEvent> inner, Action<long> read) : ChannelReader<TableEvent>
    {
        public override Task Completion => inner.Completion;

        public override bool CanCount => inner.CanCount;

        public override int Count => inner.Count;

        public override bool TryRead(out TableEvent item)
        {
            if (!inner.TryRead(out item!))
                return false;
            read(item.Sequence);
            return true;
        }

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => inner.WaitToReadAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "htable:reloaded:{Table} ({Items} items)")]
    private static partial void LogReloaded(ILogger logger, string table, int items);

    [LoggerMessage(Level = LogLevel.Error, Message = "An htable event subscriber failed for {Table}")]
    private static partial void LogSubscriberFailed(ILogger logger, Exception exception, string table);

    [LoggerMessage(Level = LogLevel.Information, Message = "htable:mod-init")]
    private static partial void LogModInit(ILogger logger);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Collected {Count} expired items from {Table}")]
    private static partial void LogExpired(ILogger logger, int count, string table);
}
