using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace HTableCluster.Node.Tests;

/// <summary>A node with table t and a flatstore directory, for the rpc command's calls.</summary>
public sealed class RpcCliNode : NodeFixture, IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("htc-rpc-cli-").FullName;

    protected override IReadOnlyList<string> Tables => ["t=>size=4"];

    protected override IDictionary<string, string?> Extra => new Dictionary<string, string?>
    {
        ["Node:NodeId"] = "n1",
        ["FlatStore:Dir"] = Dir,
    };

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}

/// <summary><c>htcluster rpc</c> against a real node: every JSON type, --raw, exit codes.</summary>
public sealed class RpcCommandTests(RpcCliNode node) : IClassFixture<RpcCliNode>
{
    private string Url => node.RpcUrl.ToString();

    private async Task<(int Code, string Out, string Err)> RpcAsync(params string[] args) => await RpcRawAsync(false, args);

    private async Task<(int Code, string Out, string Err)> RpcRawAsync(bool raw, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await RpcCommand.CallAsync(Url, args[0], args[1..], raw, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("15", "15")]
    [InlineData("-3", "-3")]
    [InlineData("null", "null")]
    [InlineData("text", "\"text\"")]
    [InlineData("1.5", "\"1.5\"")]
    [InlineData("true", "\"true\"")]
    [InlineData("s:15", "\"15\"")]
    [InlineData("s:null", "\"null\"")]
    [InlineData("s:", "\"\"")]
    [InlineData("i:42", "42")]
    [InlineData("j:[1,2]", "[1,2]")]
    [InlineData("j:{\"a\":1}", "{\"a\":1}")]
    [InlineData("j:null", "null")]
    [InlineData("j:true", "true")]
    [InlineData("j:1.5", "1.5")]
    [InlineData("j:\"x\"", "\"x\"")]
    public void Arguments_are_typed(string arg, string json)
    {
        Assert.True(RpcCommand.TryParseArgument(arg, out var value, out var problem), problem);
        Assert.Equal(json, value?.ToJsonString() ?? "null");
    }

    [Theory]
    [InlineData("i:abc", "i:")]
    [InlineData("i:1.5", "i:")]
    [InlineData("j:[1", "j:")]
    [InlineData("j:", "j:")]
    [InlineData("j:1 2", "j:")]
    public void Arguments_that_do_not_parse_are_refused(string arg, string named)
    {
        Assert.False(RpcCommand.TryParseArgument(arg, out _, out var problem));
        Assert.Contains(named, problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Iterate_pages_through_a_table_with_null_and_the_returned_cursor()
    {
        for (var i = 0; i < 25; i++)
            await node.ResultAsync("htable.sets", "t", $"k{i}", "v");
        var seen = new List<string>();
        var cursor = "null";
        for (var page = 0; page < 100; page++)
        {
            var r = await RpcAsync("htable.iterate", "t", cursor, "4");
            Assert.True(r.Code == 0, r.Err);
            using var doc = JsonDocument.Parse(r.Out);
            seen.AddRange(doc.RootElement.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("name").GetString()!));
            var next = doc.RootElement.GetProperty("cursor");
            if (next.ValueKind == JsonValueKind.Null)
                break;
            // The cursor is a string of digits: s: keeps it a string.
            cursor = "s:" + next.GetString();
        }
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"k{i}").Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Insert_batch_takes_an_array_of_arrays_and_null_is_an_empty_field()
    {
        var r = await RpcAsync("flatstore.insert_batch", "batch", """j:[["a","b"],["c",null],[1]]""");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal("3", r.Out.Trim());
        var one = await RpcAsync("flatstore.insert", "single", "x", "null", "s:null", "7");
        Assert.True(one.Code == 0, one.Err);
        Assert.Equal("a|b\nc|\n1\n", await File.ReadAllTextAsync(Path.Combine(node.Dir, "batch_n1.log")));
        Assert.Equal("x||null|7\n", await File.ReadAllTextAsync(Path.Combine(node.Dir, "single_n1.log")));
    }

    [Fact]
    public async Task S_null_stores_the_word_and_an_object_reaches_the_node_as_an_object()
    {
        Assert.Equal(0, (await RpcAsync("htable.sets", "t", "word", "s:null")).Code);
        Assert.Equal("null", (await node.ResultAsync("htable.value", "t", "word")).GetString());
        // Sent as the string '{"a":1}' this would be stored; an object is refused as Kamailio refuses it.
        var obj = await RpcAsync("htable.sets", "t", "obj", """j:{"a":1}""");
        Assert.Equal(RpcCommand.ErrorReply, obj.Code);
        Assert.StartsWith("error 500: Not enough parameters", obj.Err, StringComparison.Ordinal);
        // The script twins are strictly typed and name the parameter and the type they got.
        var typed = await RpcAsync("htable.inc", "t", "n", """j:{"a":1}""");
        Assert.Equal(RpcCommand.ErrorReply, typed.Code);
        Assert.StartsWith("error -32602:", typed.Err, StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, (await node.ResultAsync("htable.value", "t", "obj")).ValueKind);
    }

    [Fact]
    public async Task Raw_prints_the_whole_reply_also_for_an_error()
    {
        await node.ResultAsync("htable.sets", "t", "r", "v");
        var ok = await RpcRawAsync(true, "htable.get", "t", "r");
        Assert.Equal(0, ok.Code);
        using (var doc = JsonDocument.Parse(ok.Out))
        {
            Assert.Equal("2.0", doc.RootElement.GetProperty("jsonrpc").GetString());
            Assert.Equal(1, doc.RootElement.GetProperty("id").GetInt32());
            Assert.Equal("v", doc.RootElement.GetProperty("result").GetProperty("item").GetProperty("value").GetString());
        }
        var failed = await RpcRawAsync(true, "htable.get", "nosuch", "r");
        Assert.Equal(RpcCommand.ErrorReply, failed.Code);
        Assert.Equal("", failed.Err);
        using (var doc = JsonDocument.Parse(failed.Out))
            Assert.Equal("No such htable", doc.RootElement.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Exit_codes_tell_an_error_reply_no_answer_and_a_bad_argument_apart()
    {
        var error = await RpcAsync("htable.get", "nosuch", "k");
        Assert.Equal(1, error.Code);
        Assert.Contains("No such htable", error.Err, StringComparison.Ordinal);

        var bad = await RpcAsync("htable.sets", "t", "k", "i:abc");
        Assert.Equal(64, bad.Code);
        Assert.Equal("htcluster rpc: argument 3 'i:abc': i: needs a 64-bit integer", bad.Err.Trim());

        // A loopback port nobody listens on.
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        using var output = new StringWriter();
        using var err = new StringWriter();
        Assert.Equal(2, await RpcCommand.CallAsync($"http://127.0.0.1:{port}/RPC", "core.version", [], false, output, err));
        Assert.Contains("htcluster rpc:", err.ToString(), StringComparison.Ordinal);

        // Something that answers, but not JSON-RPC.
        using var notRpc = new StringWriter();
        Assert.Equal(2, await RpcCommand.CallAsync(new Uri(node.RpcUrl, "/health/live").ToString(), "core.version", [], false, output, notRpc));
        Assert.Contains("not a JSON-RPC reply", notRpc.ToString(), StringComparison.Ordinal);
    }
}
