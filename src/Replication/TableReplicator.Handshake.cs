using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using static HTableCluster.Replication.ReplicationProtocol;

namespace HTableCluster.Replication;

// The pub-sub handshake of a joining node (TopicHandshake): the table counts as in sync only once
// every Up peer's publications reach this node and this node's reach every Up peer, so a write made
// anywhere after the node reports ready arrives with the normal lag instead of at the next
// announcement.
public sealed partial class TableReplicator
{
    private const string HandshakeTimer = "handshake";
    private static readonly TimeSpan HandshakeRetry = TimeSpan.FromMilliseconds(100);
    private TopicHandshake<Address>? _handshake;

    private sealed class HandshakeRound
    {
        public static readonly HandshakeRound Instance = new();

        private HandshakeRound()
        {
        }
    }

    private void ReceiveHandshake()
    {
        Receive<TopicProbe>(OnTopicProbe);
        Receive<TopicEcho>(OnTopicEcho);
        Receive<HandshakeRound>(_ => OnHandshakeRound());
    }

    private void StartHandshake()
    {
        _handshake = new TopicHandshake<Address>(DateTime.UtcNow, _options.SyncTimeout);
        OnHandshakeRound();
    }

    // Asks again, every retry interval, whatever is still missing with each Up peer.
    private void OnHandshakeRound()
    {
        if (_handshake is not { IsDone: false } handshake || TryFinishHandshake())
            return;
        var askViaTopic = false;
        foreach (var (peer, missing) in handshake.Missing(_members.UpAddresses()))
        {
            if (missing.HasFlag(TopicHandshake<Address>.Direction.Inbound))
                _members.Replicator(peer).Tell(new TopicProbe(_table.Name, _self, ViaTopic: false), Self);
            askViaTopic |= missing.HasFlag(TopicHandshake<Address>.Direction.Outbound);
        }
        if (askViaTopic)
            _mediator.Tell(new Publish(_topic, new TopicProbe(_table.Name, _self, ViaTopic: true)));
        Timers.StartSingleTimer(HandshakeTimer, HandshakeRound.Instance, HandshakeRetry);
    }

    private bool TryFinishHandshake()
    {
        if (!_handshake!.TryFinish(_members.UpAddresses(), DateTime.UtcNow, out var givenUp))
            return false;
        Timers.Cancel(HandshakeTimer);
        foreach (var (peer, missing) in givenUp)
        {
            _log.Warning("Table {Table}: the pub-sub path with {Peer} is not confirmed after {Limit} ({Missing} missing); its changes reach this node through its announcements meanwhile",
                _table.Name, peer, _options.SyncTimeout, missing);
        }
        if (_synced)
            Context.Parent.Tell(new TableSynced(_table.Name));
        return true;
    }

    // A peer's probe: one sent directly is answered on the topic (proving this node's publications
    // reach the peer); one that came over the topic is answered directly (proving the peer's reach here).
    private void OnTopicProbe(TopicProbe p)
    {
        if (p.From == _self)
            return;
        if (p.ViaTopic)
        {
            if (!Sender.IsNobody())
                Sender.Tell(new TopicEcho(_table.Name, p.From.Incarnation, TopicHandshake<Address>.Direction.Outbound));
        }
        else
        {
            _mediator.Tell(new Publish(_topic, new TopicEcho(_table.Name, p.From.Incarnation, TopicHandshake<Address>.Direction.Inbound)));
        }
    }

    private void OnTopicEcho(TopicEcho e)
    {
        if (e.ToIncarnation != _self.Incarnation || _handshake is not { IsDone: false } handshake || Sender.IsNobody())
            return;
        handshake.Confirm(Sender.Path.Address, e.Proves);
        TryFinishHandshake();
    }
}
