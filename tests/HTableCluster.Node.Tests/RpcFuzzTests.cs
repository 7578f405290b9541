using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace HTableCluster.Node.Tests;

/// <summary>A node with one more table that no fuzzed request can name.</summary>
public sealed class FuzzNodeFixture : NodeFixture
{
    public const string Guard = "guard_untouched_table";

    protected override IReadOnlyList<string> Tables => [.. base.Tables, Guard + "=>size=4;autoexpire=0;dmqreplicate=1"];
}

/// <summary>
/// Byte-level mutations of valid requests (fixed seed): every reply is HTTP with a JSON-RPC body,
/// an empty 204 for notifications, or a 4xx; the node stays live and a table that no request names
/// keeps its content.
/// </summary>
public sealed class RpcFuzzTests(FuzzNodeFixture node) : IClassFixture<FuzzNodeFixture>
{
    private const int Requests = 4000;

    private static readonly string[] Seeds =
    [
        """{"jsonrpc":"2.0","method":"htable.sets","params":["a","fk1","value"],"id":1}""",
        """{"jsonrpc":"2.0","method":"htable.seti","params":["a","fk2",42],"id":"x"}""",
        """{"jsonrpc":"2.0","method":"htable.get","params":["a","fk1"],"id":3}""",
        """{"jsonrpc":"2.0","method":"htable.setex","params":["e","fk1",30],"id":4}""",
        """{"jsonrpc":"2.0","method":"htable.setxs","params":["e","fk3","v",30],"id":5}""",
        """{"jsonrpc":"2.0","method":"htable.delete","params":["a","fk2"],"id":6}""",
        """{"jsonrpc":"2.0","method":"htable.dump","params":["i"],"id":7}""",
        """{"jsonrpc":"2.0","method":"htable.inc","params":["i","fk4",3],"id":8}""",
        """{"jsonrpc":"2.0","method":"htable.dec","params":["i","fk4"],"id":9}""",
        """{"jsonrpc":"2.0","method":"htable.count_name","params":["a","~~^fk"],"id":10}""",
        """{"jsonrpc":"2.0","method":"htable.match_value","params":["a","re","(a+)+$"],"id":11}""",
        """{"jsonrpc":"2.0","method":"htable.rm_name_re","params":["e","^fk[0-9]"],"id":12}""",
        """{"jsonrpc":"2.0","method":"htable.rm_value","params":["a","sw","val"],"id":13}""",
        """{"jsonrpc":"2.0","method":"htable.iterate","params":["a",null,10],"id":14}""",
        """{"jsonrpc":"2.0","method":"htable.ttl","params":["e","fk3"],"id":15}""",
        """{"jsonrpc":"2.0","method":"htable.lock","params":["i","fk5",50],"id":16}""",
        """{"jsonrpc":"2.0","method":"htable.stats","id":17}""",
        """{"jsonrpc":"2.0","method":"htable.listTables","id":18}""",
        """{"jsonrpc":"2.0","method":"htable.flush","params":["e"],"id":19}""",
        """{"jsonrpc":"2.0","method":"htable.reset","params":["i"],"id":20}""",
        """{"jsonrpc":"2.0","method":"system.methodHelp","params":["htable.get"],"id":21}""",
        """{"jsonrpc":"2.0","method":"htable.sets","params":{"t":"a","k":"fk6","v":"\u00e9\ud83d\ude00"},"id":22}""",
        """{"jsonrpc":"2.0","method":"htable.sets","params":["a","fk7","v"]}""",
        """[{"jsonrpc":"2.0","method":"htable.sets","params":["a","fb1","x"],"id":1},{"jsonrpc":"2.0","method":"htable.get","params":["a","fb1"],"id":2},{"jsonrpc":"2.0","method":"htable.seti","params":["i","fb2",-7],"id":3}]""",
        """[{"jsonrpc":"2.0","method":"htable.value","params":["a","fk1"],"id":1},{"jsonrpc":"2.0","method":"htable.is_null","params":["i","zz"],"id":2}]""",
    ];

    private static readonly byte[] Interesting = "\"{}[],:\\0-9eE.+ntfu\x7f"u8.ToArray();

    [Fact]
    public async Task Mutated_requests_never_break_the_node()
    {
        for (var i = 0; i < 50; i++)
            await node.ResultAsync("htable.sets", FuzzNodeFixture.Guard, "g" + i, "guarded value " + i);
        await node.ResultAsync("htable.seti", FuzzNodeFixture.Guard, "counter", 12345);
        var before = (await node.ResultAsync("htable.dump", FuzzNodeFixture.Guard)).GetRawText();

        var random = new Random(20261204);
        var failures = new List<string>();
        for (var n = 0; n < Requests && failures.Count < 5; n++)
        {
            var body = Mutate(Encoding.UTF8.GetBytes(Seeds[random.Next(Seeds.Length)]), random);
            var (status, text) = await PostBytesAsync(body);
            if (Judge(status, text) is { } problem)
                failures.Add($"{problem}: status {status}, request {Convert.ToBase64String(body)}, reply {text[..Math.Min(text.Length, 200)]}");
            if (n % 500 == 0)
                Assert.Equal(200, (int)(await node.Http.GetAsync(new Uri(node.RpcUrl, "/health/live"))).StatusCode);
        }

        Assert.Empty(failures);
        Assert.Equal(200, (int)(await node.Http.GetAsync(new Uri(node.RpcUrl, "/health/live"))).StatusCode);
        Assert.Equal(before, (await node.ResultAsync("htable.dump", FuzzNodeFixture.Guard)).GetRawText());
        Assert.Equal("Ok. Key set to new value.", (await node.ResultAsync("htable.sets", "a", "after-fuzz", "value")).GetString());
    }

    [Theory]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"htable.flu\\x87h\",\"params\":[\"a\"],\"id\":1}", 37)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"htable.sets\",\"params\":[\"a\",\"k\\xc3\",\"v\"],\"id\":1}", 56)]
    [InlineData("\\xff\\xfe{}", 0)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"htable.get\",\"params\":[\"a\",\"\\xed\\xa0\\x80\"],\"id\":1}", 54)]
    public async Task Invalid_utf8_is_a_parse_error_naming_the_byte(string escaped, int offset)
    {
        var (status, text) = await PostBytesAsync(Unescape(escaped));
        Assert.Equal(500, status);
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.Equal(-32700, error.GetProperty("code").GetInt32());
        Assert.Equal($"Parse error: invalid UTF-8 at byte {offset}", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Lone_surrogate_escapes_are_refused_cleanly()
    {
        var (_, method) = await PostBytesAsync("""{"jsonrpc":"2.0","method":"htable.get\ud800","params":["a","k"],"id":1}"""u8.ToArray());
        Assert.Equal(-32600, JsonDocument.Parse(method).RootElement.GetProperty("error").GetProperty("code").GetInt32());
        var (_, param) = await PostBytesAsync("""{"jsonrpc":"2.0","method":"htable.sets","params":["a","k\udc00","v"],"id":1}"""u8.ToArray());
        Assert.Equal(-32602, JsonDocument.Parse(param).RootElement.GetProperty("error").GetProperty("code").GetInt32());
        // Member names with such an escape are compared while looking members up: each request
        // gets a JSON-RPC reply (an unread member is ignored; a bad "jsonrpc" is -32600).
        foreach (var body in new[]
        {
            """{"jsonrpc":"2.0","method":"htable.get","params":["a","k"],"id":1,"i\ud800":0}""",
            """{"jsonrpc":"2\ud800","method":"htable.get","params":["a","k"],"id":1}""",
            """{"j\ud800":"2.0","jsonrpc":"2.0","method":"htable.get","params":["a","k"],"id":1}""",
            """{"jsonrpc":"2.0","m\ud800thod":"x","method":"htable.get","params":["a","k"],"id":1}""",
        })
        {
            var (status, text) = await PostBytesAsync(Encoding.UTF8.GetBytes(body));
            Assert.True(Judge(status, text) is null, $"{Judge(status, text)} for {body} (HTTP {status}): {text}");
        }
        var (_, version) = await PostBytesAsync("""{"jsonrpc":"2\ud800","method":"htable.get","params":["a","k"],"id":1}"""u8.ToArray());
        Assert.Equal(-32600, JsonDocument.Parse(version).RootElement.GetProperty("error").GetProperty("code").GetInt32());
        var (_, batch) = await PostBytesAsync("""[{"jsonrpc":"2.0","m\ud800":"x","id":1},{"jsonrpc":"2.0","method":"htable.listTables","id":2}]"""u8.ToArray());
        var replies = JsonDocument.Parse(batch).RootElement.EnumerateArray().ToList();
        Assert.Equal(-32600, replies[0].GetProperty("error").GetProperty("code").GetInt32());
        Assert.True(replies[1].TryGetProperty("result", out _));
        var (_, id) = await PostBytesAsync("""{"jsonrpc":"2.0","method":"htable.get","params":["a","k"],"id":"\ud800"}"""u8.ToArray());
        var reply = JsonDocument.Parse(id).RootElement;
        Assert.Equal(-32600, reply.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(JsonValueKind.Null, reply.GetProperty("id").ValueKind);
    }

    // Null when the reply is acceptable, else what is wrong with it.
    private static string? Judge(int status, string text)
    {
        if (status is >= 400 and < 500 && status != 413)
            return null;
        if (status == 204)
            return text.Length == 0 ? null : "204 with a body";
        if (text.Length == 0)
            return "no body";
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(text).RootElement;
        }
        catch (JsonException)
        {
            return "body is not JSON";
        }
        if (root.ValueKind == JsonValueKind.Array)
        {
            foreach (var r in root.EnumerateArray())
            {
                if (IsReply(r) is { } bad)
                    return bad;
            }
            return root.GetArrayLength() == 0 ? "empty batch reply" : null;
        }
        return IsReply(root);
    }

    private static string? IsReply(JsonElement r)
    {
        if (r.ValueKind != JsonValueKind.Object || !r.TryGetProperty("jsonrpc", out var v) || v.GetString() != "2.0")
            return "not a JSON-RPC 2.0 reply";
        if (!r.TryGetProperty("id", out _))
            return "reply without id";
        if (r.TryGetProperty("error", out var e))
            return e.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number && e.TryGetProperty("message", out _) ? null : "malformed error";
        return r.TryGetProperty("result", out _) ? null : "neither result nor error";
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = new List<byte>(seed);
        var edits = 1 + random.Next(4);
        for (var e = 0; e < edits; e++)
        {
            var at = random.Next(bytes.Count + 1);
            switch (random.Next(7))
            {
                case 0 when at < bytes.Count:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 1 when at < bytes.Count:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 2 when at < bytes.Count:
                    bytes.RemoveAt(at);
                    break;
                case 3:
                    bytes.Insert(at, Interesting[random.Next(Interesting.Length)]);
                    break;
                case 4:
                    bytes.Insert(at, (byte)(0x80 + random.Next(128)));
                    break;
                case 5 when at < bytes.Count:
                    var length = Math.Min(bytes.Count - at, 1 + random.Next(12));
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
                case 6:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(8)));
                    break;
                default:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
            }
        }
        return [.. bytes];
    }

    // "\xNN" in the test data stands for one raw byte.
    private static byte[] Unescape(string escaped)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] == '\\' && i + 3 < escaped.Length && escaped[i + 1] == 'x')
            {
                bytes.Add(Convert.ToByte(escaped.Substring(i + 2, 2), 16));
                i += 3;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(escaped[i].ToString()));
            }
        }
        return [.. bytes];
    }

    private async Task<(int Status, string Text)> PostBytesAsync(byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await node.Http.PostAsync(node.RpcUrl, content);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
