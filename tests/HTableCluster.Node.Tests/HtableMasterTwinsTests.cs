namespace HTableCluster.Node.Tests;

/// <summary>
/// What Kamailio master's htable documentation (src/modules/htable/doc/htable_admin.xml) lists
/// beyond 5.6's: every script function has an RPC twin here, and master's new RPC commands exist.
/// </summary>
public sealed class HtableMasterTwinsTests
{
    // Script function (master's doc) => the RPC method that does the same from outside.
    private static readonly (string Function, string Method)[] Twins =
    [
        ("sht_print", "htable.print"),
        ("sht_rm", "htable.rm"),
        ("sht_rm_name_re", "htable.rm_name_re"),
        ("sht_rm_value_re", "htable.rm_value_re"),
        ("sht_rm_name", "htable.rm_name"),
        ("sht_rm_value", "htable.rm_value"),
        ("sht_match_name", "htable.match_name"),
        ("sht_has_name", "htable.match_name"),
        ("sht_match_str_value", "htable.match_value"),
        ("sht_has_str_value", "htable.match_value"),
        ("sht_lock", "htable.lock"),
        ("sht_unlock", "htable.unlock"),
        ("sht_reset", "htable.reset"),
        ("sht_iterator_start", "htable.iterate"),
        ("sht_setxs", "htable.setxs"),
        ("sht_setxi", "htable.setxi"),
        // New in master's documentation:
        ("sht_is_null", "htable.is_null"),
        ("sht_inc", "htable.inc"),
        ("sht_dec", "htable.dec"),
        // Master's new RPC commands are their own twins.
        ("htable.dmqsync", "htable.dmqsync"),
        ("htable.dmqresync", "htable.dmqresync"),
    ];

    [Fact]
    public async Task Every_function_of_master_has_an_rpc_twin()
    {
        await using var node = await ClusterNode.StartAsync("twins-all", ["a=>size=4"]);
        var methods = (await node.ResultAsync("system.listMethods")).EnumerateArray().Select(m => m.GetString()).ToHashSet();
        var missing = Twins.Where(t => !methods.Contains(t.Method)).Select(t => t.Function).ToList();
        Assert.True(missing.Count == 0, "no RPC twin for " + string.Join(", ", missing));
    }

    [Fact]
    public async Task Sht_is_null_sht_inc_and_sht_dec_as_master_documents_them()
    {
        await using var node = await ClusterNode.StartAsync("twins-new", ["a=>size=4", "i=>size=4;initval=7"]);
        // sht_is_null: 1 when the item is missing, -1 when it exists, -2 when the table has a default value.
        Assert.True((await node.ResultAsync("htable.is_null", "a", "k")).GetBoolean());
        await node.ResultAsync("htable.seti", "a", "k", 5);
        Assert.False((await node.ResultAsync("htable.is_null", "a", "k")).GetBoolean());
        Assert.False((await node.ResultAsync("htable.is_null", "i", "missing")).GetBoolean());
        // sht_inc / sht_dec: atomic +1 / -1 of the item ($shtinc / $shtdec without returning it in the script).
        Assert.Equal(6, (await node.ResultAsync("htable.inc", "a", "k")).GetInt64());
        Assert.Equal(5, (await node.ResultAsync("htable.dec", "a", "k")).GetInt64());
        Assert.Equal(8, (await node.ResultAsync("htable.inc", "i", "fresh")).GetInt64());
        // The ew and in operators master documents for sht_rm_name / sht_rm_value.
        await node.ResultAsync("htable.sets", "a", "alpha-end", "x");
        await node.ResultAsync("htable.sets", "a", "beta", "in-the-middle");
        Assert.Equal(1, (await node.ResultAsync("htable.rm_name", "a", "ew", "-end")).GetInt64());
        Assert.Equal(1, (await node.ResultAsync("htable.rm_value", "a", "in", "the-mid")).GetInt64());
    }
}
