using System.Buffers.Text;
using HTableCluster.Node.Tables;
using HTableCluster.Storage;
using static HTableCluster.Node.Tables.TableProtocol;

namespace HTableCluster.Node.Resp;

/// <summary>
/// How a Redis string maps onto an htable item, shared by the string, key and expiry families:
/// a value that is a canonical 64-bit integer (Redis's own <c>int</c> encoding: no sign but '-',
/// no leading zero, no space) is stored as an integer item, so INCR works on it as on Redis and
/// Kamailio sees a number; anything else is a string item. Reading an integer item gives its decimal text.
/// </summary>
internal static class StringValues
{
    /// <summary>Redis's largest string (proto-max-bulk-len's default, 512 MB).</summary>
    public const long MaxLength = 512L * 1024 * 1024;

    /// <summary><c>ERR string exceeds maximum allowed size (proto-max-bulk-len)</c>.</summary>
    public static readonly RespReply TooLong = RespReply.Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");

    /// <summary>True when <paramref name="arg"/> is <paramref name="option"/> (ASCII, any case).</summary>
    public static bool Is(ReadOnlyMemory<byte> arg, string option)
    {
        var s = arg.Span;
        if (s.Length != option.Length)
            return false;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c is >= (byte)'a' and <= (byte)'z')
                c -= 32;
            if (c != option[i])
                return false;
        }
        return true;
    }

    /// <summary>The item's value as Redis shows it: the string's bytes, or the integer's decimal text.</summary>
    public static ReadOnlyMemory<byte> Bytes(Entry e)
    {
        if (!e.IsInteger)
            return e.ValueMemory;
        var buf = new byte[20];
        Utf8Formatter.TryFormat(e.IntValue, buf, out var n);
        return buf.AsMemory(0, n);
    }

    /// <summary>The value's length in bytes (STRLEN), without formatting a string.</summary>
    public static int Length(Entry e)
    {
        if (!e.IsInteger)
            return e.ValueUtf8.Length;
        Span<byte> buf = stackalloc byte[20];
        Utf8Formatter.TryFormat(e.IntValue, buf, out var n);
        return n;
    }

    /// <summary>A bulk reply of the item's value.</summary>
    public static RespReply Bulk(Entry e) => RespReply.Bulk(Bytes(e));

    /// <summary>The write storing <paramref name="value"/> as an integer item when canonical, else a string item.</summary>
    public static WriteOp SetOp(string key, ReadOnlySpan<byte> value, ItemExpiry expiry) =>
        RespNumbers.TryParseInt64(value, out var n)
            ? new WriteOp(WriteKind.SetInteger, HTable.MakeKey(key), null, n, null, null, expiry)
            : new WriteOp(WriteKind.SetString, HTable.MakeKey(key), value.ToArray(), 0, null, null, expiry);

    /// <summary>Stores <paramref name="value"/> on the partition's writer (inside an atomic update).</summary>
    public static Entry Store(TablePartition p, in KeyRef key, ReadOnlySpan<byte> value, ItemExpiry expiry) =>
        RespNumbers.TryParseInt64(value, out var n) ? p.SetInteger(key, n, expiry) : p.SetString(key, value, expiry);

    /// <summary>Stores a copy of <paramref name="source"/>'s value and type under <paramref name="key"/>.</summary>
    public static Entry StoreCopy(TablePartition p, in KeyRef key, Entry source, ItemExpiry expiry) =>
        source.IsInteger ? p.SetInteger(key, source.IntValue, expiry) : p.SetString(key, source.ValueUtf8, expiry);

    /// <summary>The expiry rule copying <paramref name="source"/>'s expiry exactly (RENAME, COPY keep the TTL).</summary>
    public static ItemExpiry SameExpiry(Entry source) => ItemExpiry.At(source.ExpiresAtMs);

    /// <summary>The live item of <paramref name="key"/> read on its writer (inside an atomic update).</summary>
    public static Entry? Live(TablePartition p, in KeyRef key) => p.Table.Get(key.Utf8);

    /// <summary>Applies one write (no list); for callers in this assembly.</summary>
    public static Task<WriteResult> ApplyAsync(TableClient table, WriteOp op) => table.ApplyOneAsync(op);

    /// <summary>True when both keys are on the same partition writer of the same table (one atomic update can do both).</summary>
    public static bool SameWriter(RespKey a, RespKey b) =>
        ReferenceEquals(a.Table, b.Table) && a.Table!.Table.PartitionOf(HTable.MakeKey(a.Key)) == b.Table!.Table.PartitionOf(HTable.MakeKey(b.Key));
}
