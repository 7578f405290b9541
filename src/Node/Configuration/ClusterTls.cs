using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace HTableCluster.Node.Configuration;

/// <summary>
/// Mutual TLS of the cluster transport (<c>Cluster:TlsCertificate</c>). Every node presents its
/// certificate and checks its peer's, on inbound and outbound connections alike. A peer is accepted
/// when its certificate chains to one of the CA certificates of <c>Cluster:TlsCaCertificate</c>
/// (the system trust store is not consulted, host names are not checked: peers connect by address),
/// or, with no CA file, when it presents exactly this node's own certificate (one certificate
/// shared by the cluster, compared by its SHA-256 fingerprint). Anything else fails the handshake.
/// </summary>
public sealed class ClusterTls
{
    private readonly byte[] _ownFingerprint;

    private ClusterTls(X509Certificate2 certificate, X509Certificate2Collection authorities)
    {
        Certificate = certificate;
        Authorities = authorities;
        _ownFingerprint = certificate.GetCertHash(HashAlgorithmName.SHA256);
    }

    /// <summary>The certificate (with its private key) this node presents.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The CA certificates a peer must chain to; empty: the peer must present <see cref="Certificate"/> itself.</summary>
    public X509Certificate2Collection Authorities { get; }

    /// <summary>How peers are checked, for the start-up log.</summary>
    public string Describe() => Authorities.Count > 0
        ? $"peers must present a certificate issued by {string.Join(", ", Authorities.Select(a => a.Subject))}"
        : $"peers must present this node's certificate ({Certificate.Subject}, SHA-256 {Convert.ToHexString(_ownFingerprint)})";

    /// <summary>True when a peer presenting <paramref name="peer"/> (and the intermediates in <paramref name="presented"/>) is accepted.</summary>
    public bool Accepts(X509Certificate2? peer, X509Chain? presented, out string reason)
    {
        if (peer is null)
        {
            reason = "the peer presented no certificate";
            return false;
        }
        if (Authorities.Count == 0)
        {
            var ok = CryptographicOperations.FixedTimeEquals(peer.GetCertHash(HashAlgorithmName.SHA256), _ownFingerprint);
            reason = ok ? "" : $"the peer's certificate ({peer.Subject}, SHA-256 {peer.GetCertHashString(HashAlgorithmName.SHA256)}) is not this cluster's certificate (Cluster:TlsCertificate)";
            return ok;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(Authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }
        if (chain.Build(peer))
        {
            reason = "";
            return true;
        }
        reason = $"the peer's certificate ({peer.Subject}, issued by {peer.Issuer}) does not chain to Cluster:TlsCaCertificate: "
            + string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0));
        return false;
    }

    /// <summary>Loads and checks the certificate files; null when no certificate is configured.</summary>
    public static ClusterTls? Load(ClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.TlsCertificate.Length == 0)
        {
            foreach (var (key, value) in new[] { ("Cluster:TlsCertificatePassword", options.TlsCertificatePassword), ("Cluster:TlsCertificatePasswordFile", options.TlsCertificatePasswordFile), ("Cluster:TlsCaCertificate", options.TlsCaCertificate) })
            {
                if (value.Length > 0)
                    throw new OptionsException(key, key.EndsWith("Password", StringComparison.Ordinal) ? "(hidden)" : value, "applies only with Cluster:TlsCertificate");
            }
            return null;
        }
        if (options.TlsCertificatePassword.Length > 0 && options.TlsCertificatePasswordFile.Length > 0)
            throw new OptionsException("Cluster:TlsCertificatePasswordFile", options.TlsCertificatePasswordFile, "set either Cluster:TlsCertificatePassword or Cluster:TlsCertificatePasswordFile, not both");
        var password = options.TlsCertificatePasswordFile.Length > 0
            ? NodeSettings.FirstLine("Cluster:TlsCertificatePasswordFile", options.TlsCertificatePasswordFile)
            : options.TlsCertificatePassword;
        if (!File.Exists(options.TlsCertificate))
            throw new OptionsException("Cluster:TlsCertificate", options.TlsCertificate, "file not found");
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(options.TlsCertificate, password.Length == 0 ? null : password);
        }
        catch (CryptographicException ex)
        {
            throw new OptionsException("Cluster:TlsCertificate", options.TlsCertificate,
                "cannot load it as a PKCS#12 file with the password of Cluster:TlsCertificatePassword(File): " + ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new OptionsException("Cluster:TlsCertificate", options.TlsCertificate, "cannot read the file: " + ex.Message);
        }
        if (!certificate.HasPrivateKey)
            throw new OptionsException("Cluster:TlsCertificate", options.TlsCertificate, "the file has no private key (export the certificate with its key)");
        var now = DateTime.Now;
        if (now < certificate.NotBefore || now > certificate.NotAfter)
            throw new OptionsException("Cluster:TlsCertificate", options.TlsCertificate, $"the certificate is valid from {certificate.NotBefore:u} to {certificate.NotAfter:u} only");
        var authorities = new X509Certificate2Collection();
        if (options.TlsCaCertificate.Length > 0)
        {
            if (!File.Exists(options.TlsCaCertificate))
                throw new OptionsException("Cluster:TlsCaCertificate", options.TlsCaCertificate, "file not found");
            try
            {
                if (File.ReadAllText(options.TlsCaCertificate).Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
                    authorities.ImportFromPemFile(options.TlsCaCertificate);
                else
                    authorities.Add(X509CertificateLoader.LoadCertificateFromFile(options.TlsCaCertificate));
            }
            catch (CryptographicException ex)
            {
                throw new OptionsException("Cluster:TlsCaCertificate", options.TlsCaCertificate, "cannot load a certificate (PEM or DER) from it: " + ex.Message);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new OptionsException("Cluster:TlsCaCertificate", options.TlsCaCertificate, "cannot read the file: " + ex.Message);
            }
            if (authorities.Count == 0)
                throw new OptionsException("Cluster:TlsCaCertificate", options.TlsCaCertificate, "the file holds no certificate");
        }
        var tls = new ClusterTls(certificate, authorities);
        // This node's own certificate must pass the check it applies to its peers, or no peer could pass it.
        if (authorities.Count > 0 && !tls.Accepts(certificate, null, out var reason))
            throw new OptionsException("Cluster:TlsCertificate", options.TlsCertificate, "this node's own certificate would be refused by its peers: " + reason);
        return tls;
    }
}
