using System.Text.Json;

namespace HTableCluster.Node.Tests;

/// <summary>JSON-RPC 2.0 framing where this project follows the spec instead of Kamailio's transport.</summary>
public sealed class ProtocolTests(NodeFixture node) : IClassFixture<NodeFixture>
{
    private static int Code(JsonElement? reply) => reply!.Value.GetProperty("error").GetProperty("code").GetInt32();

    [Theory]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":")]
    [InlineData("not json")]
    [InlineData("")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"htable.get\"} trailing")]
    public async Task Malformed_json_is_a_parse_error(string body)
    {
        var (status, reply) = await node.PostAsync(body);
        Assert.Equal(500, status);
        Assert.Equal(-32700, Code(reply));
        Assert.Equal(JsonValueKind.Null, reply!.Value.GetProperty("id").ValueKind);
    }

    [Theory]
    [InlineData("{\"jsonrpc\":\"1.0\",\"method\":\"htable.listTables\",\"id\":1}")]
    [InlineData("{\"method\":\"htable.listTables\",\"id\":1}")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1}")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":5,\"id\":1}")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"htable.dump\",\"params\":\"a\",\"id\":1}")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"htable.dump\",\"params\":null,\"id\":1}")]
    [InlineData("[]")]
    [InlineData("42")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"htable.dump\",\"id\":{\"x\":1}}")]
    public async Task Invalid_requests_get_minus_32600(string body)
    {
        var (_, reply) = await node.PostAsync(body);
        Assert.Equal(-32600, Code(reply));
    }

    [Fact]
    public async Task Unknown_method_answers_as_kamailio()
    {
        var (status, reply) = await node.PostAsync("{\"jsonrpc\":\"2.0\",\"method\":\"htable.nope\",\"id\":\"x\"}");
        Assert.Equal(500, status);
        Assert.Equal("Method Not Found", reply!.Value.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("x", reply.Value.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Notification_runs_without_a_reply()
    {
        var (status, reply) = await node.PostAsync("{\"jsonrpc\":\"2.0\",\"method\":\"htable.sets\",\"params\":[\"a\",\"note\",\"x\"]}");
        Assert.Equal(204, status);
        Assert.Null(reply);
        Assert.Equal("x", (await node.ResultAsync("htable.value", "a", "note")).GetString());
    }

    [Fact]
    public async Task Batch_replies_in_order_and_reads_see_earlier_writes()
    {
        var (status, reply) = await node.PostAsync("""
            [{"jsonrpc":"2.0","method":"htable.seti","params":["a","b1",1],"id":1},
             {"jsonrpc":"2.0","method":"htable.get","params":["a","b1"],"id":2},
             {"jsonrpc":"2.0","method":"htable.seti","params":["a","b1",2]},
             {"jsonrpc":"2.0","method":"htable.inc","params":["a","b1"],"id":"four"},
             {"jsonrpc":"2.0","method":"htable.get","params":["a","b1"],"id":null},
             {"jsonrpc":"1.0","method":"htable.get","id":6},
             17]
            """);
        Assert.Equal(200, status);
        var r = reply!.Value.EnumerateArray().ToList();
        Assert.Equal(6, r.Count);
        Assert.Equal(1, r[0].GetProperty("id").GetInt32());
        Assert.Equal(1, r[1].GetProperty("result").GetProperty("item").GetProperty("value").GetInt32());
        Assert.Equal(3, r[2].GetProperty("result").GetInt32());
        Assert.Equal("four", r[2].GetProperty("id").GetString());
        Assert.Equal(3, r[3].GetProperty("result").GetProperty("item").GetProperty("value").GetInt32());
        Assert.Equal(JsonValueKind.Null, r[3].GetProperty("id").ValueKind);
        Assert.Equal(-32600, r[4].GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(-32600, r[5].GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Batch_of_writes_over_many_partitions_is_applied()
    {
        var calls = Enumerable.Range(0, 500).Select(n => $$"""{"jsonrpc":"2.0","method":"htable.sets","params":["a","bk{{n}}","v{{n}}"],"id":{{n}}}""");
        var (status, reply) = await node.PostAsync("[" + string.Join(',', calls) + "]");
        Assert.Equal(200, status);
        Assert.All(reply!.Value.EnumerateArray(), r => Assert.Equal("Ok. Key set to new value.", r.GetProperty("result").GetString()));
        Assert.Equal(500, (await node.ResultAsync("htable.count_name", "a", "%~bk")).GetInt32());
    }

    [Fact]
    public async Task Batch_above_the_limit_is_refused()
    {
        var calls = Enumerable.Range(0, 1001).Select(n => $$"""{"jsonrpc":"2.0","method":"htable.listTables","id":{{n}}}""");
        var (_, reply) = await node.PostAsync("[" + string.Join(',', calls) + "]");
        Assert.Equal(-32600, Code(reply));
        Assert.Contains("Rpc:MaxBatch", reply!.Value.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deeply_nested_json_is_refused()
    {
        var body = "{\"jsonrpc\":\"2.0\",\"method\":\"htable.get\",\"params\":" + new string('[', 200) + new string(']', 200) + ",\"id\":1}";
        var (_, reply) = await node.PostAsync(body);
        Assert.Equal(-32700, Code(reply));
    }

    [Fact]
    public async Task System_methods()
    {
        var methods = await node.ResultAsync("system.listMethods");
        Assert.Contains("htable.inc", methods.EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("Get one key from a hash table.", (await node.ResultAsync("system.methodHelp", "htable.get")).GetString());
        Assert.Equal(400, (await node.ErrorAsync("system.methodHelp", "nope")).Code);
    }

    [Fact]
    public async Task Batch_read_after_reset_or_rm_sees_it()
    {
        await node.ResultAsync("htable.sets", "a", "rk", "v");
        await node.ResultAsync("htable.sets", "a", "rk2", "v");
        for (var round = 0; round < 20; round++)
        {
            var (_, reply) = await node.PostAsync("""
                [{"jsonrpc":"2.0","method":"htable.sets","params":["a","rk","v"],"id":1},
                 {"jsonrpc":"2.0","method":"htable.reset","params":["a"],"id":2},
                 {"jsonrpc":"2.0","method":"htable.value","params":["a","rk"],"id":3},
                 {"jsonrpc":"2.0","method":"htable.sets","params":["a","rk2","w"],"id":4},
                 {"jsonrpc":"2.0","method":"htable.rm_name","params":["a","sw","rk"],"id":5},
                 {"jsonrpc":"2.0","method":"htable.value","params":["a","rk2"],"id":6}]
                """);
            var r = reply!.Value.EnumerateArray().ToList();
            Assert.Equal(JsonValueKind.Null, r[2].GetProperty("result").ValueKind);
            Assert.Equal(JsonValueKind.Null, r[5].GetProperty("result").ValueKind);
        }
    }

    [Fact]
    public async Task Oversized_body_is_refused_with_a_json_rpc_error()
    {
        var body = "{\"jsonrpc\":\"2.0\",\"method\":\"htable.sets\",\"params\":[\"a\",\"k\",\"" + new string('v', 1_100_000) + "\"],\"id\":1}";
        var (status, reply) = await node.PostAsync(body);
        Assert.Equal(413, status);
        Assert.Equal(-32600, Code(reply));
        Assert.Contains("Rpc:MaxBodyBytes", reply!.Value.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
