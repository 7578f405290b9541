using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using HTableCluster.Node.Tables;

namespace HTableCluster.Node.Resp;

/// <summary>
/// The channels, patterns and subscribers of one endpoint (this node's connections). PUBLISH
/// delivers to the clients of this node and, through <see cref="HTableNode.Broadcast"/>, to those
/// of the other members (as Redis Cluster broadcasts it); keyspace notifications stay on the node
/// whose command or sweep raised them. Each subscribed connection has a bounded queue of
/// <see cref="QueueLength"/> messages drained into <see cref="RespContext.Push"/> in order, so a
/// publisher (or the table writer raising a keyspace notification) never waits for a client and a
/// client that does not keep up loses the messages past the bound (counted in <see cref="Dropped"/>)
/// instead of growing memory. Keyspace notifications (<c>notify-keyspace-events</c>) come from the
/// commands' writes (<see cref="RespServer.KeyspaceChanged"/>) and from the node's expired events
/// (<see cref="TableEvents.Raised"/>: once per cluster in the default event mode).
/// Channel names are bytes; they are kept as Latin-1 text (one char per byte).
/// </summary>
public sealed class RespPubSub : IDisposable
{
    /// <summary>Messages a subscriber may have waiting before new ones are dropped for it.</summary>
    public const int QueueLength = 10_000;

    private static readonly RespReply MessageWord = RespReply.Bulk("message");
    private static readonly RespReply PMessageWord = RespReply.Bulk("pmessage");

    private readonly RespServer _server;
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, Subscriber[]> _channels = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<RespContext, Subscriber> _subscribers = new();
    private volatile PatternSubscription[] _patterns = [];
    private volatile int _flags;
    private long _dropped;
    private readonly Action<RespContext> _onResetting;

    /// <summary>Creates the endpoint's pub/sub and listens to its keyspace changes and the node's events.</summary>
    public RespPubSub(RespServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        _server = server;
        _onResetting = UnsubscribeAll;
        _flags = Math.Max(0, KeyspaceEvents.Parse(server.ConfigValue(NotifyParameter) ?? ""));
        server.ConfigChanged += OnConfigChanged;
        server.KeyspaceChanged += OnKeyspaceChanged;
        server.Node.Published += OnClusterPublished;
        if (server.Events is { } events)
            events.Raised += OnTableEvent;
    }

    /// <summary>The CONFIG parameter that switches keyspace notifications.</summary>
    public const string NotifyParameter = "notify-keyspace-events";

    /// <summary>True while <c>notify-keyspace-events</c> sends keyspace or keyevent messages.</summary>
    public bool NotifiesKeyspace => (_flags & (KeyspaceEvents.Keyspace | KeyspaceEvents.Keyevent)) != 0;

    /// <summary>Messages dropped because their subscriber's queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Subscribes <paramref name="context"/> to a channel; returns its channels and patterns.</summary>
    public int Subscribe(RespContext context, ReadOnlySpan<byte> channel)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = Encoding.Latin1.GetString(channel);
        // A connection already closed takes no subscription (its cleanup has run).
        if (context.Closed.IsCancellationRequested)
            return context.Subscriptions = 0;
        lock (_gate)
        {
            var s = SubscriberOf(context);
            if (s.Channels.TryAdd(name, channel.ToArray()))
            {
                _channels.AddOrUpdate(name, static (_, s) => [s], static (_, list, s) => [.. list, s], s);
            }
            return context.Subscriptions = s.Count;
        }
    }

    /// <summary>Unsubscribes from a channel; returns the client's channels and patterns left.</summary>
    public int Unsubscribe(RespContext context, ReadOnlySpan<byte> channel)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = Encoding.Latin1.GetString(channel);
        lock (_gate)
        {
            if (!_subscribers.TryGetValue(context, out var s))
                return context.Subscriptions = 0;
            if (s.Channels.Remove(name))
                RemoveFromChannel(name, s);
            return context.Subscriptions = s.Count;
        }
    }

    /// <summary>Subscribes to a glob pattern; returns the client's channels and patterns.</summary>
    public int PSubscribe(RespContext context, ReadOnlySpan<byte> pattern)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = Encoding.Latin1.GetString(pattern);
        // A connection already closed takes no subscription (its cleanup has run).
        if (context.Closed.IsCancellationRequested)
            return context.Subscriptions = 0;
        lock (_gate)
        {
            var s = SubscriberOf(context);
            var bytes = pattern.ToArray();
            if (s.Patterns.TryAdd(name, bytes))
                _patterns = [.. _patterns, new PatternSubscription(bytes, name, RespReply.Bulk(bytes), s)];
            return context.Subscriptions = s.Count;
        }
    }

    /// <summary>Unsubscribes from a pattern; returns the client's channels and patterns left.</summary>
    public int PUnsubscribe(RespContext context, ReadOnlySpan<byte> pattern)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = Encoding.Latin1.GetString(pattern);
        lock (_gate)
        {
            if (!_subscribers.TryGetValue(context, out var s))
                return context.Subscriptions = 0;
            if (s.Patterns.Remove(name))
                RemovePattern(name, s);
            return context.Subscriptions = s.Count;
        }
    }

    /// <summary>The channels a client is subscribed to, in the order subscribed.</summary>
    public List<byte[]> ChannelsOf(RespContext context)
    {
        lock (_gate)
            return _subscribers.TryGetValue(context, out var s) ? [.. s.Channels.Values] : [];
    }

    /// <summary>The patterns a client is subscribed to, in the order subscribed.</summary>
    public List<byte[]> PatternsOf(RespContext context)
    {
        lock (_gate)
            return _subscribers.TryGetValue(context, out var s) ? [.. s.Patterns.Values] : [];
    }

    /// <summary>
    /// Sends <paramref name="message"/> to the subscribers of <paramref name="channel"/> and of the
    /// patterns it matches; returns how many deliveries that made (as PUBLISH answers).
    /// </summary>
    public long Publish(ReadOnlySpan<byte> channel, ReadOnlyMemory<byte> message)
    {
        var patterns = _patterns;
        var hasChannel = _channels.TryGetValue(Encoding.Latin1.GetString(channel), out var subscribers);
        if (!hasChannel && patterns.Length == 0)
            return 0;
        long n = 0;
        RespReply? channelReply = null;
        RespReply? messageReply = null;
        if (hasChannel)
        {
            channelReply = RespReply.Bulk(channel.ToArray());
            messageReply = RespReply.Bulk(message);
            var push = new RespPush([MessageWord, channelReply, messageReply]);
            foreach (var s in subscribers!)
                Deliver(s, push);
            n += subscribers!.Length;
        }
        foreach (var p in patterns)
        {
            if (!RespGlob.IsMatch(p.Pattern, channel))
                continue;
            channelReply ??= RespReply.Bulk(channel.ToArray());
            messageReply ??= RespReply.Bulk(message);
            Deliver(p.Subscriber, new RespPush([PMessageWord, p.Reply, channelReply, messageReply]));
            n++;
        }
        return n;
    }

    /// <summary>Channels with at least one subscriber whose name matches (null: all), for PUBSUB CHANNELS.</summary>
    public List<byte[]> ActiveChannels(ReadOnlySpan<byte> pattern, bool all)
    {
        var found = new List<byte[]>();
        foreach (var (name, subscribers) in _channels)
        {
            if (subscribers.Length == 0)
                continue;
            var bytes = Encoding.Latin1.GetBytes(name);
            if (all || RespGlob.IsMatch(pattern, bytes))
                found.Add(bytes);
        }
        return found;
    }

    /// <summary>Subscribers of a channel (patterns not counted), for PUBSUB NUMSUB.</summary>
    public long SubscribersOf(ReadOnlySpan<byte> channel) =>
        _channels.TryGetValue(Encoding.Latin1.GetString(channel), out var s) ? s.Length : 0;

    /// <summary>Distinct patterns subscribed to by any client, for PUBSUB NUMPAT.</summary>
    public long PatternCount
    {
        get
        {
            var distinct = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in _patterns)
                distinct.Add(p.Name);
            return distinct.Count;
        }
    }

    /// <summary>Stops listening to the endpoint and the node's events.</summary>
    public void Dispose()
    {
        _server.ConfigChanged -= OnConfigChanged;
        _server.KeyspaceChanged -= OnKeyspaceChanged;
        _server.Node.Published -= OnClusterPublished;
        if (_server.Events is { } events)
            events.Raised -= OnTableEvent;
    }

    private Subscriber SubscriberOf(RespContext context)
    {
        if (_subscribers.TryGetValue(context, out var s))
            return s;
        s = new Subscriber(context, this);
        _subscribers[context] = s;
        context.Resetting += _onResetting;
        // Registered after the subscriber is in place: a connection already closed removes it at once.
        context.Closed.Register(static state =>
        {
            var (pubSub, context) = ((RespPubSub, RespContext))state!;
            pubSub.Remove(context);
        }, (this, context));
        return s;
    }

    /// <summary>
    /// Ends every subscription of <paramref name="context"/> (RESET does this through
    /// <see cref="RespContext.Resetting"/>; so does the connection closing). Messages already queued for it are still pushed.
    /// </summary>
    public void UnsubscribeAll(RespContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Remove(context);
        context.Subscriptions = 0;
    }

    // Every subscription goes, and the queue stops once drained.
    private void Remove(RespContext context)
    {
        lock (_gate)
        {
            if (!_subscribers.TryRemove(context, out var s))
                return;
            context.Resetting -= _onResetting;
            foreach (var name in s.Channels.Keys)
                RemoveFromChannel(name, s);
            foreach (var name in s.Patterns.Keys)
                RemovePattern(name, s);
            s.Channels.Clear();
            s.Patterns.Clear();
            s.Queue.Writer.TryComplete();
        }
    }

    private void RemoveFromChannel(string name, Subscriber s)
    {
        if (!_channels.TryGetValue(name, out var list))
            return;
        var rest = Array.FindAll(list, x => !ReferenceEquals(x, s));
        if (rest.Length == 0)
            _channels.TryRemove(name, out _);
        else
            _channels[name] = rest;
    }

    private void RemovePattern(string name, Subscriber s) =>
        _patterns = Array.FindAll(_patterns, p => !(ReferenceEquals(p.Subscriber, s) && p.Name == name));

    // A full queue drops the message (counted by the queue's callback); a closed one takes nothing.
    private static void Deliver(Subscriber s, RespReply message) => s.Queue.Writer.TryWrite(message);

    // A PUBLISH made on another member: for this node's subscribers.
    private void OnClusterPublished(byte[] channel, byte[] message) => Publish(channel, message);

    private void OnConfigChanged(string name, string value)
    {
        if (string.Equals(name, NotifyParameter, StringComparison.OrdinalIgnoreCase))
            _flags = Math.Max(0, KeyspaceEvents.Parse(value));
    }

    private void OnTableEvent(TableEvent e)
    {
        if (e.Kind == TableEventKind.Expired && _server.Node.Find(e.Table) is { } table)
            OnKeyspaceChanged('x', "expired", table, e.Key);
    }

    // Redis's notifyKeyspaceEvent: the class must be on, then K and E each add their message.
    private void OnKeyspaceChanged(char kind, string eventName, TableClient table, string key)
    {
        var flags = _flags;
        if ((flags & (KeyspaceEvents.Keyspace | KeyspaceEvents.Keyevent)) == 0 || (flags & KeyspaceEvents.ClassOf(kind)) == 0)
            return;
        if (_channels.IsEmpty && _patterns.Length == 0)
            return;
        var db = IndexOf(table);
        if (db < 0)
            return;
        var dbText = db.ToString(CultureInfo.InvariantCulture);
        var keyBytes = Encoding.UTF8.GetBytes(key);
        var eventBytes = Encoding.UTF8.GetBytes(eventName);
        if ((flags & KeyspaceEvents.Keyspace) != 0)
            Publish(ChannelName("__keyspace@", dbText, keyBytes), eventBytes);
        if ((flags & KeyspaceEvents.Keyevent) != 0)
            Publish(ChannelName("__keyevent@", dbText, eventBytes), keyBytes);
    }

    private static byte[] ChannelName(string prefix, string db, byte[] tail)
    {
        var head = Encoding.ASCII.GetBytes(prefix + db + "__:");
        var channel = new byte[head.Length + tail.Length];
        head.CopyTo(channel, 0);
        tail.CopyTo(channel, head.Length);
        return channel;
    }

    private int IndexOf(TableClient table)
    {
        var databases = _server.Databases;
        for (var i = 0; i < databases.Count; i++)
        {
            if (ReferenceEquals(databases[i], table) || databases[i].Name == table.Name)
                return i;
        }
        return -1;
    }

    private sealed record PatternSubscription(byte[] Pattern, string Name, RespReply Reply, Subscriber Subscriber);

    // One subscribed connection: what it listens to (changed under the gate) and its queue, drained
    // into the connection by one loop so messages reach the client in the order published.
    private sealed class Subscriber
    {
        public Subscriber(RespContext context, RespPubSub owner)
        {
            Context = context;
            Queue = Channel.CreateBounded<RespReply>(new BoundedChannelOptions(QueueLength)
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.DropWrite,
            }, _ => Interlocked.Increment(ref owner._dropped));
            _ = Task.Run(DrainAsync);
        }

        public RespContext Context { get; }

        public OrderedDictionary<string, byte[]> Channels { get; } = new(StringComparer.Ordinal);

        public OrderedDictionary<string, byte[]> Patterns { get; } = new(StringComparer.Ordinal);

        public Channel<RespReply> Queue { get; }

        public int Count => Channels.Count + Patterns.Count;

        private async Task DrainAsync()
        {
            var reader = Queue.Reader;
            try
            {
                while (await reader.WaitToReadAsync().ConfigureAwait(false))
                {
                    while (reader.TryRead(out var message))
                        Context.Push(message);
                }
            }
            catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException or IOException)
            {
                // The connection is going away; its Closed token removes the subscriptions.
            }
        }
    }
}
