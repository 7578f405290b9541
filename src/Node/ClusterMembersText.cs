using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace HTableCluster.Node;

/// <summary>
/// <c>htcluster rpc cluster.members</c> printed for people: a table of the members, then one line
/// per replicated table and peer (sync state, last batch applied, when, its lag). The JSON stays
/// available through <c>/RPC</c>.
/// </summary>
public static class ClusterMembersText
{
    /// <summary>The readable form of a <c>cluster.members</c> result; null when it does not have that shape.</summary>
    public static string? Format(JsonNode? result)
    {
        if (result is not JsonObject o || o["members"] is not JsonArray members || o["tables"] is not JsonArray tables)
            return null;
        var rows = new List<string[]> { new[] { "NODE ID", "ADDRESS", "STATUS", "UP SINCE" } };
        foreach (var m in members)
        {
            var self = m?["self"] is JsonValue s && s.TryGetValue<bool>(out var b) && b;
            rows.Add([Text(m?["node_id"]) + (self ? " (this node)" : ""), Text(m?["address"]), Text(m?["status"]), Text(m?["up_since"])]);
        }
        var text = new StringBuilder();
        Append(text, rows);
        if (tables.Count == 0)
        {
            text.AppendLine().AppendLine("No replicated tables.");
            return text.ToString();
        }
        rows = [["TABLE", "SYNC", "PEER", "LAST BATCH", "APPLIED AT", "LAG"]];
        foreach (var t in tables)
        {
            var peers = t?["peers"] as JsonArray ?? [];
            if (peers.Count == 0)
                rows.Add([Text(t?["name"]), Text(t?["sync"]), "-", "", "", ""]);
            foreach (var p in peers)
            {
                rows.Add([Text(t?["name"]), Text(t?["sync"]), Text(p?["node_id"]), Text(p?["last_batch"]), Text(p?["applied_at"]), Lag(p?["lag_us"])]);
            }
        }
        text.AppendLine();
        Append(text, rows);
        return text.ToString();
    }

    private static string Text(JsonNode? node) => node is null ? "-" : node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node.ToJsonString();

    private static string Lag(JsonNode? us) =>
        us is JsonValue v && v.TryGetValue<long>(out var n) ? (n / 1000.0).ToString("0.###", CultureInfo.InvariantCulture) + " ms" : "-";

    private static void Append(StringBuilder text, List<string[]> rows)
    {
        var widths = new int[rows[0].Length];
        foreach (var r in rows)
        {
            for (var i = 0; i < r.Length; i++)
                widths[i] = Math.Max(widths[i], r[i].Length);
        }
        foreach (var r in rows)
        {
            var line = new StringBuilder();
            for (var i = 0; i < r.Length; i++)
                line.Append(i == r.Length - 1 ? r[i] : r[i].PadRight(widths[i] + 2));
            text.AppendLine(line.ToString().TrimEnd());
        }
    }
}
