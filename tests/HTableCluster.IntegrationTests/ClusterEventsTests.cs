using System.Globalization;
using System.Text.Json;
using HTableCluster.Replication;

namespace HTableCluster.IntegrationTests;

/// <summary>
/// Expired events of a replicated table across three real node processes: each expiry is seen
/// exactly once from every node's GET /events in steady state, and still arrives (at least once)
/// on the survivors when the node that owned its key is killed.
/// </summary>
public sealed class ClusterEventsTests : IDisposable
{
    private const string Table = "ev";
    private const int GraceSeconds = 3;
    private readonly string _config = Path.Combine(Path.GetTempPath(), $"htc-events-{Guid.NewGuid():N}.json");

    public ClusterEventsTests() =>
        File.WriteAllText(_config, $"{{\"Htable\":{{\"TimerInterval\":1,\"EventGraceSeconds\":{GraceSeconds}}}}}");

    public void Dispose() => File.Delete(_config);

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string Address(int clusterPort) => "akka.tcp://htcluster@127.0.0.1:" + Port(clusterPort);

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 90)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what);
            await Task.Delay(200);
        }
    }

    private static int UpMembers(JsonElement reply) =>
        reply.GetProperty("result").GetProperty("members").EnumerateArray().Count(m => m.GetProperty("status").GetString() == "up");

    private async Task<NodeProcess[]> StartClusterAsync(int[] cluster, string table)
    {
        var seeds = cluster.SelectMany(p => new[] { "--seed", Address(p) }).ToArray();
        string[] Args(int i) => ["--node-id", "n" + Port(i + 1), "--config", _config, "--table", table, .. seeds];
        var n1 = await NodeProcess.StartOnAsync(PublishedNode.FreePort(), cluster[0], Args(0));
        try
        {
            var others = await Task.WhenAll(NodeProcess.StartOnAsync(PublishedNode.FreePort(), cluster[1], Args(1)), NodeProcess.StartOnAsync(PublishedNode.FreePort(), cluster[2], Args(2)));
            NodeProcess[] nodes = [n1, .. others];
            foreach (var n in nodes)
                await EventuallyAsync(async () => UpMembers(await n.CallAsync("cluster.members")) == 3, "three Up members seen from every node");
            return nodes;
        }
        catch
        {
            await n1.DisposeAsync();
            throw;
        }
    }

    [Fact]
    public async Task Every_node_sees_each_expiry_of_a_replicated_table_exactly_once()
    {
        int[] cluster = [PublishedNode.FreePort(), PublishedNode.FreePort(), PublishedNode.FreePort()];
        var nodes = await StartClusterAsync(cluster, Table + "=>size=8;autoexpire=5;dmqreplicate=1");
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            const int count = 30;
            // One more reader on n1 drops its connection after a third of the events and resumes
            // with Last-Event-ID a second later: it must end with each event once too.
            EventCollector[] streams = [.. nodes.Select(n => EventCollector.Start(n, cts.Token)), EventCollector.Start(nodes[0], cts.Token, disconnectAfter: count / 3)];
            foreach (var s in streams)
                await s.Connected.WaitAsync(TimeSpan.FromSeconds(30));
            var keys = Enumerable.Range(0, count).Select(i => "k" + Port(i)).ToList();
            for (var i = 0; i < count; i++)
                await nodes[i % 3].CallAsync("htable.sets", Table, keys[i], "v" + Port(i));

            foreach (var s in streams)
                await EventuallyAsync(() => Task.FromResult(s.Keys().Count == count), "every expiry reached " + s.Node);
            // Long enough for a member ranked second or third to fire had it not seen the owner's event.
            await Task.Delay(TimeSpan.FromSeconds((3 * GraceSeconds) + 2));

            string[] ids = ["n1", "n2", "n3"];
            foreach (var s in streams)
            {
                var events = s.Events();
                Assert.Equal(keys.Order(StringComparer.Ordinal), events.Select(e => e.Key).Order(StringComparer.Ordinal));
                Assert.All(events, e => Assert.Contains(e.Origin, ids));
            }
            // The same event (same id and origin) on every node; the owners are spread over the members.
            var first = streams[0].Events().Select(e => (e.Key, e.Version, e.Origin)).Order().ToList();
            Assert.Equal(first, streams[1].Events().Select(e => (e.Key, e.Version, e.Origin)).Order().ToList());
            Assert.Equal(first, streams[2].Events().Select(e => (e.Key, e.Version, e.Origin)).Order().ToList());
            Assert.Equal(first, streams[3].Events().Select(e => (e.Key, e.Version, e.Origin)).Order().ToList());
            Assert.Equal(2, streams[3].Connections);
            Assert.Equal(3, first.Select(e => e.Origin).Distinct().Count());
            await cts.CancelAsync();
        }
        finally
        {
            foreach (var n in nodes)
                await n.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_expiries_of_the_keys_of_an_owner_killed_or_leaving_still_reach_the_survivors(bool kill)
    {
        int[] cluster = [PublishedNode.FreePort(), PublishedNode.FreePort(), PublishedNode.FreePort()];
        var nodes = await StartClusterAsync(cluster, Table + "=>size=8;autoexpire=10;dmqreplicate=1");
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            var streams = nodes.Take(2).Select(n => EventCollector.Start(n, cts.Token)).ToArray();
            foreach (var s in streams)
                await s.Connected.WaitAsync(TimeSpan.FromSeconds(30));
            string[] members = [.. cluster.Select(Address)];
            var keys = Enumerable.Range(0, 30).Select(i => "k" + Port(i)).ToList();
            var ownedByN3 = keys.Where(k => RendezvousHash.Owner(Table, k, members) == members[2]).ToList();
            Assert.NotEmpty(ownedByN3);
            foreach (var k in keys)
                await nodes[0].CallAsync("htable.sets", Table, k, "v");
            await EventuallyAsync(async () => (await nodes[2].CallAsync("htable.value", Table, keys[^1])).GetProperty("result").ValueKind == JsonValueKind.String, "the keys reached n3");

            // Killed with -9 (unreachable, then downed), or stopped with SIGTERM (it leaves the
            // cluster): either way the next-ranked members fire its keys' events.
            if (kill)
                await nodes[2].KillAsync();
            else
                Assert.Equal(0, await nodes[2].TerminateAsync());

            foreach (var s in streams)
                await EventuallyAsync(() => Task.FromResult(s.Keys().Count == keys.Count), "every expiry, n3's keys too, reached " + s.Node);
            foreach (var s in streams)
                Assert.Equal(keys.Order(StringComparer.Ordinal), s.Keys().Order(StringComparer.Ordinal));
            await cts.CancelAsync();
        }
        finally
        {
            foreach (var n in nodes)
                await n.DisposeAsync();
        }
    }

    /// <summary>Reads one node's GET /events?table=ev&amp;type=expired in the background.</summary>
    private sealed class EventCollector
    {
        private readonly List<(string Key, long Version, string Origin)> _events = [];
        private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public required string Node { get; init; }

        public Task Connected => _connected.Task;

        public int Connections { get; private set; }

        public static EventCollector Start(NodeProcess node, CancellationToken cancellationToken, int? disconnectAfter = null)
        {
            var c = new EventCollector { Node = node.Url };
            _ = c.RunAsync(new Uri($"http://{node.Host}:{Port(node.RpcPort)}/events?table={Table}&type=expired"), disconnectAfter, cancellationToken);
            return c;
        }

        public List<(string Key, long Version, string Origin)> Events()
        {
            lock (_events)
                return [.. _events];
        }

        public HashSet<string> Keys()
        {
            lock (_events)
                return _events.Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        }

        private async Task RunAsync(Uri uri, int? disconnectAfter, CancellationToken cancellationToken)
        {
            using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            string? lastId = null;
            try
            {
                // At most two connections: the first one ends after disconnectAfter events when set.
                for (var connection = 0; connection < 2; connection++)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                    if (lastId is not null)
                        request.Headers.Add("Last-Event-ID", lastId);
                    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                    response.EnsureSuccessStatusCode();
                    Connections++;
                    using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
                    _connected.TrySetResult();
                    while (await reader.ReadLineAsync(cancellationToken) is { } line)
                    {
                        if (line.StartsWith("id: ", StringComparison.Ordinal))
                            lastId = line["id: ".Length..];
                        if (!line.StartsWith("data: ", StringComparison.Ordinal))
                            continue;
                        using var doc = JsonDocument.Parse(line["data: ".Length..]);
                        var d = doc.RootElement;
                        int n;
                        lock (_events)
                        {
                            _events.Add((d.GetProperty("key").GetString()!, d.GetProperty("version").GetInt64(), d.GetProperty("node").GetString()!));
                            n = _events.Count;
                        }
                        if (connection == 0 && n == disconnectAfter)
                            break;
                    }
                    if (disconnectAfter is null)
                        return;
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
            {
                _connected.TrySetException(ex);
            }
        }
    }
}
