using System.Text;
using System.Text.Json;

namespace HTableCluster.Node.Tests;

/// <summary>
/// Behaviour of the script twins, the deliberate differences from Kamailio 5.6, and bad input.
/// Expected counts come from tests/Conformance/kamailio-5.6/htable-script.json where Kamailio has the
/// same operator.
/// </summary>
public sealed class RpcBehaviourTests(NodeFixture node) : IClassFixture<NodeFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        foreach (var t in new[] { "a", "e", "i" })
            await node.ResultAsync("htable.flush", t);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task SeedNamesAsync()
    {
        foreach (var (k, v) in new[] { ("alice", "one"), ("alina", "two"), ("bob", "three"), ("ALBERT", "Four"), ("x.y", "5"), ("carol", "xone") })
            await node.ResultAsync("htable.sets", "a", k, v);
        await node.ResultAsync("htable.seti", "a", "n1", 5);
        await node.ResultAsync("htable.seti", "a", "n2", -3);
    }

    private async Task SeedUsersAsync()
    {
        foreach (var (k, v) in new[] { ("user:1", "alice"), ("user:2", "bob"), ("user:3", "Alice"), ("sess:1", "x-alice"), ("USER:4", "carol") })
            await node.ResultAsync("htable.sets", "a", k, v);
        await node.ResultAsync("htable.seti", "a", "num", 10);
    }

    private async Task<List<string>> NamesAsync(string table)
    {
        var dump = await node.ResultAsync("htable.dump", table);
        return dump.EnumerateArray().SelectMany(s => s.GetProperty("slot").EnumerateArray()).Select(i => i.GetProperty("name").GetString()!).Order(StringComparer.Ordinal).ToList();
    }

    [Fact]
    public async Task Seti_keeps_64_bit_values()
    {
        await node.ResultAsync("htable.seti", "a", "big", 9999999999L);
        var item = (await node.ResultAsync("htable.get", "a", "big")).GetProperty("item");
        Assert.Equal(9999999999L, item.GetProperty("value").GetInt64());
        var (code, message) = await node.ErrorAsync("htable.seti", "a", "huge", 1e20);
        Assert.Equal(500, code);
        Assert.Contains("64-bit", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explicit_expiry_works_on_a_table_without_autoexpire()
    {
        await node.ResultAsync("htable.sets", "a", "k", "v");
        Assert.Equal("Ok", (await node.ResultAsync("htable.setex", "a", "k", 10)).GetString());
        Assert.NotEqual("NEVER", (await node.ResultAsync("htable.get", "a", "k")).GetProperty("item").GetProperty("expire").GetString());
        await node.ResultAsync("htable.setxs", "a", "k2", "v2", 2);
        node.Time.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal("Key name doesn't exist in htable.", (await node.ErrorAsync("htable.get", "a", "k")).Message);
        Assert.Equal("Key name doesn't exist in htable.", (await node.ErrorAsync("htable.get", "a", "k2")).Message);
    }

    [Fact]
    public async Task Values_keep_embedded_nul()
    {
        await node.ResultAsync("htable.sets", "a", "nul", "ab\0cd");
        Assert.Equal("ab\0cd", (await node.ResultAsync("htable.get", "a", "nul")).GetProperty("item").GetProperty("value").GetString());
    }

    [Theory]
    [InlineData("htable.count_name", "~~^al", 3)]
    [InlineData("htable.count_value", "~~^al", 0)]
    [InlineData("htable.count_name", "^al", 3)]
    [InlineData("htable.count_name", "%~al", 2)]
    [InlineData("htable.count_name", "%~AL", 1)]
    [InlineData("htable.count_name", "==bob", 1)]
    [InlineData("htable.count_name", "==Bob", 0)]
    [InlineData("htable.count_name", "~%ce", 1)]
    [InlineData("htable.count_name", "eq5", 0)]
    [InlineData("htable.count_name", "**", 8)]
    [InlineData("htable.count_value", "~~one$", 2)]
    [InlineData("htable.count_value", "==one", 1)]
    [InlineData("htable.count_value", "%~x", 1)]
    [InlineData("htable.count_value", "~%ne", 2)]
    [InlineData("htable.count_value", "eq5", 1)]
    [InlineData("htable.count_value", "eq-3", 1)]
    [InlineData("htable.count_value", "eq0", 0)]
    [InlineData("htable.count_value", "~~^[0-9]+$", 1)]
    public async Task Count_operators_as_shtcn_and_shtcv(string method, string expression, int expected)
    {
        await SeedNamesAsync();
        Assert.Equal(expected, (await node.ResultAsync(method, "a", expression)).GetInt32());
    }

    [Fact]
    public async Task Count_skips_expired_items()
    {
        await node.ResultAsync("htable.sets", "e", "gone", "x");
        node.Time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(0, (await node.ResultAsync("htable.count_name", "e", "**")).GetInt32());
    }

    [Fact]
    public async Task Rm_name_starts_with_is_case_sensitive()
    {
        await SeedUsersAsync();
        Assert.Equal(3, (await node.ResultAsync("htable.rm_name", "a", "sw", "user")).GetInt32());
        Assert.Equal(["USER:4", "num", "sess:1"], await NamesAsync("a"));
    }

    [Fact]
    public async Task Rm_value_regex_ignores_integer_items_and_case()
    {
        await SeedUsersAsync();
        Assert.Equal(3, (await node.ResultAsync("htable.rm_value", "a", "re", "^ALI|^x")).GetInt32());
        Assert.Equal(["USER:4", "num", "user:2"], await NamesAsync("a"));
        Assert.Equal(0, (await node.ResultAsync("htable.rm_value_re", "a", "1")).GetInt32());
    }

    [Fact]
    public async Task Rm_name_ends_with_contains_and_regex()
    {
        await SeedUsersAsync();
        Assert.Equal(2, (await node.ResultAsync("htable.rm_name", "a", "ew", ":1")).GetInt32());
        Assert.Equal(1, (await node.ResultAsync("htable.rm_name", "a", "in", "um")).GetInt32());
        Assert.Equal(3, (await node.ResultAsync("htable.rm_name_re", "a", "^user")).GetInt32());
        Assert.Empty(await NamesAsync("a"));
    }

    [Theory]
    [InlineData("htable.match_name", "eq", "user:1", true)]
    [InlineData("htable.match_name", "eq", "USER:1", false)]
    [InlineData("htable.match_name", "ne", "user:1", true)]
    [InlineData("htable.match_name", "re", "^SESS", true)]
    [InlineData("htable.match_name", "re", "^zz", false)]
    [InlineData("htable.match_name", "sw", "user", true)]
    [InlineData("htable.match_name", "ew", ":4", true)]
    [InlineData("htable.match_name", "in", "zz", false)]
    [InlineData("htable.match_value", "eq", "bob", true)]
    [InlineData("htable.match_value", "sw", "10", false)]
    [InlineData("htable.match_value", "re", "^x-", true)]
    public async Task Match_operators(string method, string op, string value, bool expected)
    {
        await SeedUsersAsync();
        Assert.Equal(expected, (await node.ResultAsync(method, "a", op, value)).GetBoolean());
    }

    [Fact]
    public async Task Inc_and_dec_return_the_new_value()
    {
        Assert.Equal(1, (await node.ResultAsync("htable.inc", "a", "c")).GetInt64());
        Assert.Equal(11, (await node.ResultAsync("htable.inc", "a", "c", 10)).GetInt64());
        Assert.Equal(8, (await node.ResultAsync("htable.dec", "a", "c", 3)).GetInt64());
        Assert.Equal(8, (await node.ResultAsync("htable.inc", "i", "fresh")).GetInt64());
        Assert.Equal(6, (await node.ResultAsync("htable.dec", "i", "other")).GetInt64());
    }

    [Fact]
    public async Task Inc_refuses_strings_overflow_and_wrong_types()
    {
        await node.ResultAsync("htable.sets", "a", "s", "5");
        Assert.Contains("string", (await node.ErrorAsync("htable.inc", "a", "s")).Message, StringComparison.Ordinal);
        await node.ResultAsync("htable.seti", "a", "max", long.MaxValue);
        Assert.Contains("64-bit", (await node.ErrorAsync("htable.inc", "a", "max")).Message, StringComparison.Ordinal);
        Assert.Equal(long.MaxValue, (await node.ResultAsync("htable.value", "a", "max")).GetInt64());
        var (code, message) = await node.ErrorAsync("htable.inc", "a", "c", "5");
        Assert.Equal(-32602, code);
        Assert.Contains("delta", message, StringComparison.Ordinal);
        Assert.Equal(-32602, (await node.ErrorAsync("htable.inc", "a", 5)).Code);
        Assert.Equal(-32602, (await node.ErrorAsync("htable.dec", "a", "c", 1.5)).Code);
    }

    [Fact]
    public async Task Value_ttl_and_is_null()
    {
        Assert.Equal(JsonValueKind.Null, (await node.ResultAsync("htable.value", "a", "none")).ValueKind);
        Assert.Equal(7, (await node.ResultAsync("htable.value", "i", "none")).GetInt64());
        Assert.True((await node.ResultAsync("htable.is_null", "a", "none")).GetBoolean());
        Assert.False((await node.ResultAsync("htable.is_null", "i", "none")).GetBoolean());
        await node.ResultAsync("htable.sets", "e", "k", "v");
        await node.ResultAsync("htable.sets", "a", "k", "v");
        Assert.Equal(5, (await node.ResultAsync("htable.ttl", "e", "k")).GetInt64());
        Assert.Equal(0, (await node.ResultAsync("htable.ttl", "a", "k")).GetInt64());
        Assert.Equal(JsonValueKind.Null, (await node.ResultAsync("htable.ttl", "a", "none")).ValueKind);
        Assert.Equal("v", (await node.ResultAsync("htable.value", "a", "k")).GetString());
    }

    [Fact]
    public async Task Iterate_pages_every_item_once()
    {
        var batch = string.Join(',', Enumerable.Range(0, 250).Select(n => $$"""{"jsonrpc":"2.0","method":"htable.seti","params":["a","k{{n}}",{{n}}],"id":{{n}}}"""));
        await node.PostAsync("[" + batch + "]");
        var seen = new List<string>();
        string? cursor = null;
        for (var page = 0; page < 10; page++)
        {
            var r = await node.ResultAsync("htable.iterate", "a", cursor, 100);
            seen.AddRange(r.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()!));
            cursor = r.GetProperty("cursor").ValueKind == JsonValueKind.Null ? null : r.GetProperty("cursor").GetString();
            if (cursor is null)
                break;
        }
        Assert.Null(cursor);
        Assert.Equal(250, seen.Count);
        Assert.Equal(250, seen.Distinct().Count());
        Assert.Equal(-32602, (await node.ErrorAsync("htable.iterate", "a", "not-a-cursor")).Code);
        Assert.Equal(-32602, (await node.ErrorAsync("htable.iterate", "a", "18446744073709551615")).Code);
        Assert.Equal(-32602, (await node.ErrorAsync("htable.iterate", "a", null, 0)).Code);
    }

    [Fact]
    public async Task Lease_lock_excludes_other_lockers_until_released()
    {
        var token = (await node.ResultAsync("htable.lock", "a", "k", 60_000)).GetString()!;
        Assert.Equal(409, (await node.ErrorAsync("htable.lock", "a", "k", 60_000, 0)).Code);
        Assert.Equal(409, (await node.ErrorAsync("htable.unlock", "a", "k", "wrong")).Code);
        Assert.True((await node.ResultAsync("htable.unlock", "a", "k", token)).GetBoolean());
        var again = (await node.ResultAsync("htable.lock", "a", "k", 1)).GetString()!;
        Assert.NotEqual(token, again);
        await Task.Delay(20);
        // An expired lease is taken over.
        Assert.NotNull((await node.ResultAsync("htable.lock", "a", "k", 1000)).GetString());
    }

    [Fact]
    public async Task Rm_reset_print()
    {
        await node.ResultAsync("htable.sets", "a", "k", "v");
        await node.ResultAsync("htable.sets", "a", "k2", "v");
        Assert.True((await node.ResultAsync("htable.rm", "a", "k")).GetBoolean());
        Assert.False((await node.ResultAsync("htable.rm", "a", "k")).GetBoolean());
        Assert.Equal("Ok", (await node.ResultAsync("htable.print")).GetString());
        Assert.Equal(1, (await node.ResultAsync("htable.reset", "a")).GetInt32());
        Assert.Equal(500, (await node.ErrorAsync("htable.reset", "nosuch")).Code);
    }

    [Fact]
    public async Task Oversized_keys_and_values_are_refused_and_nothing_changes()
    {
        var longKey = new string('k', 1025);
        var (code, message) = await node.ErrorAsync("htable.sets", "a", longKey, "v");
        Assert.Equal(-32602, code);
        Assert.Contains("Rpc:MaxKeyBytes", message, StringComparison.Ordinal);
        Assert.Contains("Rpc:MaxValueBytes", (await node.ErrorAsync("htable.sets", "a", "k", new string('v', 70_000))).Message, StringComparison.Ordinal);
        Assert.Equal(-32602, (await node.ErrorAsync("htable.inc", "a", longKey)).Code);
        Assert.Empty(await NamesAsync("a"));
    }

    [Fact]
    public async Task Oversized_body_gets_413_and_the_node_keeps_serving()
    {
        var body = "{\"jsonrpc\":\"2.0\",\"method\":\"htable.sets\",\"params\":[\"a\",\"k\",\"" + new string('v', 1_100_000) + "\"],\"id\":1}";
        var (status, _) = await node.PostAsync(body);
        Assert.Equal(413, status);
        await node.ResultAsync("htable.sets", "a", "after", "ok");
    }

    [Fact]
    public async Task Hostile_and_invalid_regular_expressions()
    {
        await node.ResultAsync("htable.sets", "a", new string('a', 1000) + "!", "v");
        Assert.Equal(0, (await node.ResultAsync("htable.rm_name_re", "a", "^(a+)+$")).GetInt32());
        Assert.Equal(0, (await node.ResultAsync("htable.count_name", "a", "~~(a|aa)+$")).GetInt32());
        var (code, message) = await node.ErrorAsync("htable.rm_name_re", "a", "[");
        Assert.Equal(-32602, code);
        Assert.Contains("regular expression", message, StringComparison.Ordinal);
        Assert.Equal(-32602, (await node.ErrorAsync("htable.rm_name", "a", "zz", "x")).Code);
        Assert.Single(await NamesAsync("a"));
    }

    [Fact]
    public async Task Strict_methods_name_the_bad_parameter()
    {
        var (code, message) = await node.ErrorAsync("htable.count_name", "a", 5);
        Assert.Equal(-32602, code);
        Assert.Equal("parameter 2 (expression) must be a string, got a number", message);
        Assert.Equal("missing parameter 2 (key)", (await node.ErrorAsync("htable.value", "a")).Message);
        Assert.Equal("No such htable", (await node.ErrorAsync("htable.value", "zz", "k")).Message);
    }

    [Fact]
    public async Task Unicode_keys_hash_on_utf8_bytes()
    {
        await node.ResultAsync("htable.sets", "a", "clé-ünï", "välue");
        var item = (await node.ResultAsync("htable.get", "a", "clé-ünï")).GetProperty("item");
        Assert.Equal("välue", item.GetProperty("value").GetString());
        var slot = (await node.ResultAsync("htable.dump", "a"))[0].GetProperty("entry").GetInt32();
        Assert.Equal((int)(Storage.KamailioHash.Compute(Encoding.UTF8.GetBytes("clé-ünï")) & 255), slot);
    }
}
