using HTableCluster.Node.Resp;

namespace HTableCluster.Node.Tests.Resp;

/// <summary>
/// PUBLISH reaches the subscribers connected to every member, as Redis Cluster broadcasts it; the
/// reply counts the receivers of the node that ran it, and nobody gets a message twice.
/// </summary>
public sealed class RespClusterPublishTests
{
    private static readonly string[] Tables = ["r=>size=8;dmqreplicate=1"];

    [Fact]
    public async Task Publish_on_one_node_reaches_the_other_nodes_subscribers_once()
    {
        await using var n1 = await ClusterNode.StartAsync("n1", Tables);
        await n1.WaitReadyAsync();
        await using var n2 = await ClusterNode.StartAsync("n2", Tables, n1);
        await n2.WaitReadyAsync();
        using var publisher = new HandlerClient(new RespServer(n1.Node, RespCommandTable.CreateDefault()));
        using var local = new HandlerClient(publisher.Server);
        using var remote = new HandlerClient(new RespServer(n2.Node, RespCommandTable.CreateDefault()));
        await local.RunAsync("SUBSCRIBE", "news");
        await remote.RunAsync("SUBSCRIBE", "news");
        await remote.WireAsync("PSUBSCRIBE", "n*");

        // The members learn of each other's topic subscription by gossip: publish until n2 hears.
        string? first = null;
        var sent = 0;
        while (first is null)
        {
            Assert.True(sent < 150, "no message published on n1 reached n2's subscriber");
            Assert.Equal(":1\r\n", await publisher.WireAsync("PUBLISH", "news", "m" + sent++));
            first = await remote.TryNextPushAsync(TimeSpan.FromMilliseconds(200));
        }
        Assert.Matches(@"^\*3\r\n\$7\r\nmessage\r\n\$4\r\nnews\r\n\$\d+\r\nm\d+\r\n$", first);

        await publisher.RunAsync("PUBLISH", "news", "last");
        var remoteGot = new List<string> { first };
        while (!remoteGot.Contains(Pattern("last")))
            remoteGot.Add(await remote.NextPushAsync() ?? "");
        Assert.Contains(Message("last"), remoteGot);
        // Each message once per subscription on n2 (a channel and a pattern), never twice.
        Assert.Equal(remoteGot.Count, remoteGot.Distinct().Count());

        // n1's subscriber gets every message once: its own node's publication is not delivered again.
        var localGot = new List<string>();
        for (var i = 0; i <= sent; i++)
            localGot.Add(await local.NextPushAsync());
        Assert.Equal(Message("last"), localGot[^1]);
        Assert.Null(await local.TryNextPushAsync(TimeSpan.FromSeconds(1)));
    }

    private static string Message(string text) => $"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n${text.Length}\r\n{text}\r\n";

    private static string Pattern(string text) => $"*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n${text.Length}\r\n{text}\r\n";
}
