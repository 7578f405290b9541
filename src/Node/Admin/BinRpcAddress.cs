using System.Globalization;
using System.Net;

namespace HTableCluster.Node.Admin;

/// <summary>
/// One BINRPC listen address in the forms of Kamailio's ctl module: <c>unix:/path</c> (also
/// <c>unixs:/path</c> or a bare <c>/path</c>), <c>tcp:host:port</c>, <c>tcp:port</c> (loopback) and
/// <c>tcp:*:port</c> (every interface). Datagram forms (<c>udp:</c>, <c>unixd:</c>) and FIFOs are not served.
/// </summary>
public sealed record BinRpcAddress(string? Path, IPEndPoint? Tcp)
{
    /// <summary>Parses a comma-separated list; a bad entry throws <see cref="FormatException"/> naming it.</summary>
    public static IReadOnlyList<BinRpcAddress> ParseList(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var list = new List<BinRpcAddress>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            list.Add(Parse(part));
        return list;
    }

    /// <summary>Parses one address.</summary>
    public static BinRpcAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.StartsWith('/'))
            return new BinRpcAddress(text, null);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var scheme = colon < 0 ? "" : text[..colon].ToLowerInvariant();
        var rest = colon < 0 ? "" : text[(colon + 1)..];
        switch (scheme)
        {
            case "unix" or "unixs" or "unixstream":
                if (!rest.StartsWith('/'))
                    throw new FormatException($"'{text}': a unix socket needs an absolute path (unix:/run/htcluster/ctl)");
                return new BinRpcAddress(rest, null);
            case "tcp":
                return new BinRpcAddress(null, Endpoint(text, rest));
            case "udp" or "unixd" or "unixdgram" or "fifo":
                throw new FormatException($"'{text}': {scheme} is not served; BINRPC listens on unix:/path and tcp:host:port");
            default:
                throw new FormatException($"'{text}': expected unix:/path, tcp:host:port or tcp:port");
        }
    }

    /// <summary>Parses <c>host:port</c>, <c>[v6]:port</c> or a bare <c>port</c> (loopback); <paramref name="text"/> names the whole address in errors.</summary>
    internal static IPEndPoint Endpoint(string text, string rest)
    {
        // IPv6 in brackets: tcp:[::1]:2049.
        var colon = rest.StartsWith('[') ? rest.IndexOf("]:", StringComparison.Ordinal) + 1 : rest.LastIndexOf(':');
        var host = colon <= 0 ? "127.0.0.1" : rest[..colon].Trim('[', ']');
        var portText = colon <= 0 ? rest : rest[(colon + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
            throw new FormatException($"'{text}': bad port '{portText}'");
        IPAddress address;
        if (host is "*" or "0.0.0.0")
            address = IPAddress.Any;
        else if (host == "localhost")
            address = IPAddress.Loopback;
        else if (!IPAddress.TryParse(host, out address!))
            throw new FormatException($"'{text}': '{host}' is not an IP address (use 127.0.0.1, * for every interface, or an interface's address)");
        return new IPEndPoint(address, port);
    }

    /// <inheritdoc />
    public override string ToString() => Path is not null ? "unix:" + Path : "tcp:" + Tcp;
}
