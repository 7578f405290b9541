using System.Globalization;
using HTableCluster.Node.Resp;
using HTableCluster.Replication;
using HTableCluster.Storage;
using Microsoft.Extensions.Configuration;

namespace HTableCluster.Node.Configuration;

/// <summary>
/// Every option of a node, bound and validated. Sources, lowest to highest precedence: embedded
/// defaults, appsettings.json beside the binary, <c>--kamailio-cfg</c>, <c>--config FILE</c>,
/// <c>HTABLE_*</c> environment variables, the command line.
/// </summary>
public sealed class NodeSettings
{
    /// <summary>Table used when no table is configured, so a bare node is usable at once.</summary>
    public const string DemoTable = "t=>size=10;autoexpire=0;dmqreplicate=1";

    /// <summary>
    /// The configuration sections a node reads (<c>Logging</c> is Microsoft.Extensions.Logging's);
    /// a key under any other section is refused, so a misspelt section cannot be ignored silently.
    /// </summary>
    public static readonly IReadOnlyList<string> Sections = ["Node", "Cluster", "Htable", "Rpc", "Replication", "FlatStore", "Resp", "Admin", "Logging"];

    /// <summary>Identity and network.</summary>
    public required NodeOptions Node { get; init; }

    /// <summary>Membership.</summary>
    public required ClusterOptions Cluster { get; init; }

    /// <summary>htable module parameters.</summary>
    public required HtableOptions Htable { get; init; }

    /// <summary>RPC limits.</summary>
    public required RpcOptions Rpc { get; init; }

    /// <summary>Replication tuning (bound as it is: the replication layer's own options type).</summary>
    public ReplicationOptions Replication { get; init; } = new();

    /// <summary>The accounting log writer.</summary>
    public FlatStoreSettings FlatStore { get; init; } = new();

    /// <summary>The Redis protocol endpoint (off unless <c>Resp:Port</c> is set).</summary>
    public RespOptions Resp { get; init; } = new();

    /// <summary>Kamailio's local admin protocols (BINRPC).</summary>
    public AdminOptions Admin { get; init; } = new();

    /// <summary>The BINRPC listen addresses parsed from <c>Admin:BinRpc</c> (empty: no listener).</summary>
    public IReadOnlyList<HTableCluster.Node.Admin.BinRpcAddress> BinRpcAddresses { get; init; } = [];

    /// <summary>The JSON-RPC datagram socket parsed from <c>Admin:JsonRpcDgram</c> (null: none).</summary>
    public HTableCluster.Node.Admin.JsonRpcSocketAddress? JsonRpcDgramAddress { get; init; }

    /// <summary>The JSON-RPC TCP address parsed from <c>Admin:JsonRpcTcp</c> (null: none).</summary>
    public HTableCluster.Node.Admin.JsonRpcSocketAddress? JsonRpcTcpAddress { get; init; }

    /// <summary>The bearer token of the HTTP endpoint (from <c>Rpc:Token</c> or <c>Rpc:TokenFile</c>); null when none is set.</summary>
    public string? RpcToken { get; init; }

    /// <summary>TLS of the cluster transport (from <c>Cluster:Tls*</c>); null when it is plain TCP.</summary>
    public ClusterTls? ClusterTls { get; init; }

    /// <summary>Parsed table definitions (the demo table when none is configured).</summary>
    public required IReadOnlyList<TableOptions> Tables { get; init; }

    /// <summary>Notes for the start-up log (e.g. imported parameters that do not apply).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Warnings for the start-up log (e.g. table attributes of an imported kamailio.cfg that this version does not know).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The <c>Logging</c> section (levels per category, as Microsoft.Extensions.Logging reads them).</summary>
    public IConfiguration Logging { get; init; } = new ConfigurationBuilder().Build();

    /// <summary>
    /// Binds and validates; throws <see cref="OptionsException"/> naming the key and value. A table
    /// definition that is one of <paramref name="importedTables"/> (read from a kamailio.cfg, written
    /// for whatever Kamailio version runs it) may carry attributes this version does not know: each
    /// is a warning naming it, and the rest of the definition applies. In any other definition (our
    /// command line, configuration file or environment) an unknown attribute stays an error: it is
    /// most likely a typo (<c>autoexpir=60</c>), and ignoring it would silently give another table.
    /// </summary>
    public static NodeSettings Load(IConfiguration configuration, IReadOnlyList<string>? notes = null, IReadOnlyCollection<string>? importedTables = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        RefuseUnknownSections(configuration);
        var logging = configuration.GetSection("Logging");
        LogLevels.Validate(logging);
        var node = Bind<NodeOptions>(configuration, "Node");
        var cluster = Bind<ClusterOptions>(configuration, "Cluster");
        var htable = Bind<HtableOptions>(configuration, "Htable");
        var rpc = Bind<RpcOptions>(configuration, "Rpc");
        var replication = Bind<ReplicationOptions>(configuration, "Replication");
        var flatstore = Bind<FlatStoreSettings>(configuration, "FlatStore");
        var resp = Bind<RespOptions>(configuration, "Resp");
        var admin = Bind<AdminOptions>(configuration, "Admin");
        var binRpc = ValidateAdmin(admin);

        Port("Node:ClusterPort", node.ClusterPort);
        Port("Node:RpcPort", node.RpcPort);
        Range("Node:Partitions", node.Partitions, 1, 1024);
        Range("Node:CompactAfterMiB", node.CompactAfterMiB, 0, 1024 * 1024);
        Range("Cluster:DownAfterSeconds", cluster.DownAfterSeconds, 1, 3600);
        Range("Htable:TimerInterval", htable.TimerInterval, 1, 86_400);
        Range("Htable:EventGraceSeconds", htable.EventGraceSeconds, 0, 86_400);
        if (htable.EventMode is not ("cluster" or "node"))
            throw new OptionsException("Htable:EventMode", htable.EventMode, "must be cluster or node");
        Range("Htable:WebhookTimeoutMs", htable.WebhookTimeoutMs, 1, 600_000);
        Range("Htable:WebhookAttempts", htable.WebhookAttempts, 1, 100);
        Range("Htable:WebhookBackoffMs", htable.WebhookBackoffMs, 0, 600_000);
        foreach (var (table, url) in htable.Webhooks)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new OptionsException($"Htable:Webhooks:{table}", url, "expected an http:// or https:// URL");
        }
        Range("Htable:FetchRows", htable.FetchRows, 1, 1_000_000);
        Range("Htable:DbExpires", htable.DbExpires, 0, 1);
        Range("Htable:EnableDmq", htable.EnableDmq, 0, 1);
        Range("Htable:DmqInitSync", htable.DmqInitSync, 0, 1);
        Range("Rpc:MaxKeyBytes", rpc.MaxKeyBytes, 1, 1 << 20);
        Range("Rpc:MaxValueBytes", rpc.MaxValueBytes, 1, 64 << 20);
        Range("Rpc:MaxBodyBytes", rpc.MaxBodyBytes, 1024, 256 << 20);
        Range("Rpc:MaxBatch", rpc.MaxBatch, 1, 1_000_000);
        Range("Rpc:MaxPage", rpc.MaxPage, 1, 10_000_000);
        Range("Replication:MaxBatchBytes", replication.MaxBatchBytes, 1024, 8 << 20);
        Range("Replication:RetransmitMiB", replication.RetransmitMiB, 1, 64 * 1024);
        Range("Replication:HeadsIntervalMs", replication.HeadsIntervalMs, 10, 60_000);
        Range("Replication:AntiEntropySeconds", replication.AntiEntropySeconds, 0, 86_400);
        Range("Replication:SyncTimeoutSeconds", replication.SyncTimeoutSeconds, 1, 3600);
        Range("Replication:WriteConcern", replication.WriteConcern, 0, 64);
        Range("Replication:WriteConcernTimeoutMs", replication.WriteConcernTimeoutMs, 10, 600_000);
        Range("Replication:TombstoneGraceSeconds", replication.TombstoneGraceSeconds, 1, 7 * 86_400);
        Range("FlatStore:Flush", flatstore.Flush, 0, 1);
        Range("FlatStore:FsyncIntervalMs", flatstore.FsyncIntervalMs, 0, 3_600_000);
        Range("FlatStore:BufferFlushIntervalMs", flatstore.BufferFlushIntervalMs, 1, 60_000);
        Range("FlatStore:MaxTables", flatstore.MaxTables, 1, 65_536);
        if (flatstore.Enabled && !Directory.Exists(flatstore.Dir))
            throw new OptionsException("FlatStore:Dir", flatstore.Dir, "no such directory (the node writes its files into an existing directory)");
        if (htable.DbUrl.Length > 0)
        {
            try
            {
                Storage.Postgres.DbUrl.ToConnectionString(htable.DbUrl);
            }
            catch (FormatException ex)
            {
                throw new OptionsException("Htable:DbUrl", Storage.Postgres.DbUrl.Redact(htable.DbUrl), ex.Message);
            }
        }
        if (System.Text.Encoding.UTF8.GetByteCount(node.EffectiveNodeId) > 200)
            throw new OptionsException("Node:NodeId", node.EffectiveNodeId, "longer than 200 bytes");
        if (string.IsNullOrWhiteSpace(node.Host))
            throw new OptionsException("Node:Host", node.Host, "must not be empty");
        if (node.Host is "0.0.0.0" or "::" && string.IsNullOrEmpty(node.PublicHost))
            throw new OptionsException("Node:PublicHost", node.PublicHost, $"required when Node:Host is {node.Host}: peers need an address they can reach");
        if (node.RpcBind is not ("*" or "localhost") && !System.Net.IPAddress.TryParse(node.RpcBind, out _))
            throw new OptionsException("Node:RpcBind", node.RpcBind, "expected an IP address, 0.0.0.0 or * (all), or localhost");
        var token = RpcTokenOf(rpc);
        // BINRPC has no field for a bearer token (kamcmd cannot send one): with a token required on
        // the HTTP endpoint, BINRPC may only listen where the network cannot reach it.
        if (token is not null && binRpc.FirstOrDefault(a => a.Tcp is { } tcp && !System.Net.IPAddress.IsLoopback(tcp.Address)) is { } open)
            throw new OptionsException("Admin:BinRpc", admin.BinRpc, $"{open} is reachable from the network but BINRPC cannot carry the bearer token (Rpc:Token): listen on a unix socket or a loopback address");
        var (jsonRpcDgram, jsonRpcTcp) = ValidateJsonRpcSockets(admin, token);
        var tls = ClusterTls.Load(cluster);
        for (var i = 0; i < cluster.Seeds.Count; i++)
        {
            var seed = cluster.Seeds[i];
            if (!Uri.TryCreate(seed, UriKind.Absolute, out var uri) || uri.Scheme is not ("akka.tcp" or "akka.ssl.tcp") || uri.UserInfo != "htcluster" || uri.Port <= 0)
                throw new OptionsException($"Cluster:Seeds:{i}", seed, "expected akka.tcp://htcluster@HOST:PORT");
            if (uri.Scheme == "akka.ssl.tcp" && tls is null)
                throw new OptionsException($"Cluster:Seeds:{i}", seed, "akka.ssl.tcp needs Cluster:TlsCertificate (or write akka.tcp://)");
            // Over TLS the transport's protocol is akka.ssl.tcp: the seeds keep their akka.tcp form in
            // the configuration, so turning TLS on changes no address.
            if (uri.Scheme == "akka.tcp" && tls is not null)
                cluster.Seeds[i] = "akka.ssl.tcp" + seed["akka.tcp".Length..];
        }

        var defs = htable.Tables.Count == 0 ? [DemoTable] : htable.Tables;
        var tables = new List<TableOptions>();
        var warnings = new List<string>();
        for (var i = 0; i < defs.Count; i++)
        {
            TableOptions t;
            try
            {
                var unknown = importedTables?.Contains(defs[i]) == true ? new List<string>() : null;
                t = TableOptions.Parse(defs[i], unknown);
                foreach (var attribute in unknown ?? [])
                    warnings.Add($"table {t.Name}: attribute '{attribute}' of the imported definition is not supported by this version; ignored");
            }
            catch (FormatException ex)
            {
                throw new OptionsException($"Htable:Tables:{i}", defs[i], ex.Message);
            }
            if (tables.Any(x => x.Name == t.Name))
                throw new OptionsException($"Htable:Tables:{i}", defs[i], $"table '{t.Name}' is defined twice");
            tables.Add(t);
        }
        ValidateResp(resp, node, tables);
        foreach (var table in htable.Webhooks.Keys)
        {
            if (!tables.Any(t => t.Name == table))
                throw new OptionsException($"Htable:Webhooks:{table}", null, $"no table '{table}' is defined");
        }

        return new NodeSettings { Node = node, Cluster = cluster, Htable = htable, Rpc = rpc, Replication = replication, FlatStore = flatstore, Resp = resp, Admin = admin, BinRpcAddresses = binRpc, JsonRpcDgramAddress = jsonRpcDgram, JsonRpcTcpAddress = jsonRpcTcp, Tables = tables, RpcToken = token, ClusterTls = tls, Notes = notes ?? [], Warnings = warnings, Logging = logging };
    }

    private static void ValidateResp(RespOptions resp, NodeOptions node, List<TableOptions> tables)
    {
        if (resp.Port is { } port)
        {
            Port("Resp:Port", port);
            if (port != 0 && port == node.RpcPort)
                throw new OptionsException("Resp:Port", port.ToString(CultureInfo.InvariantCulture), "is Node:RpcPort too; the Redis protocol endpoint needs a port of its own");
        }
        if (resp.Address is not ("*" or "localhost") && !System.Net.IPAddress.TryParse(resp.Address, out _))
            throw new OptionsException("Resp:Address", resp.Address, "expected an IP address, 0.0.0.0 or * (all), or localhost");
        for (var i = 0; i < resp.Databases.Count; i++)
        {
            var name = resp.Databases[i];
            if (!tables.Any(t => t.Name == name))
                throw new OptionsException($"Resp:Databases:{i}", name, $"no table '{name}' is defined (the tables are {string.Join(", ", tables.Select(t => t.Name))})");
            if (resp.Databases.IndexOf(name) != i)
                throw new OptionsException($"Resp:Databases:{i}", name, $"table '{name}' is listed twice");
        }
        Range("Resp:MaxReplyKeys", resp.MaxReplyKeys, 1, 100_000_000);
        Range("Resp:MaxBulkBytes", resp.MaxBulkBytes, 1, 512 << 20);
        Range("Resp:MaxArgs", resp.MaxArgs, 1, 64 << 20);
        Range("Resp:MaxInlineBytes", resp.MaxInlineBytes, 256, 16 << 20);
        Range("Resp:MaxOutputBytes", resp.MaxOutputBytes, 64 << 10, 1 << 30);
        Range("Resp:MaxClients", resp.MaxClients, 1, 1_000_000);
    }

    private static IReadOnlyList<HTableCluster.Node.Admin.BinRpcAddress> ValidateAdmin(AdminOptions admin)
    {
        IReadOnlyList<HTableCluster.Node.Admin.BinRpcAddress> addresses;
        try
        {
            addresses = HTableCluster.Node.Admin.BinRpcAddress.ParseList(admin.BinRpc);
        }
        catch (FormatException ex)
        {
            throw new OptionsException("Admin:BinRpc", admin.BinRpc, ex.Message);
        }
        ValidateSocketFile("Admin:BinRpc", admin.BinRpcMode, admin.BinRpcUser, admin.BinRpcGroup, "0600 or 0660");
        Range("Admin:BinRpcMaxRequestBytes", admin.BinRpcMaxRequestBytes, 64, 64 << 20);
        Range("Admin:BinRpcMaxReplyBytes", admin.BinRpcMaxReplyBytes, 1024, 256 << 20);
        Range("Admin:BinRpcMaxConnections", admin.BinRpcMaxConnections, 1, 100_000);
        Range("Admin:BinRpcIdleTimeoutSeconds", admin.BinRpcIdleTimeoutSeconds, 1, 86_400);
        Range("Admin:BinRpcWriteTimeoutSeconds", admin.BinRpcWriteTimeoutSeconds, 1, 3600);
        if (admin.JsonRpcFifo.Length > 0 && !admin.JsonRpcFifo.StartsWith('/'))
            throw new OptionsException("Admin:JsonRpcFifo", admin.JsonRpcFifo, "expected an absolute path");
        ValidateSocketFile("Admin:JsonRpcFifo", admin.JsonRpcFifoMode, "", "", "0660");
        Range("Admin:JsonRpcFifoWriteTimeoutSeconds", admin.JsonRpcFifoWriteTimeoutSeconds, 1, 3600);
        return addresses;
    }

    // The mode and owner of a local socket or FIFO: <prefix>Mode, <prefix>User, <prefix>Group (an
    // empty user or group: unchanged).
    private static void ValidateSocketFile(string prefix, string mode, string user, string group, string modeExample)
    {
        if (HTableCluster.Node.Admin.UnixOwner.ParseMode(mode) is null)
            throw new OptionsException(prefix + "Mode", mode, "expected an octal file mode such as " + modeExample);
        if (user.Length > 0 && HTableCluster.Node.Admin.UnixOwner.UserId(user) is null)
            throw new OptionsException(prefix + "User", user, "no such user (a name from /etc/passwd or a numeric uid)");
        if (group.Length > 0 && HTableCluster.Node.Admin.UnixOwner.GroupId(group) is null)
            throw new OptionsException(prefix + "Group", group, "no such group (a name from /etc/group or a numeric gid)");
    }

    private static (HTableCluster.Node.Admin.JsonRpcSocketAddress? Dgram, HTableCluster.Node.Admin.JsonRpcSocketAddress? Tcp) ValidateJsonRpcSockets(AdminOptions admin, string? token)
    {
        HTableCluster.Node.Admin.JsonRpcSocketAddress? dgram = null, tcp = null;
        try
        {
            if (admin.JsonRpcDgram.Trim().Length > 0)
                dgram = HTableCluster.Node.Admin.JsonRpcSocketAddress.ParseDgram(admin.JsonRpcDgram);
        }
        catch (FormatException ex)
        {
            throw new OptionsException("Admin:JsonRpcDgram", admin.JsonRpcDgram, ex.Message);
        }
        try
        {
            if (admin.JsonRpcTcp.Trim().Length > 0)
                tcp = HTableCluster.Node.Admin.JsonRpcSocketAddress.ParseTcp(admin.JsonRpcTcp);
        }
        catch (FormatException ex)
        {
            throw new OptionsException("Admin:JsonRpcTcp", admin.JsonRpcTcp, ex.Message);
        }
        ValidateSocketFile("Admin:JsonRpcDgram", admin.JsonRpcDgramMode, admin.JsonRpcDgramUser, admin.JsonRpcDgramGroup, "0660");
        Range("Admin:JsonRpcDgramTimeoutMilliseconds", admin.JsonRpcDgramTimeoutMilliseconds, 1, 3_600_000);
        Range("Admin:JsonRpcTcpTimeoutSeconds", admin.JsonRpcTcpTimeoutSeconds, 1, 3600);
        Range("Admin:JsonRpcTcpMaxConnections", admin.JsonRpcTcpMaxConnections, 1, 100_000);
        // Neither transport has a field for the bearer token: with one required on the HTTP
        // endpoint, they may only listen where the network cannot reach them.
        if (token is not null && dgram?.Endpoint is { } udp && !System.Net.IPAddress.IsLoopback(udp.Address))
            throw new OptionsException("Admin:JsonRpcDgram", admin.JsonRpcDgram, "is reachable from the network but JSON-RPC datagrams cannot carry the bearer token (Rpc:Token): use a unix socket or a loopback address");
        if (token is not null && tcp?.Endpoint is { } open && !System.Net.IPAddress.IsLoopback(open.Address))
            throw new OptionsException("Admin:JsonRpcTcp", admin.JsonRpcTcp, "is reachable from the network but JSON-RPC over TCP cannot carry the bearer token (Rpc:Token): listen on a loopback address");
        return (dgram, tcp);
    }

    /// <summary>Shortest bearer token accepted.</summary>
    public const int MinTokenLength = 16;

    private static string? RpcTokenOf(RpcOptions rpc)
    {
        if (rpc.Token.Length > 0 && rpc.TokenFile.Length > 0)
            throw new OptionsException("Rpc:TokenFile", rpc.TokenFile, "set either Rpc:Token or Rpc:TokenFile, not both");
        string key, token;
        if (rpc.TokenFile.Length > 0)
        {
            key = "Rpc:TokenFile";
            token = FirstLine(key, rpc.TokenFile);
        }
        else
        {
            key = "Rpc:Token";
            token = rpc.Token;
        }
        if (token.Length == 0)
            return null;
        // The value itself is never echoed: it is a secret.
        var shown = key == "Rpc:Token" ? "(hidden)" : rpc.TokenFile;
        if (token.Length < MinTokenLength)
            throw new OptionsException(key, shown, $"the token has {token.Length} characters; at least {MinTokenLength} are required");
        foreach (var c in token)
        {
            if (c is <= ' ' or > '~')
                throw new OptionsException(key, shown, "the token must be printable ASCII without spaces (it travels in an HTTP header)");
        }
        return token;
    }

    /// <summary>The first line of a secret file, without the line end; an empty or unreadable file names <paramref name="key"/>.</summary>
    internal static string FirstLine(string key, string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.SecurityException or ArgumentException or NotSupportedException)
        {
            throw new OptionsException(key, path, "cannot read the file: " + ex.Message);
        }
        var end = text.AsSpan().IndexOfAny('\r', '\n');
        var line = end < 0 ? text : text[..end];
        if (line.Length == 0)
            throw new OptionsException(key, path, "the file is empty (its first line is used)");
        return line;
    }

    private static void RefuseUnknownSections(IConfiguration configuration)
    {
        foreach (var section in configuration.GetChildren())
        {
            if (Sections.Contains(section.Key, StringComparer.OrdinalIgnoreCase))
                continue;
            // Name the first key set under it (what the operator wrote), e.g. Replcation:WriteConcern.
            var (key, value) = section.Value is not null
                ? (section.Path, section.Value)
                : section.AsEnumerable().Where(kv => kv.Value is not null).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value)).FirstOrDefault();
            var meant = Sections.Where(s => Distance(s.ToUpperInvariant(), section.Key.ToUpperInvariant()) <= Math.Max(1, s.Length / 4)).FirstOrDefault();
            // HTABLE_Node_RpcPort (one underscore) arrives as the section "Node_RpcPort".
            var hint = meant is not null ? $" (did you mean '{meant}'?)"
                : section.Key.Contains('_', StringComparison.Ordinal) ? " (environment variables separate section and key with two underscores: HTABLE_Node__RpcPort)"
                : "";
            throw new OptionsException(key ?? section.Path, value,
                $"'{section.Key}' is not a configuration section{hint}; the sections are {string.Join(", ", Sections)}");
        }
    }

    // Levenshtein distance, for the section a misspelt one probably meant.
    private static int Distance(string a, string b)
    {
        var row = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
            row[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            var diagonal = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }

    private static T Bind<T>(IConfiguration configuration, string section)
        where T : new()
    {
        var options = new T();
        // Only what an operator may set is a key: a read-only or non-public member of the type
        // (a derived value) named in the configuration is refused, not ignored.
        var settable = typeof(T).GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true })
            .Select(p => p.Name)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var child in configuration.GetSection(section).GetChildren())
        {
            if (!settable.Contains(child.Key))
                throw new OptionsException($"{section}:{child.Key}", child.Value, "not a setting of this section");
        }
        try
        {
            configuration.GetSection(section).Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            throw new OptionsException(section, null, ex.Message);
        }
        return options;
    }

    private static void Port(string key, int value) => Range(key, value, 0, 65535);

    private static void Range(string key, int value, int min, int max)
    {
        if (value < min || value > max)
            throw new OptionsException(key, value.ToString(CultureInfo.InvariantCulture), $"expected {min}..{max}");
    }
}

/// <summary>A configuration value that cannot be used; the message names the key and value.</summary>
public sealed class OptionsException(string key, string? value, string reason)
    : Exception(value is null ? $"invalid configuration '{key}': {reason}" : $"invalid configuration '{key}' = '{value}': {reason}")
{
    /// <summary>The configuration key.</summary>
    public string Key { get; } = key;
}
