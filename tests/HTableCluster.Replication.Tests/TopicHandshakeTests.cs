using static HTableCluster.Replication.TopicHandshake<string>;

namespace HTableCluster.Replication.Tests;

public sealed class TopicHandshakeTests
{
    private static readonly DateTime Start = new(2026, 12, 7, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Ends_once_every_up_peer_confirmed_both_directions()
    {
        var h = new TopicHandshake<string>(Start, TimeSpan.FromSeconds(10));
        string[] up = ["a", "b"];
        Assert.Equal([("a", Direction.Both), ("b", Direction.Both)], h.Missing(up));

        h.Confirm("a", Direction.Inbound);
        h.Confirm("b", Direction.Both);
        Assert.False(h.TryFinish(up, Start.AddSeconds(1), out _));
        Assert.Equal([("a", Direction.Outbound)], h.Missing(up));

        h.Confirm("a", Direction.Outbound);
        Assert.True(h.TryFinish(up, Start.AddSeconds(1), out var givenUp));
        Assert.Empty(givenUp);
        Assert.True(h.IsDone);
    }

    [Fact]
    public void Alone_it_ends_at_once_and_a_peer_that_left_is_not_waited_for()
    {
        Assert.True(new TopicHandshake<string>(Start, TimeSpan.FromSeconds(10)).TryFinish([], Start, out _));

        var h = new TopicHandshake<string>(Start, TimeSpan.FromSeconds(10));
        h.Confirm("a", Direction.Both);
        Assert.False(h.TryFinish(["a", "gone"], Start, out _));
        Assert.True(h.TryFinish(["a"], Start, out var givenUp));
        Assert.Empty(givenUp);
    }

    [Fact]
    public void A_silent_peer_is_given_up_on_at_the_time_limit_and_named()
    {
        var h = new TopicHandshake<string>(Start, TimeSpan.FromSeconds(10));
        h.Confirm("a", Direction.Both);
        h.Confirm("b", Direction.Outbound);
        Assert.False(h.TryFinish(["a", "b"], Start.AddSeconds(9.9), out _));
        Assert.True(h.TryFinish(["a", "b"], Start.AddSeconds(10), out var givenUp));
        Assert.Equal([("b", Direction.Inbound)], givenUp);

        // Once ended it stays ended.
        Assert.True(h.TryFinish(["a", "b", "c"], Start.AddSeconds(11), out givenUp));
        Assert.Empty(givenUp);
    }
}
