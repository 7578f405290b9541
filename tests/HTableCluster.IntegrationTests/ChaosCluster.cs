using System.Globalization;
using System.Text.Json;

namespace HTableCluster.IntegrationTests;

/// <summary>
/// Three node processes in network namespaces htct-n1..3 (netns.sh, root only) with a replicated
/// table <c>r</c>, write concern 1 and a flatstore directory each; shared by the chaos tests.
/// </summary>
public sealed class ChaosCluster : IAsyncLifetime
{
    public const string Table = "r";
    private const string TableDef = "r=>size=8;dmqreplicate=1";
    private readonly NodeProcess?[] _nodes = new NodeProcess?[3];
    private readonly string _root = Directory.CreateTempSubdirectory("htc-chaos-").FullName;

    /// <summary>Node i's (1..3) RPC URL (the same across restarts).</summary>
    public static string Url(int i) => $"http://10.201.0.{i.ToString(CultureInfo.InvariantCulture)}:7080/RPC";

    public NodeProcess Node(int i) => _nodes[i - 1] ?? throw new InvalidOperationException($"node {i} is not running");

    /// <summary>Node i's accounting file of flatstore table <paramref name="table"/>.</summary>
    public string FlatFile(int i, string table) => Path.Combine(FlatDir(i), $"{table}_n{i.ToString(CultureInfo.InvariantCulture)}.log");

    public async Task InitializeAsync()
    {
        Assert.True(Environment.UserName == "root", "chaos tests create network namespaces and must run as root (CI does)");
        await Netns.RunAsync("down");
        await Netns.RunAsync("up", "3");
        for (var i = 1; i <= 3; i++)
        {
            Directory.CreateDirectory(FlatDir(i));
            _nodes[i - 1] = Launch(i);
        }
        for (var i = 1; i <= 3; i++)
            await Node(i).WaitReadyAsync(TimeSpan.FromSeconds(90));
    }

    public async Task DisposeAsync()
    {
        foreach (var n in _nodes)
        {
            if (n is not null)
                await n.DisposeAsync();
        }
        await Netns.RunAsync("down");
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>kill -9 of node i.</summary>
    public Task KillAsync(int i) => Node(i).KillAsync();

    /// <summary>Starts node i again on its address and ports, with its flatstore directory.</summary>
    public async Task RestartAsync(int i)
    {
        if (_nodes[i - 1] is { } old)
            await old.DisposeAsync();
        _nodes[i - 1] = Launch(i);
        try
        {
            await Node(i).WaitReadyAsync(TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException ex)
        {
            var others = string.Join('\n', Enumerable.Range(1, 3).Where(j => j != i).Select(j => $"node {j}:\n{Tail(Node(j).Log)}"));
            throw new TimeoutException($"{ex.Message}\n{others}", ex);
        }
    }

    private static string Tail(string log) => log.Length > 6000 ? log[^6000..] : log;

    /// <summary>Waits (bounded) until every node lists n1, n2 and n3 as Up members (cluster.members).</summary>
    public async Task WaitFormedAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        for (var i = 1; i <= 3; i++)
        {
            var seen = "";
            while ((seen = await UpMembersAsync(i)) != "n1,n2,n3")
            {
                if (DateTime.UtcNow > deadline)
                {
                    var logs = string.Join('\n', Enumerable.Range(1, 3).Select(j => $"node {j}:\n{Tail(Node(j).Log)}"));
                    throw new TimeoutException($"node {i} sees Up members [{seen}], not n1,n2,n3, after {timeout.TotalSeconds} s\n{logs}");
                }
                await Task.Delay(200);
            }
        }
    }

    private async Task<string> UpMembersAsync(int i)
    {
        try
        {
            var reply = await Node(i).CallAsync("cluster.members");
            return string.Join(',', reply.GetProperty("result").GetProperty("members").EnumerateArray()
                .Where(m => m.GetProperty("status").GetString() == "up")
                .Select(m => m.GetProperty("node_id").GetString()).Order(StringComparer.Ordinal));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return "(no answer: " + ex.Message + ")";
        }
    }

    /// <summary>Table <c>r</c> on node i as key → value text; null when the node does not answer.</summary>
    public async Task<Dictionary<string, string>?> DumpAsync(int i)
    {
        try
        {
            var reply = await Node(i).CallAsync("htable.dump", Table);
            if (!reply.TryGetProperty("result", out var slots) || slots.ValueKind != JsonValueKind.Array)
                return null;
            var items = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var slot in slots.EnumerateArray())
            {
                foreach (var item in slot.GetProperty("slot").EnumerateArray())
                    items[item.GetProperty("name").GetString()!] = item.GetProperty("value").ToString();
            }
            return items;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private string FlatDir(int i) => Path.Combine(_root, "n" + i.ToString(CultureInfo.InvariantCulture));

    private NodeProcess Launch(int i)
    {
        var n = i.ToString(CultureInfo.InvariantCulture);
        var ip = "10.201.0." + n;
        string[] launcher =
        [
            "ip", "netns", "exec", "htct-n" + n, "env",
            "HTABLE_Cluster__DownAfterSeconds=10",
            "HTABLE_Replication__WriteConcern=1",
        ];
        List<string> args =
        [
            "serve", "--node-id", "n" + n, "--host", ip, "--cluster-port", "4053", "--rpc-bind", ip, "--rpc-port", "7080",
            "--table", TableDef, "--flatstore-dir", FlatDir(i),
        ];
        if (i > 1)
            args.AddRange(["--seed", "akka.tcp://htcluster@10.201.0.1:4053"]);
        return NodeProcess.Launch(launcher, ip, 7080, 4053, [.. args]);
    }
}
