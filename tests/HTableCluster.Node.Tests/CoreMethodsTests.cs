using System.Text.Json;
using System.Text.RegularExpressions;
using HTableCluster.Node.Rpc;

namespace HTableCluster.Node.Tests;

/// <summary>
/// core.version and core.uptime in Kamailio 5.6.3's shapes. Kamailio answered
/// <c>"kamailio 5.6.3 (x86_64/linux) "</c> and
/// <c>{"now":"Fri Dec  4 01:01:55 2026","up_since":"Fri Dec  4 01:01:53 2026","uptime":2}</c>.
/// </summary>
public sealed partial class CoreMethodsTests(NodeFixture node) : IClassFixture<NodeFixture>
{
    [Fact]
    public async Task Version_has_kamailios_shape_with_this_products_name()
    {
        var version = (await node.ResultAsync("core.version")).GetString()!;
        Assert.Matches(VersionShape(), version);
        Assert.StartsWith("htcluster 0.5.0 (", version, StringComparison.Ordinal);
        Assert.Equal("Returns the version string of the server.", (await node.ResultAsync("system.methodHelp", "core.version")).GetString());
    }

    [Fact]
    public async Task Uptime_has_kamailios_members_in_its_order()
    {
        var result = await node.ResultAsync("core.uptime");
        Assert.Equal(["now", "up_since", "uptime"], result.EnumerateObject().Select(p => p.Name));
        Assert.Matches(CTimeShape(), result.GetProperty("now").GetString()!);
        Assert.Matches(CTimeShape(), result.GetProperty("up_since").GetString()!);
        Assert.Equal(JsonValueKind.Number, result.GetProperty("uptime").ValueKind);
        Assert.InRange(result.GetProperty("uptime").GetInt64(), 0, 3600);
    }

    [Fact]
    public async Task Uptime_counts_whole_seconds_since_start()
    {
        var time = new ManualTime();
        var core = new CoreMethods(time);
        time.Advance(TimeSpan.FromSeconds(90061.7));
        var uptime = core.Methods().Single(m => m.Name == "core.uptime");
        var reply = await uptime.Handler(new RpcParams([]), WriteSink.Immediate);
        var members = (RpcObject)reply.Result!;
        Assert.Equal(90061L, members.Single(m => m.Key == "uptime").Value);
    }

    [Theory]
    [InlineData(2026, 12, 4, 1, 1, 55, "Fri Dec  4 01:01:55 2026")]
    [InlineData(2026, 11, 25, 23, 0, 9, "Wed Nov 25 23:00:09 2026")]
    public void CTime_matches_cs_layout(int y, int mo, int d, int h, int mi, int s, string expected) =>
        Assert.Equal(expected, CoreMethods.CTime(new DateTime(y, mo, d, h, mi, s, DateTimeKind.Local)));

    [GeneratedRegex(@"^htcluster \d+\.\d+\.\d+ \([a-z0-9_]+/[a-z]+\) $")]
    private static partial Regex VersionShape();

    [GeneratedRegex(@"^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 1-3]\d \d{2}:\d{2}:\d{2} \d{4}$")]
    private static partial Regex CTimeShape();
}
