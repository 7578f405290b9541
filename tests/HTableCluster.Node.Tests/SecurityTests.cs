using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Akka.Cluster;
using HTableCluster.Node.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace HTableCluster.Node.Tests;

/// <summary>A node that requires a bearer token (Rpc:Token).</summary>
public sealed class TokenNode : NodeFixture
{
    public const string Token = "s3cret-token-0123456789";

    protected override IReadOnlyList<string> Tables => ["a=>size=4;dmqreplicate=1"];

    protected override IDictionary<string, string?> Extra => new Dictionary<string, string?> { ["Rpc:Token"] = Token };
}

public sealed class BearerTokenTests(TokenNode node) : IClassFixture<TokenNode>
{
    private const string Call = "{\"jsonrpc\":\"2.0\",\"method\":\"core.version\",\"params\":[],\"id\":1}";

    private async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, string? authorization)
    {
        using var request = new HttpRequestMessage(method, new Uri(node.RpcUrl, path));
        if (method == HttpMethod.Post)
            request.Content = new StringContent(Call, Encoding.UTF8, "application/json");
        if (authorization is not null)
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        var response = await node.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        // /events streams: its first bytes are enough.
        var body = path.StartsWith("/events", StringComparison.Ordinal) && response.IsSuccessStatusCode
            ? await ReadSomeAsync(response)
            : await response.Content.ReadAsStringAsync();
        return (response.StatusCode, body, response);
    }

    private static async Task<string> ReadSomeAsync(HttpResponseMessage response)
    {
        using var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var n = await stream.ReadAsync(buffer, cts.Token);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-token-0123456789")]
    [InlineData("Bearer " + TokenNode.Token + "x")]
    [InlineData("Bearer s3cret-token-012345678")]
    [InlineData("bearer-less " + TokenNode.Token)]
    [InlineData(TokenNode.Token)]
    public async Task A_call_without_the_right_token_is_refused_with_a_json_rpc_error(string? authorization)
    {
        var (status, body, response) = await SendAsync(HttpMethod.Post, "/RPC", authorization);
        using (response)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, status);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
            var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
            Assert.Equal(-32001, error.GetProperty("code").GetInt32());
            Assert.StartsWith("Unauthorized", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_call_with_the_token_is_answered()
    {
        var (status, body, response) = await SendAsync(HttpMethod.Post, "/RPC", "Bearer " + TokenNode.Token);
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.True(JsonDocument.Parse(body).RootElement.TryGetProperty("result", out _), body);
        }
    }

    [Theory]
    [InlineData("/metrics")]
    [InlineData("/events")]
    [InlineData("/events?table=a")]
    public async Task Metrics_and_events_need_the_token(string path)
    {
        var (status, body, response) = await SendAsync(HttpMethod.Get, path, null);
        using (response)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, status);
            Assert.Equal("Unauthorized", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
        }
        var (ok, content, allowed) = await SendAsync(HttpMethod.Get, path, "Bearer " + TokenNode.Token);
        using (allowed)
        {
            Assert.Equal(HttpStatusCode.OK, ok);
            Assert.Contains(path == "/metrics" ? "htcluster_" : ": htcluster events", content, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Health_probes_stay_open(string path)
    {
        var (status, _, response) = await SendAsync(HttpMethod.Get, path, null);
        using (response)
            Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task The_rpc_command_sends_the_token()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.Equal(RpcCommand.Succeeded, await RpcCommand.CallAsync(node.RpcUrl.ToString(), "htable.seti", ["a", "k", "5"], false, output, error, TokenNode.Token));
        Assert.Equal(RpcCommand.Succeeded, await RpcCommand.CallAsync(node.RpcUrl.ToString(), "htable.get", ["a", "k"], false, output, error, TokenNode.Token));
        Assert.Contains("5", output.ToString(), StringComparison.Ordinal);

        using var refused = new StringWriter();
        Assert.Equal(RpcCommand.ErrorReply, await RpcCommand.CallAsync(node.RpcUrl.ToString(), "htable.get", ["a", "k"], false, output, refused));
        Assert.StartsWith("error -32001: Unauthorized", refused.ToString(), StringComparison.Ordinal);
    }
}

public sealed class SecurityOptionsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("htcluster-sec-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static NodeSettings Load(params (string Key, string Value)[] values) =>
        NodeSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build());

    private static OptionsException Refused(params (string Key, string Value)[] values) => Assert.Throws<OptionsException>(() => Load(values));

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void A_token_is_read_from_its_file_and_checked()
    {
        Assert.Null(Load().RpcToken);
        Assert.Equal("0123456789abcdef!", Load(("Rpc:TokenFile", Write("t", "0123456789abcdef!\n"))).RpcToken);
        Assert.Equal("0123456789abcdef", Load(("Rpc:Token", "0123456789abcdef")).RpcToken);

        var shortToken = Refused(("Rpc:Token", "short"));
        Assert.Equal("Rpc:Token", shortToken.Key);
        Assert.DoesNotContain("short", shortToken.Message, StringComparison.Ordinal);
        Assert.Equal("Rpc:Token", Refused(("Rpc:Token", "0123456789 abcdef")).Key);
        Assert.Equal("Rpc:TokenFile", Refused(("Rpc:TokenFile", Write("empty", "\n"))).Key);
        Assert.Equal("Rpc:TokenFile", Refused(("Rpc:TokenFile", Path.Combine(_dir, "missing"))).Key);
        Assert.Equal("Rpc:TokenFile", Refused(("Rpc:TokenFile", _dir)).Key);
        Assert.Equal("Rpc:TokenFile", Refused(("Rpc:Token", "0123456789abcdef"), ("Rpc:TokenFile", Write("t2", "0123456789abcdef"))).Key);
    }

    [Fact]
    public void A_cluster_certificate_must_load_with_its_password_and_have_a_private_key()
    {
        using var cert = TestCertificates.SelfSigned("CN=htcluster-test");
        var pfx = Path.Combine(_dir, "node.pfx");
        File.WriteAllBytes(pfx, cert.Export(X509ContentType.Pfx, "pw"));
        var password = Write("pw", "pw\n");

        var tls = Load(("Cluster:TlsCertificate", pfx), ("Cluster:TlsCertificatePasswordFile", password)).ClusterTls;
        Assert.NotNull(tls);
        Assert.Equal(cert.Thumbprint, tls.Certificate.Thumbprint);
        Assert.Null(Load().ClusterTls);

        Assert.Equal("Cluster:TlsCertificate", Refused(("Cluster:TlsCertificate", pfx), ("Cluster:TlsCertificatePassword", "wrong")).Key);
        Assert.Equal("Cluster:TlsCertificate", Refused(("Cluster:TlsCertificate", Path.Combine(_dir, "missing.pfx"))).Key);
        var noKey = Path.Combine(_dir, "nokey.pfx");
        File.WriteAllBytes(noKey, X509CertificateLoader.LoadCertificate(cert.Export(X509ContentType.Cert)).Export(X509ContentType.Pfx, "pw"));
        var refused = Refused(("Cluster:TlsCertificate", noKey), ("Cluster:TlsCertificatePassword", "pw"));
        Assert.Equal("Cluster:TlsCertificate", refused.Key);
        Assert.Contains("private key", refused.Message, StringComparison.Ordinal);
        Assert.Equal("Cluster:TlsCertificatePasswordFile", Refused(("Cluster:TlsCertificate", pfx), ("Cluster:TlsCertificatePasswordFile", Write("nopw", ""))).Key);
        Assert.Equal("Cluster:TlsCaCertificate", Refused(("Cluster:TlsCaCertificate", pfx)).Key);
        // A CA file that did not issue this node's certificate: its peers would refuse it.
        using var otherCa = TestCertificates.SelfSigned("CN=other-ca", ca: true);
        var caFile = Write("ca.pem", otherCa.ExportCertificatePem());
        Assert.Equal("Cluster:TlsCertificate", Refused(("Cluster:TlsCertificate", pfx), ("Cluster:TlsCertificatePassword", "pw"), ("Cluster:TlsCaCertificate", caFile)).Key);
    }
}

/// <summary>Certificates made in the test; nothing is installed anywhere.</summary>
public static class TestCertificates
{
    public static X509Certificate2 SelfSigned(string subject, bool ca = false)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = Request(subject, key, ca);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    public static X509Certificate2 IssuedBy(X509Certificate2 ca, string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = Request(subject, key, ca: false);
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29), RandomNumberGenerator.GetBytes(8));
        return issued.CopyWithPrivateKey(key);
    }

    public static string WritePfx(X509Certificate2 cert, string dir, string name)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, cert.Export(X509ContentType.Pfx, ""));
        return path;
    }

    private static CertificateRequest Request(string subject, ECDsa key, bool ca)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(ca, false, 0, true));
        if (ca)
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        }
        else
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        }
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request;
    }
}

/// <summary>Nodes over mutual TLS: the same certificate (or one CA) forms a cluster, another is refused.</summary>
public sealed class ClusterTlsTests : IDisposable
{
    private static readonly string[] Tables = ["r=>size=8;dmqreplicate=1"];
    private readonly string _dir = Directory.CreateTempSubdirectory("htcluster-tls-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Dictionary<string, string?> Tls(string pfx, string? ca = null)
    {
        var values = new Dictionary<string, string?> { ["Cluster:TlsCertificate"] = pfx };
        if (ca is not null)
            values["Cluster:TlsCaCertificate"] = ca;
        return values;
    }

    private static int UpMembers(ClusterNode of) => Cluster.Get(of.System).State.Members.Count(m => m.Status == MemberStatus.Up);

    private static async Task ReplicatesAsync(ClusterNode from, ClusterNode to, string key)
    {
        await from.ResultAsync("htable.sets", "r", key, "v-" + key);
        await ClusterNode.EventuallyAsync(async () =>
            Assert.Equal("v-" + key, (await to.ResultAsync("htable.get", "r", key)).GetProperty("item").GetProperty("value").GetString()));
    }

    // The node with the untrusted certificate never becomes a member; its outbound handshake fails,
    // so it stops with the reason (the published binary exits 6); the members stay as they were.
    private static async Task RefusedAsync(ClusterNode seed, ClusterNode stranger, int members, string refusal)
    {
        var readiness = stranger.Services.GetRequiredService<Readiness>();
        var stopping = stranger.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!stopping.IsCancellationRequested && DateTime.UtcNow < until)
        {
            Assert.Equal(members, UpMembers(seed));
            await Task.Delay(100);
        }
        Assert.True(stopping.IsCancellationRequested, "the node with the wrong certificate kept running");
        Assert.True(readiness.RefusedByTls);
        Assert.Contains(refusal, readiness.Refused, StringComparison.Ordinal);
        Assert.False(readiness.IsReady);
        // The members go on: still the same, and still replicating between them.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(members, UpMembers(seed));
    }

    [Fact]
    public async Task Nodes_sharing_one_certificate_form_a_cluster_and_a_node_with_another_is_refused()
    {
        using var shared = TestCertificates.SelfSigned("CN=htcluster");
        using var other = TestCertificates.SelfSigned("CN=htcluster");
        var sharedPfx = TestCertificates.WritePfx(shared, _dir, "shared.pfx");
        var otherPfx = TestCertificates.WritePfx(other, _dir, "other.pfx");

        await using var n1 = await ClusterNode.StartAsync("n1", Tables, settings: Tls(sharedPfx));
        await n1.WaitReadyAsync();
        await using var n2 = await ClusterNode.StartAsync("n2", Tables, n1, Tls(sharedPfx));
        await n2.WaitReadyAsync();
        await ReplicatesAsync(n1, n2, "k1");
        await ReplicatesAsync(n2, n1, "k2");

        await using var n3 = await ClusterNode.StartAsync("n3", Tables, n1, Tls(otherPfx));
        await RefusedAsync(n1, n3, members: 2, "is not this cluster's certificate (Cluster:TlsCertificate)");
        await ReplicatesAsync(n2, n1, "k3");
    }

    [Fact]
    public async Task Nodes_with_certificates_of_one_ca_form_a_cluster_and_a_node_of_another_ca_is_refused()
    {
        using var ca = TestCertificates.SelfSigned("CN=htcluster-ca", ca: true);
        using var rogueCa = TestCertificates.SelfSigned("CN=htcluster-ca", ca: true);
        var caFile = Path.Combine(_dir, "ca.pem");
        await File.WriteAllTextAsync(caFile, ca.ExportCertificatePem());
        using var c1 = TestCertificates.IssuedBy(ca, "CN=node1");
        using var c2 = TestCertificates.IssuedBy(ca, "CN=node2");
        using var c3 = TestCertificates.IssuedBy(rogueCa, "CN=node3");

        await using var n1 = await ClusterNode.StartAsync("n1", Tables, settings: Tls(TestCertificates.WritePfx(c1, _dir, "1.pfx"), caFile));
        await n1.WaitReadyAsync();
        await using var n2 = await ClusterNode.StartAsync("n2", Tables, n1, Tls(TestCertificates.WritePfx(c2, _dir, "2.pfx"), caFile));
        await n2.WaitReadyAsync();
        await ReplicatesAsync(n1, n2, "k1");

        var rogueCaFile = Path.Combine(_dir, "rogue-ca.pem");
        await File.WriteAllTextAsync(rogueCaFile, rogueCa.ExportCertificatePem());
        await using var n3 = await ClusterNode.StartAsync("n3", Tables, n1, Tls(TestCertificates.WritePfx(c3, _dir, "3.pfx"), rogueCaFile));
        await RefusedAsync(n1, n3, members: 2, "does not chain to Cluster:TlsCaCertificate");
        await ReplicatesAsync(n2, n1, "k2");
    }
}
