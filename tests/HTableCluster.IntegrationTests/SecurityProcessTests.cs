using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace HTableCluster.IntegrationTests;

/// <summary>The published node with a bearer token (from a file) and over cluster TLS, driven by the published CLI.</summary>
public sealed class SecurityProcessTests : IDisposable
{
    private const string Token = "process-token-0123456789abcdef";
    private readonly string _dir = Directory.CreateTempSubdirectory("htcluster-secp-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Port() => PublishedNode.FreePort().ToString(CultureInfo.InvariantCulture);

    private static async Task<(int Code, string Stdout, string Stderr)> RpcAsync(string? tokenVariable, params string[] args)
    {
        var psi = new ProcessStartInfo(PublishedNode.Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("rpc");
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment.Remove("HTCLUSTER_TOKEN");
        if (tokenVariable is not null)
            psi.Environment["HTCLUSTER_TOKEN"] = tokenVariable;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task A_node_with_a_token_file_answers_the_cli_only_with_the_token()
    {
        var config = Write("node.json", $$"""{ "Rpc": { "TokenFile": "{{Write("token", Token + "\n")}}" } }""");
        // Ready: the health probes answer without the token.
        await using var node = await NodeProcess.StartAsync("--config", config);

        var set = await RpcAsync(null, "--url", node.Url, "--token", Token, "htable.seti", "t", "k", "42");
        Assert.True(set.Code == 0, set.Stderr);
        var get = await RpcAsync(Token, "--url", node.Url, "htable.get", "t", "k");
        Assert.True(get.Code == 0, get.Stderr);
        Assert.Contains("42", get.Stdout, StringComparison.Ordinal);

        var refused = await RpcAsync(null, "--url", node.Url, "htable.get", "t", "k");
        Assert.Equal(1, refused.Code);
        Assert.StartsWith("error -32001: Unauthorized", refused.Stderr, StringComparison.Ordinal);
        var wrong = await RpcAsync("wrong-token-0123456789abcdef", "--url", node.Url, "htable.get", "t", "k");
        Assert.Equal(1, wrong.Code);
        Assert.StartsWith("error -32001: Unauthorized", wrong.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_token_or_certificate_setting_exits_2_naming_the_key()
    {
        var shortToken = await PublishedNode.RunAsync(TimeSpan.FromSeconds(60), "serve", "--rpc-port", Port(), "--cluster-port", Port(),
            "--config", Write("short.json", """{ "Rpc": { "Token": "short" } }"""));
        Assert.Equal(2, shortToken.Code);
        Assert.Contains("'Rpc:Token'", shortToken.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("short\"", shortToken.Stderr, StringComparison.Ordinal);

        var emptyFile = await PublishedNode.RunAsync(TimeSpan.FromSeconds(60), "serve", "--rpc-port", Port(), "--cluster-port", Port(),
            "--config", Write("empty.json", $$"""{ "Rpc": { "TokenFile": "{{Write("empty", "")}}" } }"""));
        Assert.Equal(2, emptyFile.Code);
        Assert.Contains("'Rpc:TokenFile'", emptyFile.Stderr, StringComparison.Ordinal);

        var noCertificate = await PublishedNode.RunAsync(TimeSpan.FromSeconds(60), "serve", "--rpc-port", Port(), "--cluster-port", Port(),
            "--config", Write("nocert.json", $$"""{ "Cluster": { "TlsCertificate": "{{Path.Combine(_dir, "missing.pfx")}}" } }"""));
        Assert.Equal(2, noCertificate.Code);
        Assert.Contains("'Cluster:TlsCertificate'", noCertificate.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nodes_with_the_cluster_certificate_replicate_and_a_node_with_another_is_refused()
    {
        var shared = Pfx("shared.pfx", "pw");
        var other = Pfx("other.pfx", "pw");
        var password = Write("pw", "pw\n");
        string Config(string name, string pfx) =>
            Write(name, $$"""{ "Cluster": { "TlsCertificate": "{{pfx}}", "TlsCertificatePasswordFile": "{{password}}" }, "Htable": { "Tables": [ "r=>size=8;dmqreplicate=1" ] } }""");

        await using var seed = await NodeProcess.StartAsync("--node-id", "n1", "--config", Config("n1.json", shared));
        var seedAddress = "akka.tcp://htcluster@127.0.0.1:" + seed.ClusterPort.ToString(CultureInfo.InvariantCulture);
        await using var member = await NodeProcess.StartAsync("--node-id", "n2", "--seed", seedAddress, "--config", Config("n2.json", shared));
        Assert.Equal("Ok. Key set to new value.", (await seed.CallAsync("htable.sets", "r", "k", "v")).GetProperty("result").GetString());
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await member.CallAsync("htable.get", "r", "k")).TryGetProperty("result", out _) && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Equal("v", (await member.CallAsync("htable.get", "r", "k")).GetProperty("result").GetProperty("item").GetProperty("value").GetString());

        // The node with another certificate never joins: its handshake with the seed fails, and it
        // exits 6 naming the refusal; the seed logs the refusal and keeps its members.
        var (code, _, stderr) = await PublishedNode.RunAsync(TimeSpan.FromSeconds(60), "serve", "--node-id", "n3", "--rpc-port", Port(), "--cluster-port", Port(),
            "--seed", seedAddress, "--config", Config("n3.json", other));
        Assert.Equal(6, code);
        Assert.Contains("the cluster's TLS handshake failed: the peer's certificate", stderr, StringComparison.Ordinal);
        deadline = DateTime.UtcNow.AddSeconds(30);
        while (!seed.Log.Contains("Cluster TLS: refused", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Contains("is not this cluster's certificate (Cluster:TlsCertificate)", seed.Log, StringComparison.Ordinal);
        var members = (await seed.CallAsync("cluster.members")).ToString();
        Assert.Contains("n2", members, StringComparison.Ordinal);
        Assert.DoesNotContain("n3", members, StringComparison.Ordinal);
        Assert.Equal("Ok. Key set to new value.", (await member.CallAsync("htable.sets", "r", "k2", "v2")).GetProperty("result").GetString());
        deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await seed.CallAsync("htable.get", "r", "k2")).TryGetProperty("result", out _) && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Equal("v2", (await seed.CallAsync("htable.get", "r", "k2")).GetProperty("result").GetProperty("item").GetProperty("value").GetString());
    }

    [Fact]
    public async Task A_member_that_meets_another_certificate_at_a_known_address_rebuilds_and_stays_usable()
    {
        var shared = Pfx("shared.pfx", "pw");
        var other = Pfx("other.pfx", "pw");
        var password = Write("pw", "pw\n");
        string Config(string name, string pfx) =>
            Write(name, $$"""{ "Cluster": { "TlsCertificate": "{{pfx}}", "TlsCertificatePasswordFile": "{{password}}" }, "Htable": { "Tables": [ "r=>size=8;dmqreplicate=1" ] } }""");
        int p1 = PublishedNode.FreePort(), p2 = PublishedNode.FreePort();
        string[] seeds = ["--seed", $"akka.tcp://htcluster@127.0.0.1:{p1.ToString(CultureInfo.InvariantCulture)}", "--seed", $"akka.tcp://htcluster@127.0.0.1:{p2.ToString(CultureInfo.InvariantCulture)}"];
        await using var n1 = await NodeProcess.StartOnAsync(PublishedNode.FreePort(), p1, ["--node-id", "n1", "--config", Config("n1.json", shared), .. seeds]);
        await using var n2 = await NodeProcess.StartOnAsync(PublishedNode.FreePort(), p2, ["--node-id", "n2", "--config", Config("n2.json", shared), .. seeds]);
        // n2 crashes; a node with another certificate (and no seeds) comes up at its address. n1 keeps
        // connecting to the address it knew: Akka.Remote stops n1's actor system at the failed
        // handshake, n1 rebuilds it, leaves the refused address out of its rejoin list, and serves on.
        await n2.KillAsync();
        await using var stranger = await NodeProcess.StartOnAsync(PublishedNode.FreePort(), p2, "--node-id", "stranger", "--config", Config("s.json", other));
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!n1.Log.Contains("Actor system rebuilt (restart 1)", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        Assert.Contains("Akka.Remote stopped the actor system after a failed TLS handshake with a peer (the peer's certificate", n1.Log, StringComparison.Ordinal);
        await n1.WaitReadyAsync(TimeSpan.FromSeconds(60));
        Assert.DoesNotContain("Actor system rebuilt (restart 2)", n1.Log, StringComparison.Ordinal);
        Assert.Equal("Ok. Key set to new value.", (await n1.CallAsync("htable.sets", "r", "after", "v")).GetProperty("result").GetString());
        Assert.False(n1.HasExited);
    }

    private string Pfx(string name, string password)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=htcluster", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, cert.Export(X509ContentType.Pfx, password));
        return path;
    }
}
