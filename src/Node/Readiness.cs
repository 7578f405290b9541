using HTableCluster.Replication;

namespace HTableCluster.Node;

/// <summary>
/// What <c>/health/ready</c> answers, from named inputs: this node is an Up cluster member, its
/// table writers have started, its replicated tables have their initial snapshot, and no table is
/// still loading from its database. <see cref="Reasons"/> says which input is missing (the body of a
/// 503). Also carries what the cluster member learned about the node's fate (refused id, downed).
/// </summary>
public sealed class Readiness
{
    private readonly object _gate = new();
    private readonly SortedDictionary<string, string?> _loading = new(StringComparer.Ordinal);
    private volatile bool _memberUp;
    private volatile bool _tablesStarted;
    private volatile ReplicationStatus? _replication;
    private volatile bool _downed;
    private volatile string? _joining;
    private volatile string? _tlsRefusal;

    /// <summary>True when every input is met.</summary>
    public bool IsReady => Reasons().Count == 0;

    /// <summary>Why the node is not ready (empty when it is), one line each.</summary>
    public IReadOnlyList<string> Reasons()
    {
        var reasons = new List<string>();
        if (!_memberUp)
        {
            reasons.Add(_joining is { } joining ? "not an Up cluster member yet: " + joining : "not an Up cluster member yet");
            if (_tlsRefusal is { } refusal)
                reasons.Add("cluster TLS refused " + refusal);
        }
        if (!_tablesStarted)
            reasons.Add("table writers not started");
        if (_replication is { IsReady: false })
            reasons.Add("initial sync of replicated tables not done");
        lock (_gate)
        {
            foreach (var (table, detail) in _loading)
                reasons.Add(detail is null ? $"table {table} still loading" : $"table {table} still loading: {detail}");
        }
        return reasons;
    }

    /// <summary>Why the cluster refused this node (its id is taken), or null.</summary>
    public string? Refused { get; private set; }

    /// <summary>True while the node, downed by the cluster, rebuilds its actor system (still true if that failed).</summary>
    public bool Downed => _downed;

    /// <summary>
    /// A new actor system (incarnation) starts: it is not yet a member (<paramref name="joining"/> says
    /// how it joins); its sync state is <paramref name="replication"/> (null: nothing to sync).
    /// </summary>
    internal void Use(ReplicationStatus? replication, string? joining = null)
    {
        _replication = replication;
        _joining = joining;
        _memberUp = false;
    }

    /// <summary>The last peer the cluster TLS check refused, and why (shown while the node is not a member).</summary>
    internal void NoteTlsRefusal(string refusal) => _tlsRefusal = refusal;

    internal void MarkTablesStarted() => _tablesStarted = true;

    /// <summary>
    /// A table starts (true) or finishes (false) loading from its database; <paramref name="detail"/>
    /// says why it is still loading (the last error while the database is unreachable).
    /// </summary>
    internal void SetLoading(string table, bool loading, string? detail = null)
    {
        lock (_gate)
        {
            if (loading)
                _loading[table] = detail;
            else
                _loading.Remove(table);
        }
    }

    internal void Refuse(string reason) => Refused = reason;

    /// <summary>True when <see cref="Refused"/> says the cluster's TLS handshake failed (not a taken node id).</summary>
    public bool RefusedByTls { get; private set; }

    internal void RefuseTls(string reason)
    {
        RefusedByTls = true;
        Refused = reason;
    }

    internal void MarkJoined() => _memberUp = true;

    internal void MarkLeft() => _memberUp = false;

    internal void MarkDowned() => _downed = true;

    internal void ClearDowned() => _downed = false;
}
