using System.Globalization;
using System.Text;
using HTableCluster.Node.Tables;
using HTableCluster.Storage;
using static HTableCluster.Node.Resp.RespNumbers;
using static HTableCluster.Node.Resp.StringValues;

namespace HTableCluster.Node.Resp;

/// <summary>
/// Redis 7.0's generic key commands over htable items, and DBSIZE, FLUSHDB and FLUSHALL. A key is
/// placed by <see cref="RespContext.Resolve"/> (<c>table:key</c> or the selected database's table);
/// KEYS, SCAN, RANDOMKEY and DBSIZE look at the selected database's table. RENAME, RENAMENX and COPY
/// are one atomic step when both keys are on the same partition writer of the same table; otherwise
/// RENAME takes the source away atomically and then stores the destination (in between, the value
/// is under neither key), and COPY reads the source and then stores the destination.
/// </summary>
public static class KeyCommands
{
    private const RespCommandFlags Read = RespCommandFlags.ReadOnly | RespCommandFlags.Fast;
    private const RespCommandFlags WriteFast = RespCommandFlags.Write | RespCommandFlags.Fast;

    private static readonly RespReply NoSuchKey = RespReply.Error("ERR no such key");
    private static readonly RespReply SameObject = RespReply.Error("ERR source and destination objects are the same");
    private static readonly RespReply DbOutOfRange = RespReply.Error("ERR DB index is out of range");
    private static readonly RespReply InvalidCursor = RespReply.Error("ERR invalid cursor");
    private static readonly RespReply StringType = new RespSimple("string");
    private static readonly RespReply NoneType = new RespSimple("none");
    private static readonly RespReply LastCursor = RespReply.Bulk("0");
    private static readonly RespReply FreqError = RespReply.Error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
    private static readonly RespReply EncodingInt = RespReply.Bulk("int");
    private static readonly RespReply EncodingEmbStr = RespReply.Bulk("embstr");
    private static readonly RespReply EncodingRaw = RespReply.Bulk("raw");

    private static readonly RespReply ObjectHelp = new RespArray(
    [
        new RespSimple("OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"),
        new RespSimple("ENCODING <key>"),
        new RespSimple("    Return the kind of internal representation used in order to store the value"),
        new RespSimple("    associated with a <key>."),
        new RespSimple("FREQ <key>"),
        new RespSimple("    Return the access frequency index of the <key>. The returned integer is"),
        new RespSimple("    proportional to the logarithm of the recent access frequency of the key."),
        new RespSimple("IDLETIME <key>"),
        new RespSimple("    Return the idle time of the <key>, that is the approximated number of"),
        new RespSimple("    seconds elapsed since the last access to the key."),
        new RespSimple("REFCOUNT <key>"),
        new RespSimple("    Return the number of references of the value associated with the specified"),
        new RespSimple("    <key>."),
        new RespSimple("HELP"),
        new RespSimple("    Prints this help."),
    ]);

    /// <summary>Adds the family's commands.</summary>
    public static void Register(RespCommandTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        // Pipelined (RespCommand.Pipelined): DEL sends every key's delete before its first await and
        // reads nothing to decide them.
        table.Add(new("del", -2, RespCommandFlags.Write, 1, -1, 1, Del) { Pipelined = true });
        table.Add(new("unlink", -2, WriteFast, 1, -1, 1, Del) { Pipelined = true });
        table.Add(new("exists", -2, Read, 1, -1, 1, Exists));
        table.Add(new("touch", -2, Read, 1, -1, 1, Exists));
        table.Add(new("type", 2, Read, 1, 1, 1, Type));
        table.Add(new("rename", 3, RespCommandFlags.Write, 1, 2, 1, (c, a) => Rename(c, a, onlyNew: false)));
        table.Add(new("renamenx", 3, WriteFast, 1, 2, 1, (c, a) => Rename(c, a, onlyNew: true)));
        table.Add(new("copy", -3, RespCommandFlags.Write | RespCommandFlags.DenyOom, 1, 2, 1, Copy));
        table.Add(new("randomkey", 1, RespCommandFlags.ReadOnly, 0, 0, 0, RandomKey));
        table.Add(new("keys", 2, RespCommandFlags.ReadOnly, 0, 0, 0, Keys));
        table.Add(new("scan", -2, RespCommandFlags.ReadOnly, 0, 0, 0, Scan));
        table.Add(new("object", -2, RespCommandFlags.ReadOnly, 2, 2, 1, Object));
        table.Add(new("dbsize", 1, Read, 0, 0, 0, DbSize));
        table.Add(new("flushdb", -1, RespCommandFlags.Write, 0, 0, 0, (c, a) => Flush(c, a, all: false)));
        table.Add(new("flushall", -1, RespCommandFlags.Write, 0, 0, 0, (c, a) => Flush(c, a, all: true)));
    }

    // The selected database's table, or the same error as a key that cannot be placed.
    private static TableClient? Selected(RespContext c, out RespReply? error)
    {
        var databases = c.Server.Databases;
        if (c.Database >= 0 && c.Database < databases.Count)
        {
            error = null;
            return databases[c.Database];
        }
        error = RespKey.Resolve(c.Server, c.Database, default).Error;
        return null;
    }

    private static async ValueTask<RespReply> Del(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        // Every delete is sent before any is awaited (DEL is pipelined); deletes of one partition
        // apply in the order sent, so DEL k k still counts k once.
        var keys = new RespKey[a.Length - 1];
        var deletes = new Task<bool>?[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = c.Resolve(a[i + 1]);
            if (keys[i].Error is null)
                deletes[i] = keys[i].Table!.DeleteAsync(keys[i].Key);
        }
        var n = 0L;
        for (var i = 0; i < keys.Length; i++)
        {
            if (deletes[i] is not { } delete || !await delete.ConfigureAwait(false))
                continue;
            c.Server.Notify('g', "del", keys[i].Table!, keys[i].Key);
            n++;
        }
        return RespReply.Integer(n);
    }

    private static ValueTask<RespReply> Exists(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        var n = 0L;
        for (var i = 1; i < a.Length; i++)
        {
            var r = c.Resolve(a[i]);
            if (r.Error is null && r.Table!.Get(r.Key) is not null)
                n++;
        }
        return new(RespReply.Integer(n));
    }

    private static ValueTask<RespReply> Type(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        var r = c.Resolve(a[1]);
        return new(r.Error is null && r.Table!.Get(r.Key) is not null ? StringType : NoneType);
    }

    private static async ValueTask<RespReply> Rename(RespContext c, ReadOnlyMemory<byte>[] a, bool onlyNew)
    {
        var src = c.Resolve(a[1]);
        if (src.Error is { } e1)
            return e1;
        var dst = c.Resolve(a[2]);
        if (dst.Error is { } e2)
            return e2;
        if (ReferenceEquals(src.Table, dst.Table) && src.Key == dst.Key)
            return src.Table!.Get(src.Key) is null ? NoSuchKey : onlyNew ? RespReply.Zero : RespReply.Ok;
        int outcome; // -1 no source, 0 destination exists (RENAMENX), 1 renamed
        if (SameWriter(src, dst))
        {
            var dstKey = dst.Key;
            outcome = await src.Table!.UpdateAsync(src.Key, (p, k) =>
            {
                if (Live(p, k) is not { } e)
                    return -1;
                var dk = HTable.MakeKey(dstKey);
                if (onlyNew && Live(p, dk) is not null)
                    return 0;
                StoreCopy(p, dk, e, SameExpiry(e));
                p.Delete(k);
                return 1;
            }).ConfigureAwait(false);
        }
        else
        {
            if (src.Table!.Get(src.Key) is null)
                return NoSuchKey;
            if (onlyNew && dst.Table!.Get(dst.Key) is not null)
                return RespReply.Zero;
            var taken = await src.Table.UpdateAsync(src.Key, static (p, k) => p.Delete(k)).ConfigureAwait(false);
            if (taken is null)
                return NoSuchKey;
            var stored = await dst.Table!.UpdateAsync(dst.Key, (p, k) =>
            {
                if (onlyNew && Live(p, k) is not null)
                    return false;
                StoreCopy(p, k, taken, SameExpiry(taken));
                return true;
            }).ConfigureAwait(false);
            if (!stored)
            {
                // The destination appeared meanwhile (RENAMENX): the source goes back unless rewritten since.
                await src.Table.UpdateAsync(src.Key, (p, k) =>
                {
                    if (Live(p, k) is null)
                        StoreCopy(p, k, taken, SameExpiry(taken));
                    return true;
                }).ConfigureAwait(false);
            }
            outcome = stored ? 1 : 0;
        }
        switch (outcome)
        {
            case -1:
                return NoSuchKey;
            case 0:
                return RespReply.Zero;
            default:
                c.Server.Notify('g', "rename_from", src.Table!, src.Key);
                c.Server.Notify('g', "rename_to", dst.Table!, dst.Key);
                return onlyNew ? RespReply.One : RespReply.Ok;
        }
    }

    private static async ValueTask<RespReply> Copy(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        var replace = false;
        var database = c.Database;
        for (var j = 3; j < a.Length; j++)
        {
            if (Is(a[j], "REPLACE"))
            {
                replace = true;
            }
            else if (Is(a[j], "DB") && j + 1 < a.Length)
            {
                if (!TryParseInt64(a[j + 1].Span, out var db) || db is < int.MinValue or > int.MaxValue)
                    return RespErrors.NotInteger;
                if (db < 0 || db >= c.Server.Databases.Count)
                    return DbOutOfRange;
                database = (int)db;
                j++;
            }
            else
            {
                return RespErrors.Syntax;
            }
        }
        var src = c.Resolve(a[1]);
        if (src.Error is { } e1)
            return e1;
        var dst = RespKey.Resolve(c.Server, database, a[2].Span);
        if (dst.Error is { } e2)
            return e2;
        if (ReferenceEquals(src.Table, dst.Table) && src.Key == dst.Key)
            return SameObject;
        bool copied;
        if (SameWriter(src, dst))
        {
            var dstKey = dst.Key;
            copied = await src.Table!.UpdateAsync(src.Key, (p, k) =>
            {
                var dk = HTable.MakeKey(dstKey);
                if (Live(p, k) is not { } e || (!replace && Live(p, dk) is not null))
                    return false;
                StoreCopy(p, dk, e, SameExpiry(e));
                return true;
            }).ConfigureAwait(false);
        }
        else
        {
            if (src.Table!.Get(src.Key) is not { } source)
                return RespReply.Zero;
            copied = await dst.Table!.UpdateAsync(dst.Key, (p, k) =>
            {
                if (!replace && Live(p, k) is not null)
                    return false;
                StoreCopy(p, k, source, SameExpiry(source));
                return true;
            }).ConfigureAwait(false);
        }
        if (!copied)
            return RespReply.Zero;
        c.Server.Notify('g', "copy_to", dst.Table!, dst.Key);
        return RespReply.One;
    }

    // A random live key without listing the table: the first item at or after a random cursor
    // (a random partition and hash), else the first item of the table.
    private static ValueTask<RespReply> RandomKey(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        if (Selected(c, out var error) is not { } table)
            return new(error!);
        var t = table.Table;
        var cursor = ((ulong)(uint)Random.Shared.Next(t.PartitionCount) << 32) | (uint)Random.Shared.NextInt64(0, 1L << 32);
        var (items, _) = t.Page(cursor, 1);
        if (items.Count == 0)
            (items, _) = t.Page(0, 1);
        return new(items.Count == 0 ? RespReply.Nil : RespReply.Bulk(items[0].KeyUtf8.ToArray()));
    }

    private static ValueTask<RespReply> Keys(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        if (Selected(c, out var error) is not { } table)
            return new(error!);
        var pattern = a[1].Span;
        var all = RespGlob.MatchesAll(pattern);
        var bound = c.Server.MaxReplyKeys;
        var keys = new List<RespReply>();
        foreach (var e in table.Table.Items())
        {
            if (!all && !RespGlob.IsMatch(pattern, e.KeyUtf8))
                continue;
            if (keys.Count == bound)
                return new(RespErrors.TooManyKeys("keys", bound));
            keys.Add(RespReply.Bulk(e.KeyUtf8.ToArray()));
        }
        return new(new RespArray(keys));
    }

    // The cursor is HTable.Page's (partition and hash); 0 starts and ends an iteration, as in Redis.
    private static ValueTask<RespReply> Scan(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        if (!RespNumbers.TryParseCursor(a[1].Span, out var cursor))
            return new(InvalidCursor);
        var count = 10L;
        ReadOnlyMemory<byte> pattern = default;
        var match = false;
        var onlyStrings = true;
        for (var j = 2; j < a.Length; j++)
        {
            var more = j + 1 < a.Length;
            if (Is(a[j], "COUNT") && more)
            {
                if (!TryParseInt64(a[j + 1].Span, out count))
                    return new(RespErrors.NotInteger);
                if (count < 1)
                    return new(RespErrors.Syntax);
                j++;
            }
            else if (Is(a[j], "MATCH") && more)
            {
                pattern = a[j + 1];
                match = !RespGlob.MatchesAll(pattern.Span);
                j++;
            }
            else if (Is(a[j], "TYPE") && more)
            {
                // Every item is a string: another type matches nothing (pages still advance).
                onlyStrings = Ascii.EqualsIgnoreCase(a[j + 1].Span, "string"u8);
                j++;
            }
            else
            {
                return new(RespErrors.Syntax);
            }
        }
        if (Selected(c, out var error) is not { } table)
            return new(error!);
        var t = table.Table;
        if (!t.IsCursor(cursor))
            return new(new RespArray([LastCursor, RespReply.EmptyArray]));
        var (items, next) = t.Page(cursor, (int)Math.Min(count, c.Server.MaxReplyKeys));
        var keys = new List<RespReply>(onlyStrings ? items.Count : 0);
        if (onlyStrings)
        {
            foreach (var e in items)
            {
                if (!match || RespGlob.IsMatch(pattern.Span, e.KeyUtf8))
                    keys.Add(RespReply.Bulk(e.KeyUtf8.ToArray()));
            }
        }
        var nextText = next is { } n ? RespReply.Bulk(n.ToString(CultureInfo.InvariantCulture)) : LastCursor;
        return new(new RespArray([nextText, new RespArray(keys)]));
    }

    private static ValueTask<RespReply> Object(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        var sub = a[1];
        if (Is(sub, "HELP"))
            return new(a.Length == 2 ? ObjectHelp : RespErrors.WrongArity("object|help"));
        string name;
        if (Is(sub, "ENCODING"))
            name = "encoding";
        else if (Is(sub, "FREQ"))
            name = "freq";
        else if (Is(sub, "IDLETIME"))
            name = "idletime";
        else if (Is(sub, "REFCOUNT"))
            name = "refcount";
        else
            return new(RespErrors.UnknownSubcommand("object", sub.Span));
        if (a.Length != 3)
            return new(RespErrors.WrongArity("object|" + name));
        var r = c.Resolve(a[2]);
        if (r.Error is not null || r.Table!.Get(r.Key) is not { } e)
            return new(RespReply.Nil);
        return new(name switch
        {
            // Redis's encodings of a string: int (a canonical 64-bit integer), embstr (up to 44 bytes), raw.
            "encoding" => e.IsInteger ? EncodingInt : e.ValueUtf8.Length <= 44 ? EncodingEmbStr : EncodingRaw,
            "freq" => FreqError,
            // Seconds since the last write (reads are not tracked); 0 for an item loaded from the database.
            "idletime" => RespReply.Integer(e.Version == 0 ? 0 : Math.Max(0, r.Table.Table.Clock.NowMs - (e.Version >> 16)) / 1000),
            // Redis shares the integers 0..9999 (refcount INT_MAX).
            _ => RespReply.Integer(e.IsInteger && e.IntValue is >= 0 and < 10000 ? int.MaxValue : 1),
        });
    }

    private static ValueTask<RespReply> DbSize(RespContext c, ReadOnlyMemory<byte>[] a)
    {
        if (Selected(c, out var error) is not { } table)
            return new(error!);
        return new(RespReply.Integer(table.Table.SlotStats().Items));
    }

    // FLUSHDB is htable.flush of the selected database's table (one version for the whole table,
    // replicated); FLUSHALL flushes every table. ASYNC and SYNC are accepted and do the same.
    private static async ValueTask<RespReply> Flush(RespContext c, ReadOnlyMemory<byte>[] a, bool all)
    {
        if (a.Length > 2 || (a.Length == 2 && !Is(a[1], "ASYNC") && !Is(a[1], "SYNC")))
            return RespErrors.Syntax;
        if (all)
        {
            foreach (var t in c.Server.Node.Tables)
                await t.ResetAsync().ConfigureAwait(false);
            return RespReply.Ok;
        }
        if (Selected(c, out var error) is not { } table)
            return error!;
        await table.ResetAsync().ConfigureAwait(false);
        return RespReply.Ok;
    }
}
