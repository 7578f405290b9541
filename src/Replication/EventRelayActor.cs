using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using static HTableCluster.Replication.EventProtocol;

namespace HTableCluster.Replication;

/// <summary>
/// Cluster-wide table events (path <c>/user/events</c>). A reload or a node's mod-init, raised
/// and delivered locally, is published to the other members as it is (<see cref="Announced"/>). Every replica
/// collects an expired item locally (storage housekeeping); only the member ranked first by
/// <see cref="RendezvousHash"/> over the Up and reachable members fires its event and publishes
/// it on the <see cref="Topic"/>, and every member delivers what arrives there to its local
/// subscribers, once per id (table, key, version).
/// <para>
/// At-least-once: a member ranked <c>r</c> &gt; 0 holds the items it collected for
/// <c>r × grace</c> and fires them itself if the event has not arrived by then, or as soon as
/// membership changes make it the first-ranked member (the owner was removed or became
/// unreachable). The grace covers the owner's sweep running up to one timer interval later.
/// Events of ids delivered recently are remembered, so a node's own late collection, or an event
/// fired twice across a member leaving, is delivered once per node.
/// </para>
/// </summary>
public sealed class EventRelayActor : ReceiveActor, IWithTimers
{
    /// <summary>The pub-sub topic of table events.</summary>
    public const string Topic = "htable-events";

    /// <summary>The relay's actor name (path <c>/user/events</c> on every member).</summary>
    public const string Name = "events";

    private const int MaxPending = 200_000;
    private const int MaxSeen = 200_000;

    // How long a reload or mod-init announced before this member is Up waits for it.
    private const long MaxHoldMs = 120_000;

    private readonly string _nodeId;
    private readonly IActorRef _mediator;
    private readonly TimeSpan _grace;
    private readonly Action<Fired> _deliver;
    private readonly Cluster _cluster;
    private readonly HashSet<string> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Table, string Key, long Version), (Fired Event, long DueMs)> _pending = [];
    private readonly Dictionary<(string Table, string Key, long Version), long> _seen = [];
    private readonly Queue<((string Table, string Key, long Version) Id, long UntilMs)> _seenOrder = new();
    private readonly List<(Fired Event, long UntilMs)> _announcements = [];
    private string _self = "";

    /// <summary>
    /// Creates the relay; <paramref name="deliver"/> hands an event to this node's subscribers
    /// (it runs on the actor and must be quick).
    /// </summary>
    public EventRelayActor(string nodeId, IActorRef mediator, TimeSpan grace, Action<Fired> deliver)
    {
        _nodeId = nodeId;
        _mediator = mediator;
        _grace = grace;
        _deliver = deliver;
        _cluster = Cluster.Get(Context.System);
        Receive<Collected>(OnCollected);
        Receive<Announced>(a =>
        {
            if (Remember((a.Event.Table, a.Event.Key, a.Event.Version), NowMs))
            {
                _announcements.Add((a.Event, NowMs + MaxHoldMs));
                SendAnnouncements();
            }
        });
        Receive<Fired>(OnFired);
        Receive<ClusterEvent.CurrentClusterState>(s =>
        {
            _members.Clear();
            foreach (var m in s.Members)
            {
                if (m.Status == MemberStatus.Up && !s.Unreachable.Contains(m))
                    _members.Add(m.Address.ToString());
            }
            FireDue();
            SendAnnouncements();
        });
        Receive<ClusterEvent.MemberUp>(m =>
        {
            _members.Add(m.Member.Address.ToString());
            SendAnnouncements();
        });
        Receive<ClusterEvent.ReachableMember>(m =>
        {
            if (m.Member.Status == MemberStatus.Up)
                _members.Add(m.Member.Address.ToString());
        });
        Receive<ClusterEvent.UnreachableMember>(m => Leave(m.Member));
        Receive<ClusterEvent.MemberRemoved>(m => Leave(m.Member));
        Receive<ClusterEvent.MemberLeft>(m => Leave(m.Member));
        Receive<ClusterEvent.MemberExited>(m => Leave(m.Member));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<SubscribeAck>(_ => { });
        Receive<Tick>(_ =>
        {
            FireDue();
            SendAnnouncements();
        });
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the relay.</summary>
    public static Props Props(string nodeId, IActorRef mediator, TimeSpan grace, Action<Fired> deliver) =>
        Akka.Actor.Props.Create(() => new EventRelayActor(nodeId, mediator, grace, deliver));

    /// <inheritdoc />
    protected override void PreStart()
    {
        _self = _cluster.SelfAddress.ToString();
        _mediator.Tell(new Subscribe(Topic, Self));
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        var tick = TimeSpan.FromTicks(Math.Clamp(_grace.Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromSeconds(1).Ticks));
        Timers.StartPeriodicTimer("tick", Tick.Instance, tick);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _cluster.Unsubscribe(Self);
        base.PostStop();
    }

    private static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private void Leave(Member m)
    {
        _members.Remove(m.Address.ToString());
        // A removed owner's keys move to the next member at once instead of after the grace.
        FireDue();
    }

    // Reloads and mod-inits go straight to the relay of every Up member: a node's mod-init happens
    // while it is still joining, when no topic subscription of the others is known here yet, so a
    // publication would reach nobody. They wait until this member is Up; the members it then
    // knows are the ones whose subscribers can hear it (one that joins later was not listening).
    private void SendAnnouncements()
    {
        if (_announcements.Count == 0)
            return;
        if (!_members.Contains(_self))
        {
            var now = NowMs;
            var expired = _announcements.RemoveAll(a => a.UntilMs <= now);
            if (expired > 0)
                Context.GetLogger().Warning("{0} table event announcement(s) dropped: this member did not become Up within {1} s", expired, MaxHoldMs / 1000);
            return;
        }
        foreach (var member in _members)
        {
            if (member == _self)
                continue;
            var relay = Context.ActorSelection($"{member}/user/{Name}");
            foreach (var (e, _) in _announcements)
                relay.Tell(e, Self);
        }
        _announcements.Clear();
    }

    private void OnCollected(Collected c)
    {
        var now = NowMs;
        foreach (var e in c.Items)
        {
            var id = (e.Table, e.Key, e.Version);
            if (_seen.ContainsKey(id) || _pending.ContainsKey(id))
                continue;
            var rank = RendezvousHash.Rank(e.Table, e.Key, _self, _members);
            if (rank == 0 || _pending.Count >= MaxPending)
                Fire(e, now);
            else
                _pending[id] = (e, now + (rank * (long)_grace.TotalMilliseconds));
        }
    }

    private void OnFired(Fired e)
    {
        var id = (e.Table, e.Key, e.Version);
        // Our own publication comes back from the topic: already delivered.
        if (!Remember(id, NowMs))
            return;
        _pending.Remove(id);
        _deliver(e);
    }

    private void FireDue()
    {
        if (_pending.Count == 0)
            return;
        var now = NowMs;
        List<Fired>? due = null;
        foreach (var (_, p) in _pending)
        {
            if (p.DueMs <= now || RendezvousHash.Rank(p.Event.Table, p.Event.Key, _self, _members) == 0)
                (due ??= []).Add(p.Event);
        }
        if (due is null)
            return;
        foreach (var e in due)
        {
            _pending.Remove((e.Table, e.Key, e.Version));
            Fire(e, now);
        }
    }

    private void Fire(Fired collected, long now)
    {
        var e = collected with { OriginNode = _nodeId, AtMs = now };
        if (!Remember((e.Table, e.Key, e.Version), now))
            return;
        _deliver(e);
        _mediator.Tell(new Publish(Topic, e));
        Context.GetLogger().Debug("Fired htable:expired:{0} for {1}", e.Table, e.Key);
    }

    // False when the id was delivered already. Ids are kept long enough to cover the last fallback
    // member's grace plus a late local sweep, and at most MaxSeen of them.
    private bool Remember((string Table, string Key, long Version) id, long now)
    {
        while (_seenOrder.Count > 0 && (_seenOrder.Peek().UntilMs <= now || _seen.Count > MaxSeen))
        {
            var (old, until) = _seenOrder.Dequeue();
            if (_seen.TryGetValue(old, out var u) && u == until)
                _seen.Remove(old);
        }
        if (_seen.ContainsKey(id))
            return false;
        var keep = now + ((_members.Count + 2) * (long)_grace.TotalMilliseconds);
        _seen[id] = keep;
        _seenOrder.Enqueue((id, keep));
        return true;
    }

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }
}
