using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using HTableCluster.Node.Admin;

namespace HTableCluster.Node.Tests.Admin;

/// <summary>
/// kamctl rpc over the node's JSON-RPC FIFO, line by line against what it printed over Kamailio
/// 5.6's jsonrpcs FIFO (kamctl_cases of binrpc-kamcmd.json; the "id" line is kamctl's pid); and the
/// FIFO's refusals: a reply name that leaves the reply directory, a reply path that is missing, not a
/// FIFO or a symbolic link, an oversized or malformed request. The node keeps serving throughout.
/// </summary>
public sealed partial class JsonRpcFifoTests(BinRpcNodeFixture node) : IClassFixture<BinRpcNodeFixture>
{
    private static readonly JsonElement Recording = Recordings.Load("binrpc-kamcmd.json");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Recording.GetProperty("kamctl_cases").EnumerateArray())
            data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    [GeneratedRegex("^  \"id\": [0-9]+$")]
    private static partial Regex IdLine();

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Kamctl_rpc_prints_what_it_prints_against_Kamailio(string name)
    {
        foreach (var table in new[] { "a", "e", "i" })
            await node.ResultAsync("htable.flush", table);
        var recorded = Recording.GetProperty("kamctl_cases").EnumerateArray().First(c => c.GetProperty("name").GetString() == name);
        foreach (var step in recorded.GetProperty("steps").EnumerateArray())
        {
            var args = step.GetProperty("args").EnumerateArray().Select(a => a.GetString()!).ToArray();
            var (stdout, stderr, exit) = await node.KamctlAsync(args);
            var expected = step.GetProperty("stdout").GetString()!.Split('\n');
            var actual = stdout.Split('\n');
            for (var i = 0; i < Math.Max(expected.Length, actual.Length); i++)
            {
                var e = i < expected.Length ? expected[i] : "<no line>";
                var a = i < actual.Length ? actual[i] : "<no line>";
                if (IdLine().IsMatch(e) && IdLine().IsMatch(a))
                    continue;
                Assert.True(e == a, $"kamctl rpc {string.Join(' ', args)}: line {i + 1}: Kamailio printed '{e}', the node '{a}' (stderr: {stderr})");
            }
            Assert.Equal(step.GetProperty("exit").GetInt32(), exit);
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Bad_requests_and_reply_paths_are_dropped_and_the_node_keeps_serving()
    {
        Assert.True(UnixFifo.IsFifo(node.FifoPath));
        var unique = Guid.NewGuid().ToString("N");
        var regular = Path.Combine("/tmp", "htc_regular_" + unique);
        var link = Path.Combine("/tmp", "htc_link_" + unique);
        await File.WriteAllTextAsync(regular, "");
        File.CreateSymbolicLink(link, regular);
        try
        {
            var requests = new StringBuilder();
            string Call(string replyName, string key) =>
                $$"""{"jsonrpc": "2.0", "method": "htable.sets", "params": ["a", "{{key}}", "v"], "reply_name": "{{replyName}}", "id": 1}""" + "\n";
            requests.Append(Call("../etc/htc_escape", "dots"));
            requests.Append(Call("sub/dir", "slash"));
            requests.Append(Call("htc_missing_" + unique, "missing"));
            requests.Append(Call(Path.GetFileName(regular), "regular"));
            requests.Append(Call(Path.GetFileName(link), "link"));
            requests.Append("{\"jsonrpc\": \"2.0\", \"method\": \"htable.sets\", \"params\": [\"a\", \"big\", \"" + new string('x', 9000) + "\"], \"reply_name\": \"x\", \"id\": 2}\n");
            requests.Append("{ this is not json }\n{\"jsonrpc\": \"2.0\", \"method\": \"htable.get\", \"params\": [\"a\", \"k\"], \"id\": 3}\n");
            await File.AppendAllTextAsync(node.FifoPath, requests.ToString());

            // The FIFO answers requests in order: once kamctl's call is answered, all of the above were handled.
            var (stdout, _, exit) = await node.KamctlAsync("htable.sets", "a", "after", "ok");
            Assert.Equal(0, exit);
            Assert.Contains("Ok. Key set to new value.", stdout, StringComparison.Ordinal);
            Assert.Equal("", await File.ReadAllTextAsync(regular));
            Assert.False(File.Exists("/etc/htc_escape"));
            // Every request with a bad reply path still ran (as in jsonrpcs); only its reply was dropped.
            foreach (var key in new[] { "dots", "slash", "missing", "regular", "link" })
                await node.ResultAsync("htable.get", "a", key);
            // The oversized one was skipped whole.
            Assert.Equal(500, (await node.ErrorAsync("htable.get", "a", "big")).Code);
        }
        finally
        {
            File.Delete(link);
            File.Delete(regular);
        }
    }
}
