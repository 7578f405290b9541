using System.Text.Json;

namespace HTableCluster.Node.Tests.Admin;

/// <summary>
/// Debian's kamcmd against a node, over the unix socket and over TCP, replaying what it printed
/// against Kamailio 5.6's ctl module (tests/Conformance/kamailio-5.6/binrpc-kamcmd.json, recorded
/// by record_binrpc.py): every line and the exit code must match.
/// </summary>
public sealed class BinRpcKamcmdTests(BinRpcNodeFixture node) : IClassFixture<BinRpcNodeFixture>
{
    private static readonly JsonElement Recording = Recordings.Load("binrpc-kamcmd.json");

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var c in Recording.GetProperty("cases").EnumerateArray())
        {
            data.Add(c.GetProperty("name").GetString()!, "unix");
            data.Add(c.GetProperty("name").GetString()!, "tcp");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Kamcmd_prints_what_it_prints_against_Kamailio(string name, string transport)
    {
        var address = transport == "unix" ? node.UnixAddress : node.TcpAddress;
        foreach (var table in new[] { "a", "e", "i" })
            await node.ResultAsync("htable.flush", table);
        foreach (var step in Recordings.Case(Recording, name).GetProperty("steps").EnumerateArray())
        {
            var args = step.GetProperty("args").EnumerateArray().Select(a => a.GetString()!).ToArray();
            var (stdout, stderr, exit) = await BinRpcNodeFixture.KamcmdAsync(address, args);
            var expected = step.GetProperty("stdout").GetString()!.Split('\n');
            var actual = stdout.Split('\n');
            for (var i = 0; i < Math.Max(expected.Length, actual.Length); i++)
            {
                var e = i < expected.Length ? expected[i] : "<no line>";
                var a = i < actual.Length ? actual[i] : "<no line>";
                Assert.True(e == a, $"kamcmd {string.Join(' ', args)}: line {i + 1}: Kamailio printed '{e}', the node '{a}' (stderr: {stderr})");
            }
            Assert.Equal(step.GetProperty("exit").GetInt32(), exit);
        }
    }

    [Fact]
    public async Task Kamcmd_lists_and_explains_methods()
    {
        var (list, _, exit) = await BinRpcNodeFixture.KamcmdAsync(node.UnixAddress, "system.listMethods");
        Assert.Equal(0, exit);
        var methods = list.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("htable.get", methods);
        Assert.Contains("htable.iterate", methods);
        Assert.Contains("core.version", methods);
        var (version, _, _) = await BinRpcNodeFixture.KamcmdAsync(node.TcpAddress, "core.version");
        Assert.StartsWith("htcluster ", version, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Methods_of_this_project_answer_over_BINRPC_as_over_JSON_RPC()
    {
        await node.ResultAsync("htable.flush", "i");
        var (inc, _, _) = await BinRpcNodeFixture.KamcmdAsync(node.UnixAddress, "htable.inc", "i", "c", "5");
        Assert.Equal("12\n", inc); // initval 7 + 5
        Assert.Equal(12, (await node.ResultAsync("htable.get", "i", "c")).GetProperty("item").GetProperty("value").GetInt64());
        var (error, _, _) = await BinRpcNodeFixture.KamcmdAsync(node.UnixAddress, "htable.inc", "i", "c", "s:x");
        var json = await node.ErrorAsync("htable.inc", "i", "c", "x");
        Assert.Equal($"error: {json.Code} - {json.Message}\n", error);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void The_unix_socket_has_mode_0600()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(node.SocketPath));
    }
}
