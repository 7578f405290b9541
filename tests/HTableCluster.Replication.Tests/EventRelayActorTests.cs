using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using static HTableCluster.Replication.EventProtocol;

namespace HTableCluster.Replication.Tests;

/// <summary>The event relay on a real single-member cluster, with a probe for the pub-sub mediator.</summary>
public sealed class EventRelayActorTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly ConcurrentQueue<Fired> _delivered = new();

    public EventRelayActorTests()
        : base(TestConfig.Cluster)
    {
        var cluster = Cluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        AwaitCondition(() => cluster.SelfMember.Status == MemberStatus.Up, Wait);
    }

    private static Fired Collected(string key, long version) => new(EventKind.Expired, "t", key, false, 0, "v", version, "me", 0);

    private (IActorRef Relay, Akka.TestKit.TestProbe Mediator) Start()
    {
        var mediator = CreateTestProbe();
        var relay = Sys.ActorOf(EventRelayActor.Props("me", mediator, TimeSpan.FromSeconds(5), _delivered.Enqueue));
        var subscribe = mediator.ExpectMsg<Subscribe>(Wait);
        Assert.Equal(EventRelayActor.Topic, subscribe.Topic);
        return (relay, mediator);
    }

    [Fact]
    public void A_lone_member_fires_what_it_collects_at_once_and_publishes_it_with_its_origin()
    {
        var (relay, mediator) = Start();
        relay.Tell(new EventProtocol.Collected([Collected("a", 7), Collected("b", 8)]));

        var first = mediator.ExpectMsg<Publish>(Wait);
        var second = mediator.ExpectMsg<Publish>(Wait);
        Assert.Equal(EventRelayActor.Topic, first.Topic);
        var published = new[] { (Fired)first.Message, (Fired)second.Message };
        Assert.Equal(["a", "b"], published.Select(e => e.Key));
        Assert.All(published, e => Assert.Equal("me", e.OriginNode));
        Assert.All(published, e => Assert.True(e.AtMs > 0));
        AwaitCondition(() => _delivered.Count == 2, Wait);
    }

    [Fact]
    public void An_event_is_delivered_once_whether_it_is_collected_again_or_comes_back_from_the_topic()
    {
        var (relay, mediator) = Start();
        relay.Tell(new EventProtocol.Collected([Collected("a", 7)]));
        var published = (Fired)mediator.ExpectMsg<Publish>(Wait).Message;

        relay.Tell(published); // our own publication, back from the topic
        relay.Tell(new EventProtocol.Collected([Collected("a", 7)])); // a late second sweep
        relay.Tell(published with { OriginNode = "other" }); // the same id fired by another member
        mediator.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Single(_delivered);

        // A newer version of the same key is another event.
        relay.Tell(new EventProtocol.Collected([Collected("a", 9)]));
        mediator.ExpectMsg<Publish>(Wait);
        AwaitCondition(() => _delivered.Count == 2, Wait);
    }

    [Fact]
    public void An_event_fired_by_another_member_is_delivered_once_and_not_published_again()
    {
        var (relay, mediator) = Start();
        var remote = new Fired(EventKind.Expired, "t", "k", true, 42, "", 11, "n2", 1_764_806_400_000);
        relay.Tell(remote);
        relay.Tell(remote);
        AwaitCondition(() => !_delivered.IsEmpty, Wait);
        mediator.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal([remote], _delivered);
    }

    [Fact]
    public void An_announcement_is_not_delivered_again_here_nor_published_on_the_topic()
    {
        var (relay, mediator) = Start();
        var announced = new Fired(EventKind.ModInit, "", "me", false, 0, "", 638_000_000_000_000_000, "me", 1_764_806_400_000);
        relay.Tell(new Announced(announced));
        relay.Tell(announced); // would it come back, it is known already
        mediator.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Empty(_delivered);
    }
}
