using System.Globalization;
using System.Text;
using HTableCluster.Node.Tables;
using HTableCluster.Storage;
using static HTableCluster.Node.Resp.RespNumbers;
using static HTableCluster.Node.Resp.StringValues;
using static HTableCluster.Node.Tables.TableProtocol;

namespace HTableCluster.Node.Resp;

/// <summary>
/// Redis 7.0's string commands over htable items (see <see cref="StringValues"/> for how a value is
/// stored). Reads go straight to Storage; a plain write is one message to the key's partition writer;
/// a read-modify-write (SET NX/XX/GET, SETNX, GETSET, GETDEL, GETEX, APPEND, SETRANGE, INCRBYFLOAT)
/// runs on that writer (<see cref="TableClient.UpdateAsync{T}"/>), so it is atomic and replicates;
/// INCR, INCRBY, DECR and DECRBY are the table's exact replicated counters (<see cref="TableClient.AddAsync(string, long, ItemExpiry, CancellationToken)"/>).
/// </summary>
public static class StringCommands
{
    private const RespCommandFlags Read = RespCommandFlags.ReadOnly | RespCommandFlags.Fast;
    private const RespCommandFlags Write = RespCommandFlags.Write | RespCommandFlags.DenyOom;
    private const RespCommandFlags WriteFast = Write | RespCommandFlags.Fast;

    private static readonly RespReply EmptyBulk = RespReply.Bulk(ReadOnlyMemory<byte>.Empty);
    private static readonly RespReply NotFloatResult = RespReply.Error("ERR increment would produce NaN or Infinity");
    private static readonly RespReply DecrementOverflow = RespReply.Error("ERR decrement would overflow");
    private static readonly RespReply OffsetOutOfRange = RespReply.Error("ERR offset is out of range");

    // LCS keeps a table of (len1 + 1) * (len2 + 1) 32-bit cells; Redis allows up to proto-max-bulk-len
    // (512 MB) of it, a node allows 64 MB per command.
    private const long MaxLcsTableBytes = 64L * 1024 * 1024;

    /// <summary>Adds the family's commands.</summary>
    public static void Register(RespCommandTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        // Pipelined (RespCommand.Pipelined): each of these sends its messages to partition writers
        // before its first await, and what it sends depends only on its arguments: a plain
        // SET/SETEX/PSETEX is one ApplyOne; SET NX/XX/GET, SETNX, GETSET, GETDEL, GETEX, APPEND,
        // SETRANGE and INCRBYFLOAT are one atomic update that reads the item on the writer; INCR,
        // INCRBY, DECR and DECRBY are one atomic update (IncrBy); MSET starts every partition's
        // share before awaiting any. MSETNX reads Storage first when its keys span writers: not.
        table.Add(new("get", 2, Read, 1, 1, 1, Get));
        table.Add(new("set", -3, Write, 1, 1, 1, Set) { Pipelined = true });
        table.Add(new("setnx", 3, WriteFast, 1, 1, 1, SetNx) { Pipelined = true });
        table.Add(new("setex", 4, Write, 1, 1, 1, (c, a) => SetEx(c, a, seconds: true)) { Pipelined = true });
        table.Add(new("psetex", 4, Write, 1, 1, 1, (c, a) => SetEx(c, a, seconds: false)) { Pipelined = true });
        table.Add(new("getset", 3, WriteFast, 1, 1, 1, GetSet) { Pipelined = true });
        table.Add(new("getdel", 2, RespCommandFlags.Write | RespCommandFlags.Fast, 1, 1, 1, GetDel) { Pipelined = true });
        table.Add(new("getex", -2, RespCommandFlags.Write | RespCommandFlags.Fast, 1, 1, 1, GetEx) { Pipelined = true });
        table.Add(new("mget", -2, Read, 1, -1, 1, MGet));
        table.Add(new("mset", -3, Write, 1, -1, 2, (c, a) => MSet(c, a, onlyNew: false)) { Pipelined = true });
        table.Add(new("msetnx", -3, Write, 1, -1, 2, (c, a) => MSet(c, a, onlyNew: true)));
        table.Add(new("incr", 2, WriteFast, 1, 1, 1, (c, a) => IncrBy(c, a[1], 1)) { Pipelined = true });
        table.Add(new("decr", 2, WriteFast, 1, 1, 1, (c, a) => IncrBy(c, a[1], -1)) { Pipelined = true });
        table.Add(new("incrby", 3, WriteFast, 1, 1, 1, (c, a) => TryParseInt64(a[2].Span, out var n) ? IncrBy(c, a[1], n) : new(RespErrors.NotInteger)) { Pipelined = true });
        table.Add(new("decrby", 3, WriteFast, 1, 1, 1, DecrBy) { Pipelined = true });
        table.Add(new("incrbyfloat", 3, WriteFast, 1, 1, 1, IncrByFloat) { Pipelined = true });
        table.Add(new("append", 3, WriteFast, 1, 1, 1, Append) { Pipelined = true });
        table.Add(new("strlen", 2, Read, 1, 1, 1, StrLen));
        table.Add(new("getrange", 4, RespCommandFlags.ReadOnly, 1, 1, 1, GetRange));
        table.Add(new("substr", 4, RespCommandFlags.ReadOnly, 1, 1, 1, GetRange));
        table.Add(new("setrange", 4, Write, 1, 1, 1, SetRange) { Pipelined = true });
        table.Add(new("lcs", -3, RespCommandFlags.ReadOnly, 1, 2, 1, Lcs));
    }

    // GET of a missing key answers nil; in a table with initval, initval (as $sht(t=>k) does).
    internal static RespReply Missing(TableClient table) =>
        table.Table.Options.InitVal is { } v ? RespReply.Bulk(v.ToString(CultureInfo.InvariantCulture)) : RespReply.Nil;

    private static ValueTask<RespReply> Get(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        var r = c.Resolve(a[1]);
        if (r.Error is { } error)
            return new(error);
        var e = r.Table!.Get(r.Key);
        return new(e is null ? Missing(r.Table) : Bulk(e));
    }

    private static ValueTask<RespReply> MGet(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        var items = new RespReply[a.Length - 1];
        for (var i = 1; i < a.Length; i++)
        {
            var r = c.Resolve(a[i]);
            // A key that cannot be placed holds nothing: nil, as Redis answers for a key of another type.
            items[i - 1] = r.Error is not null ? RespReply.Nil : r.Table!.Get(r.Key) is { } e ? Bulk(e) : Missing(r.Table);
        }
        return new(new RespArray(items));
    }

    private enum ExpireUnit
    {
        None,
        Ex,
        Px,
        ExAt,
        PxAt,
    }

    // Redis's parseExtendedStringArgumentsOrReply for SET (forGetEx: false) and GETEX (true). An
    // expiry option may repeat (the last one counts) but not mix with another expiry option.
    private static RespReply? ParseOptions(ReadOnlyMemory<byte>[] a, int from, bool forGetEx, out bool nx, out bool xx, out bool get, out bool keepTtl, out bool persist, out ExpireUnit unit, out ReadOnlyMemory<byte> expire)
    {
        nx = xx = get = keepTtl = persist = false;
        unit = ExpireUnit.None;
        expire = default;
        for (var j = from; j < a.Length; j++)
        {
            var o = a[j];
            var more = j + 1 < a.Length;
            if (!forGetEx && Is(o, "NX") && !xx)
            {
                nx = true;
            }
            else if (!forGetEx && Is(o, "XX") && !nx)
            {
                xx = true;
            }
            else if (!forGetEx && Is(o, "GET"))
            {
                get = true;
            }
            else if (!forGetEx && Is(o, "KEEPTTL") && unit == ExpireUnit.None)
            {
                keepTtl = true;
            }
            else if (forGetEx && Is(o, "PERSIST") && unit == ExpireUnit.None)
            {
                persist = true;
            }
            else if (more && !keepTtl && !persist && UnitOf(o) is var u && u != ExpireUnit.None && (unit == ExpireUnit.None || unit == u))
            {
                unit = u;
                expire = a[++j];
            }
            else
            {
                return RespErrors.Syntax;
            }
        }
        return null;
    }

    private static ExpireUnit UnitOf(ReadOnlyMemory<byte> o) =>
        Is(o, "EX") ? ExpireUnit.Ex : Is(o, "PX") ? ExpireUnit.Px : Is(o, "EXAT") ? ExpireUnit.ExAt : Is(o, "PXAT") ? ExpireUnit.PxAt : ExpireUnit.None;

    // Redis's getExpireMillisecondsOrReply: a positive number, in range once made absolute milliseconds.
    private static RespReply? ExpireAt(ReadOnlyMemory<byte> arg, ExpireUnit unit, string command, long nowMs, out long atMs)
    {
        atMs = 0;
        if (!TryParseInt64(arg.Span, out var when))
            return RespErrors.NotInteger;
        var seconds = unit is ExpireUnit.Ex or ExpireUnit.ExAt;
        if (when <= 0 || (seconds && when > long.MaxValue / 1000))
            return ExpiryCommands.InvalidExpire(command);
        if (seconds)
            when *= 1000;
        if (unit is ExpireUnit.Ex or ExpireUnit.Px)
        {
            if (when > long.MaxValue - nowMs)
                return ExpiryCommands.InvalidExpire(command);
            when += nowMs;
        }
        atMs = when;
        return null;
    }

    private static async ValueTask<RespReply> Set(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        if (ParseOptions(a, 3, forGetEx: false, out var nx, out var xx, out var get, out var keepTtl, out _, out var unit, out var expireArg) is { } bad)
            return bad;
        var r = c.Resolve(a[1]);
        if (r.Error is { } error)
            return error;
        var table = r.Table!;
        var expiry = keepTtl ? ItemExpiry.Keep : ItemExpiry.TableRule;
        if (unit != ExpireUnit.None)
        {
            if (ExpireAt(expireArg, unit, "set", table.Table.Clock.NowMs, out var at) is { } invalid)
                return invalid;
            expiry = ItemExpiry.At(at);
        }
        RespReply reply;
        if (!nx && !xx && !get)
        {
            await ApplyAsync(table, SetOp(r.Key, a[2].Span, expiry)).ConfigureAwait(false);
            reply = RespReply.Ok;
        }
        else
        {
            var value = a[2].ToArray();
            var (stored, old) = await table.UpdateAsync(r.Key, (p, k) =>
            {
                var existing = Live(p, k);
                var previous = existing is null ? null : (object)Bytes(existing);
                if ((nx && existing is not null) || (xx && existing is null))
                    return (false, previous);
                Store(p, k, value, expiry);
                return (true, previous);
            }).ConfigureAwait(false);
            reply = get ? old is ReadOnlyMemory<byte> m ? RespReply.Bulk(m) : RespReply.Nil : stored ? RespReply.Ok : RespReply.Nil;
            if (!stored)
                return reply;
        }
        c.Server.Notify('$', "set", table, r.Key);
        if (unit != ExpireUnit.None)
            c.Server.Notify('g', "expire", table, r.Key);
        return reply;
    }

    private static async ValueTask<RespReply> SetNx(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        var r = c.Resolve(a[1]);
        if (r.Error is { } error)
            return error;
        var value = a[2].ToArray();
        var stored = await r.Table!.UpdateAsync(r.Key, (p, k) =>
        {
            if (Live(p, k) is not null)
                return false;
            Store(p, k, value, ItemExpiry.TableRule);
            return true;
        }).ConfigureAwait(false);
        if (!stored)
            return RespReply.Zero;
        c.Server.Notify('$', "set", r.Table, r.Key);
        return RespReply.One;
    }

    private static async ValueTask<RespReply> SetEx(RespContext c, ReadOnlyMemory<byte>[] a, bool seconds)
    {
        var r = c.Resolve(a[1]);
        if (r.Error is { } error)
            return error;
        var table = r.Table!;
        if (ExpireAt(a[2], seconds ? ExpireUnit.Ex : ExpireUnit.Px, seconds ? "setex" : "psetex", table.Table.Clock.NowMs, out var at) is { } invalid)
            return invalid;
        await ApplyAsync(table, SetOp(r.Key, a[3].Span, ItemExpiry.At(at))).ConfigureAwait(false);
        c.Server.Notify('$', "set", table, r.Key);
        c.Server.Notify('g', "expire", table, r.Key);
        return RespReply.Ok;
    }

    private static async ValueTask<RespReply> GetSet(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        var r = c.Resolve(a[1]);
        if (r.Error is { } error)
            return error;
        var value = a[2].ToArray();
        var old = await r.Table!.UpdateAsync(r.Key, (p, k) =>
        {
            var previous = Live(p, k) is { } e ? (object)Bytes(e) : null;
            Store(p, k, value, ItemExpiry.TableRule);
            return previous;
        }).ConfigureAwait(false);
        c.Server.Notify('$', "set", r.Table, r.Key);
        return old is ReadOnlyMemory<byte> m ? RespReply.Bulk(m) : RespReply.Nil;
    }

    private static async ValueTask<RespReply> GetDel(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        var r = c.Resolve(a[1]);
        if (r.Error is { } error)
            return error;
        var old = await r.Table!.UpdateAsync(r.Key, (p, k) => p.Delete(k) is { } e ? (object)Bytes(e) : null).ConfigureAwait(false);
        if (old is not ReadOnlyMemory<byte> m)
            return RespReply.Nil;
        c.Server.Notify('g', "del", r.Table, r.Key);
        return RespReply.Bulk(m);
    }

    private static async ValueTask<RespReply> GetEx(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        if (ParseOptions(a, 2, forGetEx: true, out _, out _, out _, out _, out var persist, out var unit, out var expireArg) is { } bad)
            return bad;
        var r = c.Resolve(a[1]);
        if (r.Error is { } error)
            return error;
        var table = r.Table!;
        var at = 0L;
        if (unit != ExpireUnit.None && ExpireAt(expireArg, unit, "getex", table.Table.Clock.NowMs, out at) is { } invalid)
            return invalid;
        var absolute = unit is ExpireUnit.ExAt or ExpireUnit.PxAt;
        var (value, change) = await table.UpdateAsync(r.Key, (p, k) =>
        {
            var e = Live(p, k);
            if (e is null)
                return ((object?)null, (string?)null);
            object bytes = Bytes(e);
            if (absolute && at <= p.Table.Clock.NowMs)
            {
                p.Delete(k);
                return (bytes, "del");
            }
            if (unit != ExpireUnit.None)
            {
                p.SetExpireAt(k, at);
                return (bytes, "expire");
            }
            if (persist && e.ExpiresAtMs != 0)
            {
                p.SetExpireAt(k, 0);
                return (bytes, "persist");
            }
            return (bytes, null);
        }).ConfigureAwait(false);
        if (value is not ReadOnlyMemory<byte> m)
            return RespReply.Nil;
        if (change is not null)
            c.Server.Notify('g', change, table, r.Key);
        return RespReply.Bulk(m);
    }

    // MSET sets every key (per table, grouped per partition writer; each writer applies its share in
    // order). MSETNX sets them only when none exists: atomic when every key is on one writer,
    // otherwise checked first and then set (a key created between the two steps is overwritten).
    private static async ValueTask<RespReply> MSet(RespContext c, ReadOnlyMemory<byte>[] a, bool onlyNew)
    {
        if (a.Length % 2 == 0)
            return RespErrors.WrongArity(onlyNew ? "msetnx" : "mset");
        var keys = new RespKey[(a.Length - 1) / 2];
        var oneWriter = true;
        for (var i = 0; i < keys.Length; i++)
        {
            var r = c.Resolve(a[1 + (2 * i)]);
            if (r.Error is { } error)
                return error;
            keys[i] = r;
            oneWriter &= i == 0 || SameWriter(keys[0], r);
        }
        if (onlyNew && oneWriter)
        {
            var values = new byte[keys.Length][];
            for (var i = 0; i < keys.Length; i++)
                values[i] = a[2 + (2 * i)].ToArray();
            var stored = await keys[0].Table!.UpdateAsync(keys[0].Key, (p, _) =>
            {
                var refs = new KeyRef[keys.Length];
                for (var i = 0; i < keys.Length; i++)
                {
                    refs[i] = HTable.MakeKey(keys[i].Key);
                    if (Live(p, refs[i]) is not null)
                        return false;
                }
                for (var i = 0; i < keys.Length; i++)
                    Store(p, refs[i], values[i], ItemExpiry.TableRule);
                return true;
            }).ConfigureAwait(false);
            if (!stored)
                return RespReply.Zero;
        }
        else
        {
            if (onlyNew)
            {
                foreach (var k in keys)
                {
                    if (k.Table!.Get(k.Key) is not null)
                        return RespReply.Zero;
                }
            }
            var groups = new Dictionary<TableClient, List<WriteOp>>(ReferenceEqualityComparer.Instance);
            for (var i = 0; i < keys.Length; i++)
            {
                if (!groups.TryGetValue(keys[i].Table!, out var ops))
                    groups[keys[i].Table!] = ops = [];
                ops.Add(SetOp(keys[i].Key, a[2 + (2 * i)].Span, ItemExpiry.TableRule));
            }
            // Every table's share is sent before any is awaited (MSET is pipelined).
            var writes = new List<Task<WriteResult[]>>(groups.Count);
            foreach (var (table, ops) in groups)
                writes.Add(table.ApplyAsync(ops));
            foreach (var write in writes)
                await write.ConfigureAwait(false);
        }
        foreach (var k in keys)
            c.Server.Notify('$', "set", k.Table!, k.Key);
        return onlyNew ? RespReply.One : RespReply.Ok;
    }

    private static ValueTask<RespReply> DecrBy(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        if (!TryParseInt64(a[2].Span, out var n))
            return new(RespErrors.NotInteger);
        return n == long.MinValue ? new(DecrementOverflow) : IncrBy(c, a[1], -n);
    }

    // The table's counter (exact and replicated). A missing key starts from initval (else 0); the
    // key keeps its expiry unless the table's autoexpire restarts it. A string item holding a
    // canonical integer (set as a string through RPC) is turned into an integer item first. All in
    // one atomic update on the key's writer: one message, whatever the item holds (pipelined).
    private static async ValueTask<RespReply> IncrBy(RespContext c, ReadOnlyMemory<byte> key, long delta)
    {
        var r = c.Resolve(key);
        if (r.Error is { } error)
            return error;
        var table = r.Table!;
        var (status, value) = ((AddStatus, long))(await table.UpdateOneAsync(r.Key, (p, k) => AddTo(p, k, delta)).ConfigureAwait(false))!;
        switch (status)
        {
            case AddStatus.Applied:
                c.Server.Notify('$', "incrby", table, r.Key);
                return RespReply.Integer(value);
            case AddStatus.Overflow:
                return RespErrors.Overflow;
            default:
                return RespErrors.NotInteger;
        }
    }

    private static (AddStatus Status, long Value) AddTo(TablePartition p, KeyRef k, long delta)
    {
        var result = p.Add(k, delta, ItemExpiry.Retain);
        if (result.Status != AddStatus.NotInteger || Live(p, k) is not { } e || !TryParseInt64(e.ValueUtf8, out var n))
            return result;
        p.SetInteger(k, n, ItemExpiry.Keep);
        return p.Add(k, delta, ItemExpiry.Retain);
    }

    private static async ValueTask<RespReply> IncrByFloat(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        var r = c.Resolve(a[1]);
        if (r.Error is { } error)
            return error;
        if (!LongDouble.TryParse(a[2].Span, out var increment))
            return RespErrors.NotFloat;
        var table = r.Table!;
        var reply = await table.UpdateAsync(r.Key, (p, k) =>
        {
            var e = Live(p, k);
            LongDouble current;
            if (e is null)
                current = LongDouble.FromInt64(p.Table.Options.InitVal ?? 0);
            else if (e.IsInteger)
                current = LongDouble.FromInt64(e.IntValue);
            else if (!LongDouble.TryParse(e.ValueUtf8, out current))
                return RespErrors.NotFloat;
            var sum = current + increment;
            if (sum.IsInfinite)
                return NotFloatResult;
            var text = Encoding.ASCII.GetBytes(sum.ToString());
            Store(p, k, text, ItemExpiry.Retain);
            return RespReply.Bulk(text);
        }).ConfigureAwait(false);
        if (reply is RespBulk)
            c.Server.Notify('$', "incrbyfloat", table, r.Key);
        return reply;
    }

    // APPEND to an integer item appends to its decimal text (the item becomes a string, or stays an
    // integer when the result is one, e.g. 2 then 5 gives 25).
    private static async ValueTask<RespReply> Append(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        var r = c.Resolve(a[1]);
        if (r.Error is { } error)
            return error;
        var tail = a[2].ToArray();
        var table = r.Table!;
        var reply = await table.UpdateAsync(r.Key, (p, k) =>
        {
            var e = Live(p, k);
            if (e is null)
            {
                Store(p, k, tail, ItemExpiry.TableRule);
                return RespReply.Integer(tail.Length);
            }
            var head = Bytes(e).Span;
            if ((long)head.Length + tail.Length > MaxLength)
                return TooLong;
            var value = new byte[head.Length + tail.Length];
            head.CopyTo(value);
            tail.CopyTo(value.AsSpan(head.Length));
            Store(p, k, value, ItemExpiry.Retain);
            return RespReply.Integer(value.Length);
        }).ConfigureAwait(false);
        if (reply is RespInteger)
            c.Server.Notify('$', "append", table, r.Key);
        return reply;
    }

    private static ValueTask<RespReply> StrLen(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        var r = c.Resolve(a[1]);
        if (r.Error is { } error)
            return new(error);
        return new(r.Table!.Get(r.Key) is { } e ? RespReply.Integer(Length(e)) : RespReply.Zero);
    }

    private static ValueTask<RespReply> GetRange(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        if (!TryParseInt64(a[2].Span, out var start) || !TryParseInt64(a[3].Span, out var end))
            return new(RespErrors.NotInteger);
        var r = c.Resolve(a[1]);
        if (r.Error is { } error)
            return new(error);
        if (r.Table!.Get(r.Key) is not { } e)
            return new(EmptyBulk);
        var value = Bytes(e);
        long length = value.Length;
        if (start < 0 && end < 0 && start > end)
            return new(EmptyBulk);
        if (start < 0)
            start = length + start;
        if (end < 0)
            end = length + end;
        if (start < 0)
            start = 0;
        if (end < 0)
            end = 0;
        if (end >= length)
            end = length - 1;
        if (start > end || length == 0)
            return new(EmptyBulk);
        return new(RespReply.Bulk(value.Slice((int)start, (int)(end - start + 1))));
    }

    private static async ValueTask<RespReply> SetRange(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        if (!TryParseInt64(a[2].Span, out var offset))
            return RespErrors.NotInteger;
        if (offset < 0)
            return OffsetOutOfRange;
        var r = c.Resolve(a[1]);
        if (r.Error is { } error)
            return error;
        var patch = a[3].ToArray();
        var table = r.Table!;
        var tooLong = offset > MaxLength - patch.Length;
        var (reply, changed) = await table.UpdateAsync(r.Key, (p, k) =>
        {
            var e = Live(p, k);
            var current = e is null ? ReadOnlySpan<byte>.Empty : Bytes(e).Span;
            if (patch.Length == 0)
                return (RespReply.Integer(current.Length), false);
            if (tooLong)
                return (TooLong, false);
            var value = new byte[Math.Max(current.Length, offset + patch.Length)];
            current.CopyTo(value);
            patch.CopyTo(value.AsSpan((int)offset));
            Store(p, k, value, e is null ? ItemExpiry.TableRule : ItemExpiry.Retain);
            return (RespReply.Integer(value.Length), true);
        }).ConfigureAwait(false);
        if (changed)
            c.Server.Notify('$', "setrange", table, r.Key);
        return reply;
    }

    private static readonly RespReply MatchesName = RespReply.Bulk("matches");
    private static readonly RespReply LenName = RespReply.Bulk("len");

    // Redis 7.0's lcsCommand, step for step (the same ranges in the same order).
    private static ValueTask<RespReply> Lcs(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        var ra = c.Resolve(a[1]);
        if (ra.Error is { } ea)
            return new(ea);
        var rb = c.Resolve(a[2]);
        if (rb.Error is { } eb)
            return new(eb);
        bool getLen = false, getIdx = false, withMatchLen = false;
        long minMatchLen = 0;
        for (var j = 3; j < a.Length; j++)
        {
            var more = j + 1 < a.Length;
            if (Is(a[j], "IDX"))
            {
                getIdx = true;
            }
            else if (Is(a[j], "LEN"))
            {
                getLen = true;
            }
            else if (Is(a[j], "WITHMATCHLEN"))
            {
                withMatchLen = true;
            }
            else if (Is(a[j], "MINMATCHLEN") && more)
            {
                if (!TryParseInt64(a[j + 1].Span, out minMatchLen))
                    return new(RespErrors.NotInteger);
                if (minMatchLen < 0)
                    minMatchLen = 0;
                j++;
            }
            else
            {
                return new(RespErrors.Syntax);
            }
        }
        if (getIdx && getLen)
            return new(RespReply.Error("ERR If you want both the length and indexes, please just use IDX."));
        var x = ra.Table!.Get(ra.Key) is { } ex ? Bytes(ex) : ReadOnlyMemory<byte>.Empty;
        var y = rb.Table!.Get(rb.Key) is { } ey ? Bytes(ey) : ReadOnlyMemory<byte>.Empty;
        if ((long)(x.Length + 1) * (y.Length + 1) * sizeof(uint) > MaxLcsTableBytes)
            return new(RespReply.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"));
        return new(LcsOf(x.Span, y.Span, getLen, getIdx, withMatchLen, minMatchLen));
    }

    private static RespReply LcsOf(ReadOnlySpan<byte> s1, ReadOnlySpan<byte> s2, bool getLen, bool getIdx, bool withMatchLen, long minMatchLen)
    {
        var alen = s1.Length;
        var blen = s2.Length;
        var dp = new uint[(alen + 1) * (blen + 1)];
        var w = blen + 1;
        for (var i = 1; i <= alen; i++)
        {
            for (var j = 1; j <= blen; j++)
            {
                dp[(i * w) + j] = s1[i - 1] == s2[j - 1]
                    ? dp[((i - 1) * w) + j - 1] + 1
                    : Math.Max(dp[((i - 1) * w) + j], dp[(i * w) + j - 1]);
            }
        }
        var total = dp[(alen * w) + blen];
        if (getLen)
            return RespReply.Integer(total);
        var idx = (int)total;
        var result = new byte[idx];
        var matches = getIdx ? new List<RespReply>() : null;
        int arangeStart = alen, arangeEnd = 0, brangeStart = 0, brangeEnd = 0;
        var ii = alen;
        var jj = blen;
        while (ii > 0 && jj > 0)
        {
            var emit = false;
            if (s1[ii - 1] == s2[jj - 1])
            {
                result[idx - 1] = s1[ii - 1];
                if (arangeStart == alen)
                {
                    arangeStart = ii - 1;
                    arangeEnd = ii - 1;
                    brangeStart = jj - 1;
                    brangeEnd = jj - 1;
                }
                else if (arangeStart == ii && brangeStart == jj)
                {
                    arangeStart--;
                    brangeStart--;
                }
                else
                {
                    emit = true;
                }
                if (arangeStart == 0 || brangeStart == 0)
                    emit = true;
                idx--;
                ii--;
                jj--;
            }
            else
            {
                if (dp[((ii - 1) * w) + jj] > dp[(ii * w) + jj - 1])
                    ii--;
                else
                    jj--;
                if (arangeStart != alen)
                    emit = true;
            }
            var matchLen = arangeEnd - arangeStart + 1;
            if (emit)
            {
                if (matches is not null && (minMatchLen == 0 || matchLen >= minMatchLen))
                {
                    var range = new RespReply[withMatchLen ? 3 : 2];
                    range[0] = new RespArray([RespReply.Integer(arangeStart), RespReply.Integer(arangeEnd)]);
                    range[1] = new RespArray([RespReply.Integer(brangeStart), RespReply.Integer(brangeEnd)]);
                    if (withMatchLen)
                        range[2] = RespReply.Integer(matchLen);
                    matches.Add(new RespArray(range));
                }
                arangeStart = alen;
            }
        }
        if (matches is null)
            return RespReply.Bulk(result);
        return new RespMap([new(MatchesName, new RespArray(matches)), new(LenName, RespReply.Integer(total))]);
    }
}
