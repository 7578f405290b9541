using System.IO.Hashing;
using System.Text;

namespace HTableCluster.Replication;

/// <summary>
/// Rendezvous (highest random weight) hashing of a table's key over the cluster's members: every
/// member computes the same order from the same member list, and a member leaving only moves the
/// keys it ranked first. The order is also the fallback order when the first member stays silent.
/// </summary>
public static class RendezvousHash
{
    /// <summary>The weight of <paramref name="member"/> for (<paramref name="table"/>, <paramref name="key"/>).</summary>
    public static ulong Weight(string table, string key, string member)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(member);
        var bytes = Encoding.UTF8.GetBytes(table + "\0" + key + "\0" + member);
        return XxHash64.HashToUInt64(bytes);
    }

    /// <summary>The member ranked first for (table, key), or null when there is none.</summary>
    public static string? Owner(string table, string key, IReadOnlyCollection<string> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        string? best = null;
        var bestWeight = 0UL;
        foreach (var m in members)
        {
            var w = Weight(table, key, m);
            // Ties (practically never) are broken by the ordinal order of the names, so every member agrees.
            if (best is null || w > bestWeight || (w == bestWeight && string.CompareOrdinal(m, best) < 0))
            {
                best = m;
                bestWeight = w;
            }
        }
        return best;
    }

    /// <summary>
    /// The 0-based position of <paramref name="self"/> in the order of (table, key) over
    /// <paramref name="members"/> (0 = owner); a member not in the list counts as ranked first.
    /// </summary>
    public static int Rank(string table, string key, string self, IReadOnlyCollection<string> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        var own = Weight(table, key, self);
        var rank = 0;
        var present = false;
        foreach (var m in members)
        {
            if (m == self)
            {
                present = true;
                continue;
            }
            var w = Weight(table, key, m);
            if (w > own || (w == own && string.CompareOrdinal(m, self) < 0))
                rank++;
        }
        return present ? rank : 0;
    }
}
