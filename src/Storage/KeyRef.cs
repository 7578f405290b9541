using System.IO.Hashing;
using System.Text;

namespace HTableCluster.Storage;

/// <summary>A key encoded once for a write: UTF-8 bytes and its seeded 64-bit hash.</summary>
public readonly struct KeyRef
{
    internal KeyRef(byte[] utf8, ulong hash)
    {
        Utf8 = utf8;
        Hash64 = hash;
    }

    /// <summary>The key as UTF-8.</summary>
    public byte[] Utf8 { get; }

    /// <summary>Seeded hash: the low half indexes the partition map, the high half picks the partition.</summary>
    internal ulong Hash64 { get; }

    /// <summary>Map hash (low half).</summary>
    internal int Hash => (int)Hash64;

    /// <summary>The key as text.</summary>
    public override string ToString() => Encoding.UTF8.GetString(Utf8);
}

/// <summary>Hashing shared by every table of the process.</summary>
internal static class KeyHash
{
    // Random per process: keys chosen to collide in one process's map do not collide in another's.
    private static readonly long Seed = Random.Shared.NextInt64();

    public static ulong Of(ReadOnlySpan<byte> key) => XxHash3.HashToUInt64(key, Seed);

    /// <summary>Partition of a hash among <paramref name="count"/> (multiply-shift on the high half).</summary>
    public static int PartitionOf(ulong hash, int count) => (int)(((hash >> 32) * (ulong)(uint)count) >> 32);
}
