namespace HTableCluster.IntegrationTests;

/// <summary>
/// A Kamailio 5.6 script using ndb_redis (Debian's kamailio-redis-modules), unchanged, against a
/// published node's Redis protocol endpoint, and the same script against Debian's redis-server in
/// the same run: the replies must be the same, and what the script wrote is in the node's tables.
/// </summary>
public sealed class KamailioNdbRedisTests
{
    private const string Modules = "/usr/lib/x86_64-linux-gnu/kamailio/modules/";

    // The script: GET /<server>/<command>/<a>/<b>/<c> runs one redis_cmd on server "node" or "ref"
    // and answers "<reply type> <reply value>" ($redis(r=>type), $redis(r=>value)).
    private static string Config(int httpPort, int nodePort, int refPort) => $$"""
        #!KAMAILIO
        debug=2
        log_stderror=yes
        children=1
        tcp_children=1
        auto_aliases=no
        listen=tcp:127.0.0.1:{{httpPort}}
        tcp_accept_no_cl=yes
        mpath="{{Modules}}"
        loadmodule "sl.so"
        loadmodule "pv.so"
        loadmodule "xhttp.so"
        loadmodule "ndb_redis.so"
        modparam("ndb_redis", "server", "name=node;addr=127.0.0.1;port={{nodePort}};db=1")
        modparam("ndb_redis", "server", "name=ref;addr=127.0.0.1;port={{refPort}};db=1")
        request_route {
        	sl_send_reply("404", "Not here");
        }
        event_route[xhttp:request] {
        	$var(s) = $(hu{s.select,1,/});
        	$var(a) = $(hu{s.select,3,/});
        	$var(b) = $(hu{s.select,4,/});
        	$var(c) = $(hu{s.select,5,/});
        	if ($hu =~ "^/[a-z]+/set/") {
        		redis_cmd("$var(s)", "SET %s %s", "$var(a)", "$var(b)", "r");
        	} else if ($hu =~ "^/[a-z]+/get/") {
        		redis_cmd("$var(s)", "GET %s", "$var(a)", "r");
        	} else if ($hu =~ "^/[a-z]+/incr/") {
        		redis_cmd("$var(s)", "INCR %s", "$var(a)", "r");
        	} else if ($hu =~ "^/[a-z]+/incrby/") {
        		redis_cmd("$var(s)", "INCRBY %s %s", "$var(a)", "$var(b)", "r");
        	} else if ($hu =~ "^/[a-z]+/del/") {
        		redis_cmd("$var(s)", "DEL %s", "$var(a)", "r");
        	} else if ($hu =~ "^/[a-z]+/hset/") {
        		redis_cmd("$var(s)", "HSET %s %s %s", "$var(a)", "$var(b)", "$var(c)", "r");
        	} else if ($hu =~ "^/[a-z]+/hget/") {
        		redis_cmd("$var(s)", "HGET %s %s", "$var(a)", "$var(b)", "r");
        	} else if ($hu =~ "^/[a-z]+/hincrby/") {
        		redis_cmd("$var(s)", "HINCRBY %s %s %s", "$var(a)", "$var(b)", "$var(c)", "r");
        	} else {
        		xhttp_reply("404", "Not Found", "text/plain", "unknown\n");
        		exit;
        	}
        	xhttp_reply("200", "OK", "text/plain", "$redis(r=>type) $redis(r=>value)");
        }
        """;

    // Commands the script runs, in order, on both servers.
    private static readonly string[] Steps =
    [
        "get/caller-1", "set/caller-1/alice", "get/caller-1", "incr/calls", "incr/calls", "incrby/calls/40",
        "incr/caller-1", "set/caller-1/bob", "get/caller-1", "del/caller-1", "get/caller-1",
        "hset/kv/gw-1/10.0.0.1", "hget/kv/gw-1", "hset/kv/gw-1/10.0.0.2", "hget/kv/gw-1", "hincrby/kv/gw-count/3", "hincrby/kv/gw-count/4", "hget/kv/missing",
    ];

    [Fact]
    public async Task A_kamailio_script_with_ndb_redis_gets_the_same_replies_from_a_node_as_from_redis_server()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var dir = Directory.CreateTempSubdirectory("htc-ndb-redis-");
        try
        {
            var respPort = PublishedNode.FreePort();
            var config = Path.Combine(dir.FullName, "node.json");
            await File.WriteAllTextAsync(config, $$"""{ "Resp": { "Port": {{respPort}} } }""", cts.Token);
            // SELECT 1 (ndb_redis's db=1) is the second table, "calls"; "kv" is reached as a hash.
            await using var node = await NodeProcess.StartAsync("--config", config, "--table", "kv=>size=8", "--table", "calls=>size=8");
            var (redis, refPort) = await ReferenceProcess.StartRedisAsync(dir.FullName, cts.Token);
            using var _ = redis;

            var httpPort = PublishedNode.FreePort();
            var cfg = Path.Combine(dir.FullName, "kamailio.cfg");
            await File.WriteAllTextAsync(cfg, Config(httpPort, respPort, refPort), cts.Token);
            using var kamailio = ReferenceProcess.Start(dir.FullName, "/usr/sbin/kamailio", "-DD", "-E", "-f", cfg, "-P", Path.Combine(dir.FullName, "kamailio.pid"), "-w", dir.FullName, "-m", "64", "-M", "8");
            await ReferenceProcess.WaitForPortAsync(httpPort, cts.Token);
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
                var differences = new List<string>();
                var transcript = new List<string>();
                foreach (var step in Steps)
                {
                    var fromRef = await http.GetStringAsync(new Uri($"http://127.0.0.1:{httpPort}/ref/{step}"), cts.Token);
                    var fromNode = await http.GetStringAsync(new Uri($"http://127.0.0.1:{httpPort}/node/{step}"), cts.Token);
                    transcript.Add($"{step} -> {fromNode}");
                    if (fromRef != fromNode)
                        differences.Add($"{step}: redis-server '{fromRef}', node '{fromNode}'");
                }
                // INCR on a string item ("ERR value is not an integer or out of range") is an error in both.
                Assert.Contains("incr/caller-1 -> 6 <null>", transcript);
                Assert.Contains("incrby/calls/40 -> 3 42", transcript);
                Assert.Contains("hincrby/kv/gw-count/4 -> 3 7", transcript);
                Assert.True(differences.Count == 0, "replies differ:\n" + string.Join('\n', differences) + "\nnode:\n" + string.Join('\n', transcript));

                // What the script wrote is in the node's tables, as htable.get shows it.
                var calls = await node.CallAsync("htable.get", "calls", "calls");
                Assert.Equal(42, calls.GetProperty("result").GetProperty("item").GetProperty("value").GetInt64());
                var gw = await node.CallAsync("htable.get", "kv", "gw-1");
                Assert.Equal("10.0.0.2", gw.GetProperty("result").GetProperty("item").GetProperty("value").GetString());
                Assert.Equal(7, (await node.CallAsync("htable.get", "kv", "gw-count")).GetProperty("result").GetProperty("item").GetProperty("value").GetInt64());
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
