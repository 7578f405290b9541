using static HTableCluster.Node.Resp.RespNumbers;
using static HTableCluster.Node.Resp.StringValues;

namespace HTableCluster.Node.Resp;

/// <summary>
/// Redis 7.0's expiry commands over htable items, which keep their expiry in Unix milliseconds.
/// A change of expiry runs on the key's partition writer (the NX/XX/GT/LT test and the change are
/// one step) and replicates like htable.setex. A time already past deletes the key, as in Redis.
/// PERSIST also removes an expiry the table's autoexpire gave (until the next write restarts it).
/// </summary>
public static class ExpiryCommands
{
    private const RespCommandFlags WriteFast = RespCommandFlags.Write | RespCommandFlags.Fast;
    private const RespCommandFlags Read = RespCommandFlags.ReadOnly | RespCommandFlags.Fast;
    private static readonly RespReply NoKey = RespReply.Integer(-2);
    private static readonly RespReply NoExpiry = RespReply.Integer(-1);

    /// <summary>Adds the family's commands.</summary>
    public static void Register(RespCommandTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        table.Add(new("expire", -3, WriteFast, 1, 1, 1, (c, a) => Expire(c, a, "expire", seconds: true, absolute: false)));
        table.Add(new("pexpire", -3, WriteFast, 1, 1, 1, (c, a) => Expire(c, a, "pexpire", seconds: false, absolute: false)));
        table.Add(new("expireat", -3, WriteFast, 1, 1, 1, (c, a) => Expire(c, a, "expireat", seconds: true, absolute: true)));
        table.Add(new("pexpireat", -3, WriteFast, 1, 1, 1, (c, a) => Expire(c, a, "pexpireat", seconds: false, absolute: true)));
        table.Add(new("persist", 2, WriteFast, 1, 1, 1, Persist));
        table.Add(new("ttl", 2, Read, 1, 1, 1, (c, a) => Ttl(c, a, milliseconds: false, absolute: false)));
        table.Add(new("pttl", 2, Read, 1, 1, 1, (c, a) => Ttl(c, a, milliseconds: true, absolute: false)));
        table.Add(new("expiretime", 2, Read, 1, 1, 1, (c, a) => Ttl(c, a, milliseconds: false, absolute: true)));
        table.Add(new("pexpiretime", 2, Read, 1, 1, 1, (c, a) => Ttl(c, a, milliseconds: true, absolute: true)));
    }

    /// <summary><c>ERR invalid expire time in 'command' command</c>.</summary>
    internal static RespReply InvalidExpire(string command) => RespReply.Error($"ERR invalid expire time in '{command}' command");

    [Flags]
    private enum Condition
    {
        None = 0,
        Nx = 1,
        Xx = 2,
        Gt = 4,
        Lt = 8,
    }

    // Redis's expireGenericCommand: options, then the number, then the key.
    private static async ValueTask<RespReply> Expire(RespContext c, ReadOnlyMemory<byte>[] a, string command, bool seconds, bool absolute)
    {
        var condition = Condition.None;
        for (var j = 3; j < a.Length; j++)
        {
            if (Is(a[j], "NX"))
                condition |= Condition.Nx;
            else if (Is(a[j], "XX"))
                condition |= Condition.Xx;
            else if (Is(a[j], "GT"))
                condition |= Condition.Gt;
            else if (Is(a[j], "LT"))
                condition |= Condition.Lt;
            else
                return RespReply.Error($"ERR Unsupported option {RespErrors.Printable(a[j].Span)}");
        }
        if ((condition & Condition.Nx) != 0 && (condition & (Condition.Xx | Condition.Gt | Condition.Lt)) != 0)
            return RespReply.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
        if ((condition & Condition.Gt) != 0 && (condition & Condition.Lt) != 0)
            return RespReply.Error("ERR GT and LT options at the same time are not compatible");
        if (!TryParseInt64(a[2].Span, out var when))
            return RespErrors.NotInteger;
        var r = c.Resolve(a[1]);
        if (r.Error is { } error)
            return error;
        var table = r.Table!;
        var baseMs = absolute ? 0 : table.Table.Clock.NowMs;
        if (seconds)
        {
            if (when > long.MaxValue / 1000 || when < long.MinValue / 1000)
                return InvalidExpire(command);
            when *= 1000;
        }
        if (when > long.MaxValue - baseMs)
            return InvalidExpire(command);
        when += baseMs;
        var change = await table.UpdateAsync(r.Key, (p, k) =>
        {
            var e = Live(p, k);
            if (e is null)
                return null;
            // No expiry counts as an infinite one for GT and LT.
            var current = e.ExpiresAtMs == 0 ? -1 : e.ExpiresAtMs;
            if (((condition & Condition.Nx) != 0 && current != -1)
                || ((condition & Condition.Xx) != 0 && current == -1)
                || ((condition & Condition.Gt) != 0 && (current == -1 || when <= current))
                || ((condition & Condition.Lt) != 0 && current != -1 && when >= current))
                return null;
            if (when <= p.Table.Clock.NowMs)
            {
                p.Delete(k);
                return "del";
            }
            p.SetExpireAt(k, when);
            return "expire";
        }).ConfigureAwait(false);
        if (change is null)
            return RespReply.Zero;
        c.Server.Notify('g', change, table, r.Key);
        return RespReply.One;
    }

    private static async ValueTask<RespReply> Persist(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        var r = c.Resolve(a[1]);
        if (r.Error is { } error)
            return error;
        var removed = await r.Table!.UpdateAsync(r.Key, static (p, k) =>
            Live(p, k) is { ExpiresAtMs: not 0 } && p.SetExpireAt(k, 0)).ConfigureAwait(false);
        if (!removed)
            return RespReply.Zero;
        c.Server.Notify('g', "persist", r.Table, r.Key);
        return RespReply.One;
    }

    // TTL rounds the remaining milliseconds to the nearest second, EXPIRETIME the absolute time, as Redis.
    private static ValueTask<RespReply> Ttl(RespContext c, ReadOnlyMemory<byte>[] a, bool milliseconds, bool absolute)
    {
        var r = c.Resolve(a[1]);
        if (r.Error is { } error)
            return new(error);
        if (r.Table!.Get(r.Key) is not { } e)
            return new(NoKey);
        if (e.ExpiresAtMs == 0)
            return new(NoExpiry);
        var ms = absolute ? e.ExpiresAtMs : Math.Max(0, e.ExpiresAtMs - r.Table.Table.Clock.NowMs);
        return new(RespReply.Integer(milliseconds ? ms : (ms / 1000) + (ms % 1000 >= 500 ? 1 : 0)));
    }
}
