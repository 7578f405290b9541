using HTableCluster.Node.Admin;
using HTableCluster.Node.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HTableCluster.Node.Tests.Admin;

/// <summary>The Admin section: BINRPC is off unless set, bad values name their key, the socket gets the configured mode and group.</summary>
public sealed class BinRpcOptionsTests
{
    private static NodeSettings Load(params (string Key, string Value)[] values) =>
        NodeSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(v => v.Key, v => (string?)v.Value)).Build());

    [Fact]
    public void Binrpc_is_off_unless_set()
    {
        Assert.Empty(Load().BinRpcAddresses);
        var settings = Load(("Admin:BinRpc", "unix:/run/htc/ctl, tcp:2049"));
        Assert.Equal(["unix:/run/htc/ctl", "tcp:127.0.0.1:2049"], settings.BinRpcAddresses.Select(a => a.ToString()));
    }

    [Theory]
    [InlineData("Admin:BinRpc", "udp:127.0.0.1:2049", "not served")]
    [InlineData("Admin:BinRpc", "tcp:localhost", "bad port")]
    [InlineData("Admin:BinRpcMode", "0800", "octal file mode")]
    [InlineData("Admin:BinRpcMode", "rw-------", "octal file mode")]
    [InlineData("Admin:BinRpcUser", "no_such_user_here", "no such user")]
    [InlineData("Admin:BinRpcGroup", "no_such_group_here", "no such group")]
    [InlineData("Admin:BinRpcMaxRequestBytes", "10", "expected 64..")]
    [InlineData("Admin:BinRpcIdleTimeoutSeconds", "0", "expected 1..")]
    [InlineData("Admin:BinRpcPort", "2049", "not a setting of this section")]
    public void Bad_values_name_their_key(string key, string value, string reason)
    {
        var ex = Assert.Throws<OptionsException>(() => Load((key, value)));
        Assert.Equal(key, ex.Key);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void With_a_bearer_token_binrpc_stays_off_the_network()
    {
        const string token = "0123456789abcdef0123";
        Assert.Single(Load(("Rpc:Token", token), ("Admin:BinRpc", "unix:/run/htc/ctl,tcp:127.0.0.1:2049")).BinRpcAddresses, a => a.Tcp is not null);
        var ex = Assert.Throws<OptionsException>(() => Load(("Rpc:Token", token), ("Admin:BinRpc", "tcp:*:2049")));
        Assert.Equal("Admin:BinRpc", ex.Key);
        Assert.Contains("cannot carry the bearer token", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_socket_gets_the_configured_mode_and_group_and_replaces_a_stale_file()
    {
        var dir = Directory.CreateTempSubdirectory("htc-binrpc-mode-").FullName;
        var path = Path.Combine(dir, "ctl");
        await File.WriteAllTextAsync(path, "left by an earlier run");
        var settings = Load(("Admin:BinRpc", "unix:" + path), ("Admin:BinRpcMode", "0660"), ("Admin:BinRpcGroup", "daemon"),
            ("Node:ClusterPort", "0"), ("Node:RpcPort", "0"), ("Node:CompactAfterMiB", "0"));
        var app = NodeHost.Build(settings);
        try
        {
            await app.StartAsync();
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, File.GetUnixFileMode(path));
            var (stdout, _, exit) = await BinRpcNodeFixture.KamcmdAsync("unix:" + path, "core.version");
            Assert.Equal(0, exit);
            Assert.StartsWith("htcluster", stdout, StringComparison.Ordinal);
            var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%G", path]) { RedirectStandardOutput = true })!;
            Assert.Equal("daemon", (await stat.StandardOutput.ReadToEndAsync()).Trim());
            Assert.NotNull(app.Services.GetRequiredService<BinRpcListener>());
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        Assert.False(File.Exists(path), "the socket file stays after the node stopped");
        Directory.Delete(dir, true);
    }
}
