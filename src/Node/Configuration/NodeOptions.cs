namespace HTableCluster.Node.Configuration;

/// <summary>Identity and network settings of one node (configuration section <c>Node</c>).</summary>
public sealed class NodeOptions
{
    /// <summary>Unique node id; default <c>&lt;PublicHost&gt;:&lt;ClusterPort&gt;</c>.</summary>
    public string? NodeId { get; set; }

    /// <summary>Address Akka.Remote binds (default 127.0.0.1).</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Host name advertised to peers (default: <see cref="Host"/>).</summary>
    public string? PublicHost { get; set; }

    /// <summary>Akka.Remote TCP port (default 4053; 0 picks a free port).</summary>
    public int ClusterPort { get; set; } = 4053;

    /// <summary>Address the HTTP endpoint (JSON-RPC, health, metrics) binds (default 127.0.0.1).</summary>
    public string RpcBind { get; set; } = "127.0.0.1";

    /// <summary>HTTP port (default 7080; 0 picks a free port).</summary>
    public int RpcPort { get; set; } = 7080;

    /// <summary>Single-writer partitions per table (default 8, at most the table's slot count).</summary>
    public int Partitions { get; set; } = 8;

    /// <summary>
    /// After the managed heap grew or shrank by this many MiB (a bulk load, a flush) and writes went
    /// quiet, the node compacts its heap once and gives the freed memory back to the OS (default 32;
    /// 0 = never). See <see cref="MemoryCompactor"/>.
    /// </summary>
    public int CompactAfterMiB { get; set; } = 32;

    /// <summary>The advertised host.</summary>
    public string EffectivePublicHost => string.IsNullOrEmpty(PublicHost) ? Host : PublicHost;

    /// <summary>The node id.</summary>
    public string EffectiveNodeId => string.IsNullOrEmpty(NodeId) ? $"{EffectivePublicHost}:{ClusterPort}" : NodeId;
}

/// <summary>Cluster membership (configuration section <c>Cluster</c>).</summary>
public sealed class ClusterOptions
{
    /// <summary>
    /// Seed node addresses, e.g. <c>akka.tcp://htcluster@node1:4053</c>; empty = this node alone. With
    /// <see cref="TlsCertificate"/> set they are used as <c>akka.ssl.tcp://</c> (either form may be written).
    /// </summary>
    public List<string> Seeds { get; set; } = [];

    /// <summary>
    /// Seconds the membership must stay unchanged before the split-brain resolver downs unreachable
    /// members (the side without a majority downs itself; default 20).
    /// </summary>
    public int DownAfterSeconds { get; set; } = 20;

    /// <summary>
    /// PKCS#12 (.pfx/.p12) file with the certificate and private key this node presents to its peers;
    /// set, the cluster transport runs over mutual TLS (default empty: plain TCP). See
    /// <see cref="ClusterTls"/> for which peers are accepted.
    /// </summary>
    public string TlsCertificate { get; set; } = "";

    /// <summary>Password of <see cref="TlsCertificate"/> (default empty: none).</summary>
    public string TlsCertificatePassword { get; set; } = "";

    /// <summary>File whose first line is the password of <see cref="TlsCertificate"/>, so it need not sit in the environment (default empty).</summary>
    public string TlsCertificatePasswordFile { get; set; } = "";

    /// <summary>
    /// PEM or DER file with the CA certificate(s) a peer's certificate must chain to (default empty:
    /// a peer must present the very certificate of <see cref="TlsCertificate"/>, one shared certificate).
    /// </summary>
    public string TlsCaCertificate { get; set; } = "";
}

/// <summary>
/// htable module parameters with Kamailio's names and defaults (configuration section <c>Htable</c>).
/// </summary>
public sealed class HtableOptions
{
    /// <summary>Table definitions in Kamailio syntax (the repeatable <c>htable</c> modparam).</summary>
    public List<string> Tables { get; set; } = [];

    /// <summary>Database URL for preload and write-back (empty = none).</summary>
    public string DbUrl { get; set; } = "";

    /// <summary>Column with the key name.</summary>
    public string KeyNameColumn { get; set; } = "key_name";

    /// <summary>Column with the key type (0 simple, 1 array).</summary>
    public string KeyTypeColumn { get; set; } = "key_type";

    /// <summary>Column with the value type (0 string, 1 integer).</summary>
    public string ValueTypeColumn { get; set; } = "value_type";

    /// <summary>Column with the value.</summary>
    public string KeyValueColumn { get; set; } = "key_value";

    /// <summary>Column with the expiry.</summary>
    public string ExpiresColumn { get; set; } = "expires";

    /// <summary>Suffix of the key holding an array's length.</summary>
    public string ArraySizeSuffix { get; set; } = "::size";

    /// <summary>Rows fetched per database round trip.</summary>
    public int FetchRows { get; set; } = 100;

    /// <summary>Seconds between expiry sweeps.</summary>
    public int TimerInterval { get; set; } = 20;

    /// <summary>1 = load and save expiry values from/to the database.</summary>
    public int DbExpires { get; set; }

    /// <summary>1 = replicate tables marked dmqreplicate=1.</summary>
    public int EnableDmq { get; set; } = 1;

    /// <summary>1 = take a snapshot from a peer at join (Kamailio's default is 0).</summary>
    public int DmqInitSync { get; set; } = 1;

    /// <summary>Kamailio-only (own timer processes): accepted and ignored.</summary>
    public int TimerProcs { get; set; }

    /// <summary>Kamailio-only (KEMI event callback): accepted and ignored.</summary>
    public string EventCallback { get; set; } = "";

    /// <summary>
    /// Who fires the expired events of a replicated table: <c>cluster</c> (default) one member per
    /// item, chosen by rendezvous hash of (table, key) over the Up members, delivered to subscribers
    /// on every node; <c>node</c> every node for what it collects, as Kamailio does.
    /// </summary>
    public string EventMode { get; set; } = "cluster";

    /// <summary>
    /// Seconds a member not ranked first for an expired item waits for the owner's event before it
    /// fires it itself (per rank; default 0 = 2 × <see cref="TimerInterval"/> + 5).
    /// </summary>
    public int EventGraceSeconds { get; set; }

    /// <summary>
    /// Optional webhook per table: table name to an http(s) URL each of the table's events
    /// (expired, reloaded) delivered on this node is POSTed to as JSON (default none).
    /// </summary>
    public Dictionary<string, string> Webhooks { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Milliseconds one webhook request may take before it counts as failed (default 5000).</summary>
    public int WebhookTimeoutMs { get; set; } = 5000;

    /// <summary>Attempts per event before it is dropped (counted in /metrics; default 4).</summary>
    public int WebhookAttempts { get; set; } = 4;

    /// <summary>Milliseconds before the first retry, doubled at each further one (default 1000).</summary>
    public int WebhookBackoffMs { get; set; } = 1000;
}

/// <summary>Limits and threading of the RPC endpoint (configuration section <c>Rpc</c>).</summary>
public sealed class RpcOptions
{
    /// <summary>Largest key in UTF-8 bytes.</summary>
    public int MaxKeyBytes { get; set; } = 4096;

    /// <summary>Largest string value in UTF-8 bytes.</summary>
    public int MaxValueBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest HTTP request body.</summary>
    public int MaxBodyBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Most calls in one JSON-RPC batch.</summary>
    public int MaxBatch { get; set; } = 10_000;

    /// <summary>Most items one page of <c>htable.iterate</c> or <c>htable.dump</c> returns.</summary>
    public int MaxPage { get; set; } = 100_000;

    /// <summary>
    /// Runs single calls on the socket threads (Kestrel's UnsafePreferInlineScheduling, .NET's inline
    /// socket completions, and a single write answered on its partition writer's thread): fewer thread
    /// hops per call. Table scans and large batches still move to the thread pool. Default true;
    /// false keeps .NET's defaults.
    /// </summary>
    public bool InlineIo { get; set; } = true;

    /// <summary>
    /// Bearer token required on <c>/RPC</c>, <c>/events</c> and <c>/metrics</c> (<c>Authorization:
    /// Bearer TOKEN</c>); the health probes stay open. At least 16 characters, printable ASCII without
    /// spaces. Default empty: no token.
    /// </summary>
    public string Token { get; set; } = "";

    /// <summary>File holding the token (its first line), so it need not sit in the environment; instead of <see cref="Token"/>.</summary>
    public string TokenFile { get; set; } = "";
}

/// <summary>
/// The accounting log writer (configuration section <c>FlatStore</c>; db_flatstore's parameters and
/// the directory of acc's <c>flatstore:/dir</c> db_url).
/// </summary>
public sealed class FlatStoreSettings
{
    /// <summary>Directory of the files, which must exist (empty = no flatstore: <c>flatstore.insert</c> answers an error).</summary>
    public string Dir { get; set; } = "";

    /// <summary>db_flatstore's <c>flush</c>: 1 (default) a record has reached the OS before it is acknowledged; 0 buffered.</summary>
    public int Flush { get; set; } = 1;

    /// <summary>Milliseconds between fsyncs of the files (0 = never, the OS writes them back).</summary>
    public int FsyncIntervalMs { get; set; }

    /// <summary>With <see cref="Flush"/> 0, milliseconds until buffered records are handed to the OS (default 1000).</summary>
    public int BufferFlushIntervalMs { get; set; } = 1000;

    /// <summary>Most tables written, each with its own file (default 256); records for more are refused.</summary>
    public int MaxTables { get; set; } = 256;

    /// <summary>True when a directory is set.</summary>
    public bool Enabled => Dir.Length > 0;

    /// <summary>The writer's options for node <paramref name="nodeId"/>.</summary>
    public HTableCluster.FlatStore.FlatStoreOptions ToOptions(string nodeId) => new()
    {
        Directory = Dir,
        NodeId = nodeId,
        Flush = Flush == 1,
        FsyncInterval = TimeSpan.FromMilliseconds(FsyncIntervalMs),
        BufferFlushInterval = TimeSpan.FromMilliseconds(BufferFlushIntervalMs),
        MaxTables = MaxTables,
    };
}
