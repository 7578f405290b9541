using System.Net;

namespace HTableCluster.Node.Admin;

/// <summary>
/// The address of a jsonrpcs socket: <c>dgram_socket</c>'s <c>unix:/path</c> (or a bare
/// <c>/path</c>) and <c>udp:host:port</c>, or <c>tcp_socket</c>'s <c>tcp:host:port</c>; a bare
/// port (<c>udp:9062</c>) means loopback, <c>*</c> every interface.
/// </summary>
public sealed record JsonRpcSocketAddress(string? Path, IPEndPoint? Endpoint)
{
    /// <summary>Parses a datagram address (<c>unix:</c> or <c>udp:</c>); a bad one throws <see cref="FormatException"/>.</summary>
    public static JsonRpcSocketAddress ParseDgram(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (text.StartsWith('/'))
            return new JsonRpcSocketAddress(text, null);
        if (text.StartsWith("unix:", StringComparison.OrdinalIgnoreCase))
        {
            var path = text[5..];
            if (!path.StartsWith('/'))
                throw new FormatException($"'{text}': a unix socket needs an absolute path (unix:/run/htcluster/kamailio_rpc.sock)");
            return new JsonRpcSocketAddress(path, null);
        }
        if (text.StartsWith("udp:", StringComparison.OrdinalIgnoreCase))
            return new JsonRpcSocketAddress(null, BinRpcAddress.Endpoint(text, text[4..]));
        throw new FormatException($"'{text}': expected unix:/path or udp:host:port");
    }

    /// <summary>Parses a TCP address (<c>tcp:host:port</c>); a bad one throws <see cref="FormatException"/>.</summary>
    public static JsonRpcSocketAddress ParseTcp(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (!text.StartsWith("tcp:", StringComparison.OrdinalIgnoreCase))
            throw new FormatException($"'{text}': expected tcp:host:port");
        return new JsonRpcSocketAddress(null, BinRpcAddress.Endpoint(text, text[4..]));
    }

    /// <inheritdoc />
    public override string ToString() => Path is not null ? "unix:" + Path : Endpoint!.ToString();
}
