using System.Text;
using HTableCluster.Node.Resp;

namespace HTableCluster.Node.Tests.Resp;

/// <summary>
/// The connection and server commands through redis-cli, side by side with redis-server 7.0: the
/// output must be the same line for line. (Values that differ by nature, such as client ids, ports
/// and times, are checked on their own.)
/// </summary>
public sealed class RespServerCommandsTests(RespNodeFixture node) : IClassFixture<RespNodeFixture>
{
    [Fact]
    public async Task Select_auth_hello_errors_match_redis()
    {
        await node.Redis.AssertSameAsync(node.RespPort, """
            SELECT 0
            SELECT 1
            SELECT -1
            SELECT x
            SELECT " 1"
            SELECT 99
            SELECT 99999999999999999999
            SELECT 1 2
            AUTH x
            AUTH a b
            AUTH default whatever
            AUTH a b c
            HELLO 4
            HELLO x
            HELLO 1
            HELLO 3 FOO
            HELLO 3 AUTH a
            HELLO 2 SETNAME "a b"
            HELLO 2 AUTH nobody pw
            RESET
            PING
            QUIT
            """ + "\n");
    }

    [Fact]
    public async Task Client_name_and_errors_match_redis()
    {
        await node.Redis.AssertSameAsync(node.RespPort, """
            CLIENT GETNAME
            CLIENT SETNAME first
            CLIENT GETNAME
            CLIENT SETNAME "a b"
            CLIENT SETNAME x y
            CLIENT GETNAME
            CLIENT SETNAME ""
            CLIENT GETNAME
            CLIENT
            CLIENT FOO
            CLIENT ID x
            CLIENT LIST TYPE nosuch
            CLIENT LIST ID x
            CLIENT LIST ID 0
            CLIENT LIST FOO
            CLIENT LIST ID 999999
            CLIENT GETNAME x
            """ + "\n");
    }

    [Fact]
    public async Task Config_get_and_set_match_redis()
    {
        await node.Redis.AssertSameAsync(node.RespPort, """
            CONFIG GET save
            CONFIG GET appendonly
            CONFIG GET maxmemory
            CONFIG GET maxmemory-policy
            CONFIG GET MAXMEMORY-POLICY
            CONFIG GET timeout
            CONFIG GET cluster-enabled
            CONFIG GET nosuch
            CONFIG GET nosuch*
            CONFIG GET
            CONFIG SET
            CONFIG SET timeout
            CONFIG SET timeout x
            CONFIG SET timeout -1
            CONFIG SET nosuch 1
            CONFIG SET timeout 5 timeout 6
            CONFIG SET databases 3
            CONFIG SET cluster-enabled yes
            CONFIG SET maxmemory 1x
            CONFIG SET maxmemory-policy x
            CONFIG SET timeout 5 nosuch 1
            CONFIG GET timeout
            CONFIG SET timeout 7
            CONFIG GET timeout
            CONFIG SET timeout 0
            CONFIG SET maxmemory 2mb maxmemory-policy ALLKEYS-LRU
            CONFIG GET maxmemory
            CONFIG GET maxmemory-policy
            CONFIG SET maxmemory 0 maxmemory-policy noeviction
            CONFIG FOO
            CONFIG
            """ + "\n");
    }

    [Fact]
    public async Task Time_lastsave_command_and_info_errors_match_redis()
    {
        await node.Redis.AssertSameAsync(node.RespPort, """
            TIME x
            LASTSAVE x
            COMMAND COUNT x
            COMMAND FOO
            COMMAND INFO nosuchcommand
            COMMAND GETKEYS nosuch
            INFO nosuchsection
            ECHO done
            """ + "\n");
    }

    [Fact]
    public async Task Config_get_in_resp3_matches_redis()
    {
        await node.Redis.AssertSameAsync(node.RespPort, "CONFIG GET maxmemory-policy\nCONFIG GET nosuch\nCLIENT GETNAME\nSELECT 1\n", "-3");
    }

    [Fact]
    public async Task Hello_answers_redis_map_with_this_connection_id()
    {
        var redis = await RedisReference.ExchangeAsync(node.Redis.Port, "HELLO 3\r\nCLIENT ID\r\nQUIT\r\n"u8.ToArray());
        var ours = await RedisReference.ExchangeAsync(node.RespPort, "HELLO 3\r\nCLIENT ID\r\nQUIT\r\n"u8.ToArray());
        static string Masked(string s) => System.Text.RegularExpressions.Regex.Replace(s, @"\$2\r\nid\r\n:\d+|\r\n:\d+\r\n\+OK", m => m.Value.StartsWith('$') ? "$2\r\nid\r\n:N" : "\r\n:N\r\n+OK");
        Assert.Equal(RedisReference.Show(Masked(redis)), RedisReference.Show(Masked(ours)));
        // The id HELLO gives is the one CLIENT ID gives.
        var id = System.Text.RegularExpressions.Regex.Match(ours, @"\$2\r\nid\r\n:(\d+)").Groups[1].Value;
        Assert.EndsWith($":{id}\r\n+OK\r\n", ours, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_info_and_list_give_redis_fields_in_redis_order()
    {
        var redis = await RedisReference.CliAsync(node.Redis.Port, "CLIENT SETNAME me\nCLIENT INFO\n");
        var ours = await RedisReference.CliAsync(node.RespPort, "CLIENT SETNAME me\nCLIENT INFO\n");
        static string[] Fields(string s) => [.. s.Split('\n')[1].Trim('"').Split(' ').Select(f => f.Split('=')[0])];
        // Redis 7.0 has no lib-name and lib-ver (7.2 adds them at the end): the rest is the same list.
        Assert.Equal(Fields(redis), Fields(ours)[..^2]);
        Assert.Contains("name=me ", ours, StringComparison.Ordinal);
        Assert.Contains("cmd=client|info ", ours, StringComparison.Ordinal);
        var list = await RedisReference.CliAsync(node.RespPort, "CLIENT SETNAME lister\nCLIENT SETINFO LIB-NAME mylib\nCLIENT LIST\n");
        Assert.Contains("name=lister ", list, StringComparison.Ordinal);
        Assert.Contains("lib-name=mylib ", list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Info_has_redis_sections_and_the_tables_as_databases()
    {
        var t = node.Node.Table("a");
        await t.SetStringAsync("info-k1", "v");
        await t.SetStringAsync("info-k2", "v", expireSeconds: 100);
        var info = await RedisReference.CliAsync(node.RespPort, "INFO\n", "--raw");
        foreach (var section in (string[])["# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication", "# CPU", "# Keyspace"])
            Assert.Contains(section + "\r\n", info, StringComparison.Ordinal);
        Assert.Contains("redis_version:7.0.15\r\n", info, StringComparison.Ordinal);
        Assert.Contains("role:master\r\n", info, StringComparison.Ordinal);
        Assert.Matches(@"db0:keys=\d+,expires=\d+,avg_ttl=\d+\r\n", info);
        Assert.Contains("db1:keys=", info, StringComparison.Ordinal);
        var keys = long.Parse(System.Text.RegularExpressions.Regex.Match(info, @"db0:keys=(\d+),expires=(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(keys >= 2);
        var keyspace = await RedisReference.CliAsync(node.RespPort, "INFO keyspace\n", "--raw");
        Assert.StartsWith("# Keyspace\r\n", keyspace, StringComparison.Ordinal);
        Assert.DoesNotContain("# Server", keyspace, StringComparison.Ordinal);
        var two = await RedisReference.CliAsync(node.RespPort, "INFO CLIENTS server\n", "--raw");
        Assert.StartsWith("# Server\r\n", two, StringComparison.Ordinal);
        Assert.Contains("\r\n\r\n# Clients\r\nconnected_clients:", two, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Command_count_info_and_docs_describe_the_served_commands()
    {
        var count = await RedisReference.CliAsync(node.RespPort, "COMMAND COUNT\n");
        Assert.Equal($"(integer) {node.Server.Commands.All.Count()}\n", count);
        var info = await RedisReference.CliAsync(node.RespPort, "COMMAND INFO ping nosuch\n");
        Assert.StartsWith("1)  1) \"ping\"\n    2) (integer) -1\n", info, StringComparison.Ordinal);
        Assert.EndsWith("2) (nil)\n", info, StringComparison.Ordinal);
        var docs = await RedisReference.CliAsync(node.RespPort, "COMMAND DOCS echo\n");
        Assert.StartsWith("1) \"echo\"\n", docs, StringComparison.Ordinal);
        var time = await RedisReference.CliAsync(node.RespPort, "TIME\nLASTSAVE\n");
        var lines = time.Split('\n');
        var seconds = long.Parse(lines[0][(lines[0].IndexOf('"') + 1)..^1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(seconds, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 60);
        Assert.Equal($"(integer) {node.Server.StartedAtSeconds}", lines[2]);
    }

    [Fact]
    public void Glob_matches_as_redis_stringmatch()
    {
        Assert.True(ServerCommands.GlobMatch("max*", "maxmemory"));
        Assert.True(ServerCommands.GlobMatch("*MEMORY*", "maxmemory-policy"));
        Assert.True(ServerCommands.GlobMatch("t?meout", "timeout"));
        Assert.True(ServerCommands.GlobMatch("[st]ave", "save"));
        Assert.True(ServerCommands.GlobMatch("[^x]ave", "save"));
        Assert.True(ServerCommands.GlobMatch("[a-z]ave", "save"));
        Assert.False(ServerCommands.GlobMatch("[^s]ave", "save"));
        Assert.False(ServerCommands.GlobMatch("save?", "save"));
        Assert.True(ServerCommands.GlobMatch("sa\\ve", "save"));
        Assert.Equal("x", Encoding.ASCII.GetString(RespWriter.ToBytes(RespReply.Bulk("x"), 2))[4..5]);
    }
}
