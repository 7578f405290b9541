using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Akka.Cluster;
using HTableCluster.Node.Configuration;
using HTableCluster.Replication;

namespace HTableCluster.Node.Rpc;

/// <summary>
/// Cluster membership over RPC: <c>dmq.list_nodes</c> in Kamailio 5.6's shape (one row per member,
/// the others newest first and this node last, recorded under tests/Conformance) and
/// <c>cluster.members</c>, this project's view: every member's node id, address, status and up-since
/// time, and per replicated table this node's sync state and the last batch it applied from each peer.
/// Both read the current actor system's membership as this node sees it.
/// </summary>
public sealed class ClusterMethods(ClusterMember member, NodeSettings settings)
{
    /// <summary>The statuses <c>cluster.members</c> reports (and <c>/metrics</c> counts).</summary>
    public static readonly IReadOnlyList<string> Statuses = ["joining", "up", "leaving", "unreachable", "down"];

    private const string RolePrefix = "node-id-";
    private static readonly TimeSpan ResolveFor = TimeSpan.FromSeconds(60);
    private readonly ConcurrentDictionary<string, (string Ip, DateTime At)> _resolved = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The methods.</summary>
    public IEnumerable<RpcMethod> Methods()
    {
        yield return new("cluster.members", "Cluster members (node id, address, status, up since) and, per replicated table, this node's sync state and the last batch applied from each peer.", false, Members);
        yield return new("dmq.list_nodes", "Print all nodes", false, ListNodes);
    }

    /// <summary>
    /// A member's status as this node sees it: joining (Joining, WeaklyUp), up, leaving (Leaving,
    /// Exiting), down, or unreachable whatever its status when this node's failure detector says so.
    /// </summary>
    internal static string StatusOf(Member m, ClusterEvent.CurrentClusterState state) =>
        state.Unreachable.Contains(m) ? "unreachable" : m.Status switch
        {
            MemberStatus.Joining or MemberStatus.WeaklyUp => "joining",
            MemberStatus.Up => "up",
            MemberStatus.Leaving or MemberStatus.Exiting => "leaving",
            _ => "down",
        };

    /// <summary>The node id a member carries in its role (see <see cref="IdentityGuardActor.RoleOf"/>); its address when it has none.</summary>
    internal static string NodeIdOf(Member m)
    {
        foreach (var role in m.Roles)
        {
            if (!role.StartsWith(RolePrefix, StringComparison.Ordinal))
                continue;
            try
            {
                return Encoding.UTF8.GetString(Convert.FromHexString(role.AsSpan(RolePrefix.Length)));
            }
            catch (FormatException)
            {
                break;
            }
        }
        return m.Address.ToString();
    }

    private static string Time(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static RpcReply Rebuilding() =>
        RpcReply.Fail(500, "this node's actor system is being rebuilt after the cluster downed it; try again shortly");

    private ValueTask<RpcReply> Members(RpcParams p, WriteSink sink)
    {
        if (member.System is not { } system)
            return Rebuilding().AsTask();
        var cluster = Cluster.Get(system);
        var state = cluster.State;
        var times = MemberTimes.Get(system);
        var members = state.Members.OrderBy(m => m, Member.AgeOrdering).ToList();
        var rows = new List<object?>(members.Count);
        foreach (var m in members)
        {
            var since = times.UpSince(m.UniqueAddress);
            rows.Add(new RpcObject()
                .With("node_id", NodeIdOf(m))
                .With("address", m.Address.ToString())
                .With("status", StatusOf(m, state))
                .With("up_since", since is { } t ? Time(t.ToUnixTimeMilliseconds()) : null)
                .With("self", m.UniqueAddress == cluster.SelfUniqueAddress));
        }
        var others = members.Where(m => m.UniqueAddress != cluster.SelfUniqueAddress).ToList();
        var tables = new List<object?>();
        foreach (var table in member.Replication.Tables)
        {
            var applied = table.Peers;
            var peers = new List<object?>(others.Count);
            foreach (var m in others)
            {
                var peer = applied.FirstOrDefault(x => x.Origin.Incarnation == m.UniqueAddress.Uid);
                var lastSeq = peer?.LastSeq ?? 0;
                var lagUs = peer?.LastLagUs ?? -1;
                peers.Add(new RpcObject()
                    .With("node_id", NodeIdOf(m))
                    .With("last_batch", lastSeq)
                    .With("applied_at", lastSeq > 0 ? Time(peer!.LastAppliedAtMs) : null)
                    .With("lag_us", lagUs >= 0 ? lagUs : null)
                    .With("batches_applied", peer?.BatchesApplied ?? 0));
            }
            tables.Add(new RpcObject().With("name", table.Name).With("sync", SyncText(table.State)).With("peers", peers));
        }
        var result = new RpcObject()
            .With("node_id", settings.Node.EffectiveNodeId)
            .With("members", rows)
            .With("tables", tables);
        return RpcReply.Ok(result).AsTask();
    }

    private static string SyncText(TableSyncState state) => state switch
    {
        TableSyncState.Synced => "synced",
        TableSyncState.Syncing => "syncing",
        _ => "waiting",
    };

    // Kamailio: host, port (a string), proto, resolved_ip, status (pending, active, timeout,
    // disabled), last_notification (never set in 5.6: 0), local; the node list is kept newest
    // first with this node, added first, last. Our members map to pending (joining), active (up,
    // leaving: still replicating), timeout (unreachable) and disabled (down).
    private async ValueTask<RpcReply> ListNodes(RpcParams p, WriteSink sink)
    {
        if (member.System is not { } system)
            return Rebuilding();
        var cluster = Cluster.Get(system);
        var state = cluster.State;
        var others = state.Members.Where(m => m.UniqueAddress != cluster.SelfUniqueAddress).OrderBy(m => m, Member.AgeOrdering).Reverse().ToList();
        var rows = new List<object?>(others.Count + 1);
        foreach (var m in others)
            rows.Add(await NodeRowAsync(m.Address, DmqStatus(StatusOf(m, state)), local: false).ConfigureAwait(false));
        var self = state.Members.FirstOrDefault(m => m.UniqueAddress == cluster.SelfUniqueAddress);
        rows.Add(await NodeRowAsync(cluster.SelfAddress, self is null ? "pending" : DmqStatus(StatusOf(self, state)), local: true).ConfigureAwait(false));
        return RpcReply.Ok(rows);
    }

    private static string DmqStatus(string status) => status switch
    {
        "joining" => "pending",
        "up" or "leaving" => "active",
        "unreachable" => "timeout",
        _ => "disabled",
    };

    private async Task<RpcObject> NodeRowAsync(Akka.Actor.Address address, string status, bool local)
    {
        var host = address.Host ?? "";
        return new RpcObject()
            .With("host", host)
            .With("port", (address.Port ?? 0).ToString(CultureInfo.InvariantCulture))
            .With("proto", "tcp")
            .With("resolved_ip", await ResolveAsync(host).ConfigureAwait(false))
            .With("status", status)
            .With("last_notification", 0)
            .With("local", local ? 1 : 0);
    }

    // An address's host resolved as Kamailio resolves its peers' URIs (IPv4 first); names are
    // looked up again after a minute. An unresolvable name gives an empty string.
    private async Task<string> ResolveAsync(string host)
    {
        if (host.Length == 0 || IPAddress.TryParse(host, out _))
            return host;
        if (_resolved.TryGetValue(host, out var known) && DateTime.UtcNow - known.At < ResolveFor)
            return known.Ip;
        string ip;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            var addresses = await Dns.GetHostAddressesAsync(host, timeout.Token).ConfigureAwait(false);
            var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
            ip = chosen?.ToString() ?? "";
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ArgumentException)
        {
            ip = "";
        }
        _resolved[host] = (ip, DateTime.UtcNow);
        return ip;
    }
}
