using System.Text.Json;

namespace HTableCluster.Node.Tests;

/// <summary>
/// Replays the exchanges recorded from Kamailio 5.6.3 (tests/Conformance/kamailio-5.6/htable-rpc.json)
/// against a node with the same tables and compares status and reply JSON. Cases where this project
/// deliberately differs are listed in <see cref="Deviations"/> with the reason; each of those
/// behaviours has its own test elsewhere.
/// </summary>
public sealed class ConformanceTests(NodeFixture node) : IClassFixture<NodeFixture>
{
    private static readonly Lazy<JsonElement> Recording = new(() => Recordings.Load("htable-rpc.json"));

    /// <summary>Recorded cases this project answers differently on purpose.</summary>
    public static readonly IReadOnlyDictionary<string, string> Deviations = BuildDeviations();

    public static TheoryData<string> Cases() => Recordings.Replayed(Recording.Value, IsDeviation);

    [Fact]
    public void Most_recorded_cases_are_replayed()
    {
        var total = Recording.Value.GetProperty("cases").GetArrayLength();
        Assert.True(Cases().Count * 10 >= total * 6, $"only {Cases().Count} of {total} recorded cases are replayed");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Answers_as_kamailio(string name)
    {
        var c = Recordings.Case(Recording.Value, name);
        var timeDependent = c.TryGetProperty("time_dependent", out var td) && td.GetBoolean();
        foreach (var t in new[] { "a", "e", "i" })
            await node.ResultAsync("htable.flush", t);
        await SeedDbTableAsync();

        var stepNo = 0;
        foreach (var step in c.GetProperty("steps").EnumerateArray())
        {
            stepNo++;
            if (step.TryGetProperty("sleep_before_s", out var sleep))
                node.Time.Advance(TimeSpan.FromSeconds(sleep.GetDouble()));
            var request = step.GetProperty("request").GetString()!;
            var (status, body) = await node.PostAsync(request);
            var where = $"step {stepNo} {request}";
            Assert.True(step.GetProperty("http_status").GetInt32() == status, $"{where}: HTTP {status}, Kamailio {step.GetProperty("http_status")}; body {body}");
            var expected = step.GetProperty("response");
            Assert.True(body is not null, $"{where}: empty reply");
            var diff = Recordings.Diff(expected, body!.Value, looseExpire: timeDependent);
            Assert.True(diff is null, $"{where}: {diff}\n kamailio: {expected}\n ours:     {body}");
        }
    }

    // The recording's table db was preloaded from PostgreSQL; its recorded dump is written back here
    // so replies that list every table (stats) see the same content.
    private async Task SeedDbTableAsync()
    {
        await node.ResultAsync("htable.flush", "db");
        var dump = Recording.Value.GetProperty("cases").EnumerateArray()
            .First(x => x.GetProperty("name").GetString()!.StartsWith("db table: dump seeded", StringComparison.Ordinal))
            .GetProperty("steps")[0].GetProperty("response").GetProperty("result");
        foreach (var slot in dump.EnumerateArray())
        {
            foreach (var item in slot.GetProperty("slot").EnumerateArray())
            {
                var value = item.GetProperty("value");
                if (item.GetProperty("type").GetString() == "int")
                    await node.ResultAsync("htable.seti", "db", item.GetProperty("name").GetString(), value.GetInt64());
                else
                    await node.ResultAsync("htable.sets", "db", item.GetProperty("name").GetString(), value.GetString());
            }
        }
    }

    private static bool IsDeviation(string name) =>
        Deviations.ContainsKey(name)
        || Deviations.Keys.Any(k => k.EndsWith('*') && name.StartsWith(k[..^1], StringComparison.Ordinal));

    private static Dictionary<string, string> BuildDeviations()
    {
        const string Wide = "values are 64-bit here (Kamailio 5.6 truncates to 32 bits); see RpcBehaviourTests.Seti_keeps_64_bit_values";
        const string Protocol = "JSON-RPC 2.0 instead of Kamailio's dropped connection / empty {} result; see ProtocolTests";
        const string Db = "the reference loads the seed row badint (value 'notanumber', value_type 1) as 0; here it is reported and skipped, so a reload from the seed rows gives one item less; see DatabasePreloadTests";
        const string Dmq = "htable.dmqsync/dmqresync come from Kamailio 5.7 and are served here; see ReplicationClusterTests";
        const string Expiry = "an explicit expiry takes effect on every table (Kamailio 5.6 ignores it without autoexpire or loses it on a longer value); see RpcBehaviourTests";
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["seti value 2147483648 then get"] = Wide,
            ["seti value -2147483649 then get"] = Wide,
            ["seti value 9999999999 then get"] = Wide,
            ["seti value 4294967296 then get"] = Wide,
            ["seti value 4294967295 then get"] = Wide,
            ["seti value huge 1e20 then get"] = "a number outside the 64-bit range is refused; see RpcBehaviourTests",
            ["protocol: *"] = Protocol,
            ["system.listMethods (full list; htable.* subset is what 5.6 has)"] = "this node serves its own method list",
            ["system.methodSignature htable.get"] = "not implemented by either; no need to copy the text",
            ["db table: set in memory, reload discards it"] = Db,
            ["setex 1 then get after-expiry (sleep 3s)"] = Expiry,
            ["setxi 2 then get after-expiry (sleep 4s)"] = Expiry,
            ["setex 10 on existing key in a (autoexpire=0) then get (expire timestamp time-dependent)"] = Expiry,
            ["setxs then get (expire time-dependent)"] = Expiry,
            ["setxi then get (expire time-dependent)"] = Expiry,
            ["setxs with int value and string expire"] = Expiry,
            ["setxs over existing int"] = Expiry,
            ["table a: setxs with longer string over existing (expire stored raw, no now)"] = Expiry,
            ["table e: setxs with longer string over existing drops the explicit expire (expire time-dependent)"] = Expiry,
            ["setex string \"10\" then get (expire time-dependent)"] = Expiry,
            ["value with embedded NUL \\u0000 (truncation?)"] = "values are stored byte-exact, NUL included",
            ["params as a string"] = Protocol,
            ["params as a number"] = Protocol,
            ["params as null"] = Protocol,
            ["htable.dmqsync does not exist in 5.6"] = Dmq,
            ["htable.dmqresync does not exist in 5.6"] = Dmq,
            ["system.methodHelp for absent htable.dmqsync"] = Dmq,
        };
    }

}
