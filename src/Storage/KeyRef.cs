using System.IO.Hashing;
using System.Text;

namespace HTableCluster.Storage;

/// <summary>A key encoded once: UTF-8 bytes plus the map hash and Kamailio slot hash.</summary>
public readonly struct KeyRef
{
    internal KeyRef(byte[] utf8, int hash, uint cellId)
    {
        Utf8 = utf8;
        Hash = hash;
        CellId = cellId;
    }

    /// <summary>The key as UTF-8.</summary>
    public byte[] Utf8 { get; }

    /// <summary>Seeded hash used by the partition map.</summary>
    internal int Hash { get; }

    /// <summary>Kamailio's hash of the key (selects the slot).</summary>
    public uint CellId { get; }

    /// <summary>The key as text.</summary>
    public override string ToString() => Encoding.UTF8.GetString(Utf8);
}

/// <summary>Hashing shared by every table of the process.</summary>
internal static class KeyHash
{
    // Random per process: keys chosen to collide in one process's map do not collide in another's.
    private static readonly long Seed = Random.Shared.NextInt64();

    public static int Of(ReadOnlySpan<byte> key) => (int)XxHash3.HashToUInt64(key, Seed);
}
