using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace HTableCluster.Node.Tests.Admin;

/// <summary>
/// Debian's kamcli 2.0.0 against the node's JSON-RPC unix datagram socket, line by line against what
/// it printed over Kamailio 5.6's jsonrpcs <c>dgram_socket</c> (jsonrpc-kamcli.json, recorded by
/// tests/Conformance/record_kamcli.py, raw and yaml output); and kamcli's request over TCP (kamcli
/// 2.0.0 has no TCP transport, Kamailio 5.6 no tcp_socket), whose reply must be the document of the
/// datagram recording. Only the id differs: kamcli picks it at random.
/// </summary>
public sealed partial class JsonRpcKamcliTests(JsonRpcSocketNodeFixture node) : IClassFixture<JsonRpcSocketNodeFixture>
{
    private static readonly JsonElement Recording = Recordings.Load("jsonrpc-kamcli.json");

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var c in Recording.GetProperty("cases").EnumerateArray())
            data.Add(c.GetProperty("name").GetString()!, c.GetProperty("format").GetString()!);
        return data;
    }

    public static TheoryData<string> RawCases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Recording.GetProperty("cases").EnumerateArray().Where(c => c.GetProperty("format").GetString() == "raw"))
            data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    // kamcli's random id: "\t"id":\t1234" in srjson's text (raw shows it escaped), "id: 1234" in yaml.
    [GeneratedRegex(@"(\\t""id"":\\t|\t""id"":\t|^id: )[0-9]+", RegexOptions.Multiline)]
    private static partial Regex Id();

    private static JsonElement Case(string name, string format) =>
        Recording.GetProperty("cases").EnumerateArray().First(c => c.GetProperty("name").GetString() == name && c.GetProperty("format").GetString() == format);

    private async Task FlushAsync()
    {
        foreach (var table in new[] { "a", "e", "i" })
            await node.ResultAsync("htable.flush", table);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Kamcli_prints_what_it_prints_against_Kamailio(string name, string format)
    {
        await FlushAsync();
        foreach (var step in Case(name, format).GetProperty("steps").EnumerateArray())
        {
            var args = step.GetProperty("args").EnumerateArray().Select(a => a.GetString()!).ToArray();
            var (stdout, stderr, exit) = await node.KamcliAsync(node.SocketPath, format, args);
            var expected = Id().Replace(step.GetProperty("stdout").GetString()!, "${1}ID").Split('\n');
            var actual = Id().Replace(stdout, "${1}ID").Split('\n');
            for (var i = 0; i < Math.Max(expected.Length, actual.Length); i++)
            {
                var e = i < expected.Length ? expected[i] : "<no line>";
                var a = i < actual.Length ? actual[i] : "<no line>";
                Assert.True(e == a, $"kamcli {string.Join(' ', args)} ({format}): line {i + 1}: Kamailio printed '{e}', the node '{a}' (stderr: {stderr})");
            }
            Assert.Equal(step.GetProperty("stderr").GetString(), stderr);
            Assert.Equal(step.GetProperty("exit").GetInt32(), exit);
        }
    }

    [Theory]
    [MemberData(nameof(RawCases))]
    public async Task Over_tcp_kamclis_request_gets_the_document_Kamailio_sent_over_the_datagram_socket(string name)
    {
        await FlushAsync();
        foreach (var step in Case(name, "raw").GetProperty("steps").EnumerateArray())
        {
            var args = step.GetProperty("args").EnumerateArray().Select(a => a.GetString()!).ToArray();
            var request = JsonRpcSocketNodeFixture.KamcliRequest(args[1], args[2..]);
            var reply = await node.TcpCallAsync(Encoding.UTF8.GetBytes(request));
            Assert.NotNull(reply);
            var expected = Id().Replace(PythonBytes(step.GetProperty("stdout").GetString()!), "${1}ID");
            Assert.Equal(expected, Id().Replace(Encoding.UTF8.GetString(reply), "${1}ID"));
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void The_unix_socket_has_the_configured_mode()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(node.SocketPath));
    }

    [Fact]
    public async Task A_dump_larger_than_one_datagram_is_an_error_there_and_whole_over_tcp()
    {
        await FlushAsync();
        var value = new string('v', 200);
        for (var i = 0; i < 400; i++)
            await node.ResultAsync("htable.sets", "a", "big" + i.ToString(CultureInfo.InvariantCulture), value);
        try
        {
            var (stdout, stderr, exit) = await node.KamcliAsync(node.SocketPath, "json", "rpc", "htable.dump", "a");
            Assert.Equal(0, exit);
            using (var error = JsonDocument.Parse(stdout))
            {
                Assert.Equal(500, error.RootElement.GetProperty("error").GetProperty("code").GetInt32());
                Assert.StartsWith("Reply too large for one datagram (", error.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
                Assert.False(error.RootElement.TryGetProperty("result", out _), stderr);
            }

            var reply = await node.TcpCallAsync(Encoding.UTF8.GetBytes(JsonRpcSocketNodeFixture.KamcliRequest("htable.dump", ["a"])));
            Assert.NotNull(reply);
            Assert.True(reply.Length > 65456, $"the dump is {reply.Length} bytes; the test needs more than one datagram");
            using var dump = JsonDocument.Parse(reply);
            var items = dump.RootElement.GetProperty("result").EnumerateArray().Sum(slot => slot.GetProperty("slot").GetArrayLength());
            Assert.Equal(400, items);
        }
        finally
        {
            await node.ResultAsync("htable.flush", "a");
        }
    }

    // kamcli prints the raw reply as Python prints bytes: "\n" + b'...' + "\n". Back to the bytes' text.
    private static string PythonBytes(string printed)
    {
        var literal = printed.Trim('\n');
        Assert.StartsWith("b'", literal, StringComparison.Ordinal);
        var text = new StringBuilder();
        for (var i = 2; i < literal.Length - 1; i++)
        {
            if (literal[i] != '\\')
            {
                text.Append(literal[i]);
                continue;
            }
            var c = literal[++i];
            switch (c)
            {
                case 'n': text.Append('\n'); break;
                case 't': text.Append('\t'); break;
                case 'r': text.Append('\r'); break;
                case 'x': text.Append((char)int.Parse(literal.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)); i += 2; break;
                default: text.Append(c); break;
            }
        }
        return text.ToString();
    }
}
