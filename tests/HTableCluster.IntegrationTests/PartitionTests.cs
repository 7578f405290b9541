using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace HTableCluster.IntegrationTests;

/// <summary>
/// Three node processes in network namespaces made by this test (netns.sh, root only): network cuts
/// shorter and longer than the split-brain resolver's wait, writes on both sides, and the merge after
/// healing.
/// </summary>
[Collection("netns")]
public sealed class PartitionTests : IAsyncLifetime
{
    private const string Table = "r=>size=8;dmqreplicate=1";
    private const int DownAfterSeconds = 5;
    private readonly List<NsNode> _nodes = [];

    public async Task InitializeAsync()
    {
        Assert.True(Environment.UserName == "root", "partition tests create network namespaces and must run as root (CI does)");
        await Netns.RunAsync("down");
        await Netns.RunAsync("up", "3");
        for (var i = 1; i <= 3; i++)
            _nodes.Add(NsNode.Start(i));
        foreach (var n in _nodes)
            await n.WaitReadyAsync(TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        foreach (var n in _nodes)
            await n.DisposeAsync();
        await Netns.RunAsync("down");
    }

    [Fact]
    public async Task Writes_on_both_sides_of_short_and_long_cuts_end_up_everywhere()
    {
        var (n1, n2, n3) = (_nodes[0], _nodes[1], _nodes[2]);
        await n1.SetAsync("before", "1");
        await AllHaveAsync("before", "1");

        // Shorter than the resolver waits: nobody is downed; what was missed is repaired.
        await Netns.RunAsync("cut", "3");
        await n1.SetAsync("short-1", "a");
        await n3.SetAsync("short-3", "b");
        await Task.Delay(TimeSpan.FromSeconds(2));
        await Netns.RunAsync("heal", "3");
        await AllHaveAsync("short-1", "a");
        await AllHaveAsync("short-3", "b");
        await n1.WaitReadyAsync(TimeSpan.FromSeconds(5)); // still a ready member

        // Longer: node 3 (the minority) is downed, rebuilds its actor system with its tables kept,
        // rejoins after healing and publishes what it wrote while cut off.
        await Netns.RunAsync("cut", "3");
        await n3.SetAsync("long-3", "c");
        await n1.SetAsync("long-1", "d");
        await n2.IncAsync("calls", 5);
        await n3.IncAsync("calls", 7);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!n3.Log.Contains("This node was downed by the cluster", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "node 3 was not downed while cut off:\n" + n3.Log);
            await Task.Delay(200);
        }
        await Task.Delay(TimeSpan.FromSeconds(2));
        await Netns.RunAsync("heal", "3");
        await n3.WaitReadyAsync(TimeSpan.FromSeconds(90));

        await AllHaveAsync("long-3", "c");
        await AllHaveAsync("long-1", "d");
        await AllHaveAsync("calls", "12");
        await n3.SetAsync("after", "e");
        await AllHaveAsync("after", "e");
    }

    private async Task AllHaveAsync(string key, string value)
    {
        var deadline = DateTime.UtcNow.AddSeconds(45);
        foreach (var n in _nodes)
        {
            while (await n.ValueAsync(key) != value)
            {
                Assert.True(DateTime.UtcNow < deadline, $"node {n.Index} lacks {key}={value}:\n{n.Log}");
                await Task.Delay(200);
            }
        }
    }

    private sealed class NsNode(int index, NodeProcess process) : IAsyncDisposable
    {
        public int Index { get; } = index;

        public string Log => process.Log;

        public static NsNode Start(int index)
        {
            var i = index.ToString(CultureInfo.InvariantCulture);
            var ip = "10.201.0." + i;
            string[] launcher = ["ip", "netns", "exec", "htct-n" + i, "env", "HTABLE_Cluster__DownAfterSeconds=" + DownAfterSeconds.ToString(CultureInfo.InvariantCulture)];
            List<string> args = ["serve", "--node-id", "n" + i, "--host", ip, "--cluster-port", "4053", "--rpc-bind", ip, "--rpc-port", "7080", "--table", Table];
            if (index > 1)
                args.AddRange(["--seed", "akka.tcp://htcluster@10.201.0.1:4053"]);
            return new NsNode(index, NodeProcess.Launch(launcher, ip, 7080, 4053, [.. args]));
        }

        public Task WaitReadyAsync(TimeSpan timeout) => process.WaitReadyAsync(timeout);

        public Task<JsonElement> CallAsync(string method, params object?[] parameters) => process.CallAsync(method, parameters);

        public async Task SetAsync(string key, string value)
        {
            var reply = await CallAsync("htable.sets", "r", key, value);
            Assert.True(reply.TryGetProperty("result", out _), $"node {Index}: sets {key} failed: {reply}");
        }

        public async Task IncAsync(string key, long delta)
        {
            var reply = await CallAsync("htable.inc", "r", key, delta);
            Assert.True(reply.TryGetProperty("result", out _), $"node {Index}: inc {key} failed: {reply}");
        }

        public async Task<string?> ValueAsync(string key)
        {
            try
            {
                var reply = await CallAsync("htable.value", "r", key);
                return reply.TryGetProperty("result", out var r) && r.ValueKind != JsonValueKind.Null ? r.ToString() : null;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
            {
                return null;
            }
        }

        public ValueTask DisposeAsync() => process.DisposeAsync();
    }
}
