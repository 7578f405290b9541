using System.Globalization;
using System.IO.Hashing;
using System.Text;
using HTableCluster.Storage;

namespace HTableCluster.Replication;

/// <summary>
/// The part of a table definition that must agree between nodes for replication: slot count,
/// autoexpire, updateexpire and initval (database attributes may differ per node). Batches, heads
/// and snapshot requests carry it; a node ignores what comes with another one.
/// </summary>
public static class TableFingerprint
{
    /// <summary>The fingerprint of a definition.</summary>
    public static uint Of(TableOptions options) => XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(Describe(options)));

    /// <summary>The fingerprinted attributes as text, for the log line that names a mismatch.</summary>
    public static string Describe(TableOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return string.Create(CultureInfo.InvariantCulture,
            $"size={options.Size};autoexpire={options.AutoExpire};updateexpire={(options.UpdateExpire ? 1 : 0)};initval={options.InitVal?.ToString(CultureInfo.InvariantCulture) ?? "none"}");
    }
}
