using System.Globalization;
using System.Text;
using HTableCluster.Node.Tables;
using HTableCluster.Storage;

namespace HTableCluster.Node.Resp;

/// <summary>
/// Every table is also a Redis hash named after the table: a field is an item's key, its value the
/// item's value (<c>HGET t k</c> is <c>htable.get t k</c>). Integer items answer with their decimal
/// text. A hash name that is no configured table is an error naming it (tables are declared, as in
/// Kamailio), for reads as well as writes. Writes go through the table's partition writers, so they
/// replicate like RPC writes and keep the table's attributes (autoexpire, updateexpire, initval).
/// HINCRBY is the table's exact replicated counter (<see cref="TableClient.AddAsync(string, long, CancellationToken)"/>).
/// </summary>
public static class HashCommands
{
    private const RespCommandFlags WriteFast = RespCommandFlags.Write | RespCommandFlags.DenyOom | RespCommandFlags.Fast;
    private const RespCommandFlags ReadFast = RespCommandFlags.ReadOnly | RespCommandFlags.Fast;

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly RespReply BadField = RespReply.Error("ERR keys must be valid UTF-8 (htable keys are text)");
    private static readonly RespReply HashNotInteger = RespReply.Error("ERR hash value is not an integer");
    private static readonly RespReply HashNotFloat = RespReply.Error("ERR hash value is not a float");
    private static readonly RespReply NaNOrInfinity = RespReply.Error("ERR value is NaN or Infinity");
    private static readonly RespReply ProducesNaN = RespReply.Error("ERR increment would produce NaN or Infinity");
    private static readonly RespReply InvalidCursor = RespReply.Error("ERR invalid cursor");
    private static readonly RespReply OutOfRange = RespReply.Error("ERR value is out of range");
    private static readonly RespReply CountOutOfRange = RespReply.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
    private static readonly RespReply CursorZero = RespReply.Bulk("0");

    /// <summary>Adds the hash commands.</summary>
    public static void Register(RespCommandTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        // Pipelined (RespCommand.Pipelined): HSET and HMSET send one atomic update per field before
        // their first await, HSETNX one; each reads the field on the writer, nothing before sending.
        // HINCRBY is not: its fallback sends a second message after awaiting the first.
        table.Add(new("hset", -4, WriteFast, 1, 1, 1, HSet) { Pipelined = true });
        table.Add(new("hmset", -4, WriteFast, 1, 1, 1, HMSet) { Pipelined = true });
        table.Add(new("hsetnx", 4, WriteFast, 1, 1, 1, HSetNx) { Pipelined = true });
        table.Add(new("hget", 3, ReadFast, 1, 1, 1, HGet));
        table.Add(new("hmget", -3, ReadFast, 1, 1, 1, HMGet));
        table.Add(new("hdel", -3, RespCommandFlags.Write | RespCommandFlags.Fast, 1, 1, 1, HDel));
        table.Add(new("hexists", 3, ReadFast, 1, 1, 1, HExists));
        table.Add(new("hlen", 2, ReadFast, 1, 1, 1, HLen));
        table.Add(new("hstrlen", 3, ReadFast, 1, 1, 1, HStrLen));
        table.Add(new("hincrby", 4, WriteFast, 1, 1, 1, HIncrBy));
        table.Add(new("hincrbyfloat", 4, WriteFast, 1, 1, 1, HIncrByFloat));
        table.Add(new("hkeys", 2, RespCommandFlags.ReadOnly, 1, 1, 1, HKeys));
        table.Add(new("hvals", 2, RespCommandFlags.ReadOnly, 1, 1, 1, HVals));
        table.Add(new("hgetall", 2, RespCommandFlags.ReadOnly, 1, 1, 1, HGetAll));
        table.Add(new("hscan", -3, RespCommandFlags.ReadOnly, 1, 1, 1, HScan));
        table.Add(new("hrandfield", -2, RespCommandFlags.ReadOnly, 1, 1, 1, HRandField));
    }

    /// <summary>The error for a hash name that is no configured table.</summary>
    public static RespReply NoSuchTable(ReadOnlySpan<byte> name) =>
        RespReply.Error($"ERR no table '{RespErrors.Printable(name)}' (tables are declared in the node's configuration)");

    private static ValueTask<RespReply> Done(RespReply reply) => new(reply);

    // The table a hash name names, or the error to answer with.
    private static TableClient? TableOf(RespContext context, ReadOnlyMemory<byte> name, out RespReply? error)
    {
        string text;
        try
        {
            text = Strict.GetString(name.Span);
        }
        catch (DecoderFallbackException)
        {
            error = NoSuchTable(name.Span);
            return null;
        }
        var t = context.Node.Find(text);
        error = t is null ? NoSuchTable(name.Span) : null;
        return t;
    }

    private static string? FieldOf(ReadOnlyMemory<byte> field)
    {
        try
        {
            return Strict.GetString(field.Span);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>An item's value as Redis shows it: the bytes of a string, the decimal text of an integer.</summary>
    public static RespReply ValueOf(Entry e) =>
        e.IsInteger ? RespReply.Bulk(Encoding.ASCII.GetBytes(e.IntValue.ToString(CultureInfo.InvariantCulture))) : RespReply.Bulk(e.ValueUtf8.ToArray());

    private static RespReply? Unavailable(Exception e) => e is NodeUnavailableException or WriteConcernException or TimeoutException
        ? RespReply.Error("ERR " + e.Message.ReplaceLineEndings(" "))
        : null;

    private static ValueTask<RespReply> HSet(RespContext context, ReadOnlyMemory<byte>[] args) => SetFields(context, args, "hset", RespReply.Integer);

    private static ValueTask<RespReply> HMSet(RespContext context, ReadOnlyMemory<byte>[] args) => SetFields(context, args, "hmset", static _ => RespReply.Ok);

    private static async ValueTask<RespReply> SetFields(RespContext context, ReadOnlyMemory<byte>[] args, string name, Func<long, RespReply> reply)
    {
        if (args.Length % 2 != 0)
            return RespErrors.WrongArity(name);
        if (TableOf(context, args[1], out var error) is not { } t)
            return error!;
        var fields = new string[(args.Length - 2) / 2];
        for (var i = 0; i < fields.Length; i++)
        {
            if (FieldOf(args[2 + (2 * i)]) is not { } f)
                return BadField;
            fields[i] = f;
        }
        // Sent together: writes to one partition apply in the order sent (one sender, one writer).
        var writes = new Task<bool>[fields.Length];
        for (var i = 0; i < fields.Length; i++)
        {
            var value = args[3 + (2 * i)];
            writes[i] = t.UpdateAsync(fields[i], (p, k) => SetString(p, k, value.Span), context.Closed);
        }
        long added = 0;
        try
        {
            for (var i = 0; i < writes.Length; i++)
            {
                if (await writes[i].ConfigureAwait(false))
                    added++;
                context.Server.Notify('h', "hset", t, fields[i]);
            }
        }
        catch (Exception e) when (Unavailable(e) is { } r)
        {
            return r;
        }
        return reply(added);
    }

    // True when the field was new.
    private static bool SetString(TablePartition p, KeyRef k, ReadOnlySpan<byte> value)
    {
        var existed = p.Table.Get(k.Utf8) is not null;
        p.SetString(k, value);
        return !existed;
    }

    private static async ValueTask<RespReply> HSetNx(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        if (TableOf(context, args[1], out var error) is not { } t)
            return error!;
        if (FieldOf(args[2]) is not { } field)
            return BadField;
        var value = args[3];
        bool set;
        try
        {
            set = await t.UpdateAsync(field, (p, k) =>
            {
                if (p.Table.Get(k.Utf8) is not null)
                    return false;
                p.SetString(k, value.Span);
                return true;
            }, context.Closed).ConfigureAwait(false);
        }
        catch (Exception e) when (Unavailable(e) is { } r)
        {
            return r;
        }
        if (!set)
            return RespReply.Zero;
        context.Server.Notify('h', "hset", t, field);
        return RespReply.One;
    }

    private static ValueTask<RespReply> HGet(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        if (TableOf(context, args[1], out var error) is not { } t)
            return Done(error!);
        // Read by the field's bytes: no string on the read path.
        var field = args[2].Span;
        if (!System.Text.Unicode.Utf8.IsValid(field))
            return Done(BadField);
        return Done(t.Table.Get(field) is { } e ? ValueOf(e) : RespReply.Nil);
    }

    private static ValueTask<RespReply> HMGet(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        if (TableOf(context, args[1], out var error) is not { } t)
            return Done(error!);
        var items = new RespReply[args.Length - 2];
        for (var i = 0; i < items.Length; i++)
        {
            var field = args[2 + i].Span;
            if (!System.Text.Unicode.Utf8.IsValid(field))
                return Done(BadField);
            items[i] = t.Table.Get(field) is { } e ? ValueOf(e) : RespReply.Nil;
        }
        return Done(new RespArray(items));
    }

    private static async ValueTask<RespReply> HDel(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        if (TableOf(context, args[1], out var error) is not { } t)
            return error!;
        var fields = new string[args.Length - 2];
        for (var i = 0; i < fields.Length; i++)
        {
            if (FieldOf(args[2 + i]) is not { } f)
                return BadField;
            fields[i] = f;
        }
        var deletes = new Task<bool>[fields.Length];
        for (var i = 0; i < fields.Length; i++)
            deletes[i] = t.DeleteAsync(fields[i], context.Closed);
        long removed = 0;
        try
        {
            for (var i = 0; i < deletes.Length; i++)
            {
                if (!await deletes[i].ConfigureAwait(false))
                    continue;
                removed++;
                context.Server.Notify('h', "hdel", t, fields[i]);
            }
        }
        catch (Exception e) when (Unavailable(e) is { } r)
        {
            return r;
        }
        return RespReply.Integer(removed);
    }

    private static ValueTask<RespReply> HExists(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        if (TableOf(context, args[1], out var error) is not { } t)
            return Done(error!);
        if (FieldOf(args[2]) is not { } field)
            return Done(BadField);
        return Done(t.Get(field) is null ? RespReply.Zero : RespReply.One);
    }

    private static ValueTask<RespReply> HLen(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        if (TableOf(context, args[1], out var error) is not { } t)
            return Done(error!);
        return Done(RespReply.Integer(t.Table.SlotStats().Items));
    }

    private static ValueTask<RespReply> HStrLen(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        if (TableOf(context, args[1], out var error) is not { } t)
            return Done(error!);
        if (FieldOf(args[2]) is not { } field)
            return Done(BadField);
        var e = t.Get(field);
        long length = e is null ? 0 : e.IsInteger ? DecimalLength(e.IntValue) : e.ValueUtf8.Length;
        return Done(RespReply.Integer(length));
    }

    private static int DecimalLength(long value)
    {
        Span<char> text = stackalloc char[20];
        value.TryFormat(text, out var n, default, CultureInfo.InvariantCulture);
        return n;
    }

    private static async ValueTask<RespReply> HIncrBy(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        if (TableOf(context, args[1], out var error) is not { } t)
            return error!;
        if (FieldOf(args[2]) is not { } field)
            return BadField;
        if (!RespNumbers.TryParseInt64(args[3].Span, out var delta))
            return RespErrors.NotInteger;
        TableProtocol.WriteResult r;
        try
        {
            r = await t.AddAsync(field, delta, context.Closed).ConfigureAwait(false);
            if (r.Status == TableProtocol.WriteStatus.NotInteger)
            {
                // A field written as text (HSET) that holds an integer becomes the table's counter
                // first, as Redis increments any field whose text is an integer; both on the writer.
                var (status, value) = await t.UpdateAsync(field, (p, k) =>
                {
                    if (p.Table.Get(k.Utf8) is { IsInteger: false } e)
                    {
                        if (!RespNumbers.TryParseInt64(e.ValueUtf8, out var current))
                            return (AddStatus.NotInteger, 0L);
                        p.SetInteger(k, current);
                    }
                    return p.Add(k, delta);
                }, context.Closed).ConfigureAwait(false);
                r = new(status switch
                {
                    AddStatus.Applied => TableProtocol.WriteStatus.Applied,
                    AddStatus.NotInteger => TableProtocol.WriteStatus.NotInteger,
                    _ => TableProtocol.WriteStatus.Overflow,
                }, null, value);
            }
        }
        catch (Exception e) when (Unavailable(e) is { } reply)
        {
            return reply;
        }
        switch (r.Status)
        {
            case TableProtocol.WriteStatus.Applied:
                context.Server.Notify('h', "hincrby", t, field);
                return RespReply.Integer(r.Value);
            case TableProtocol.WriteStatus.NotInteger:
                return HashNotInteger;
            default:
                return RespErrors.Overflow;
        }
    }

    private static async ValueTask<RespReply> HIncrByFloat(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        if (TableOf(context, args[1], out var error) is not { } t)
            return error!;
        if (FieldOf(args[2]) is not { } field)
            return BadField;
        if (!LongDouble.TryParse(args[3].Span, out var delta))
            return RespErrors.NotFloat;
        if (delta.IsInfinite)
            return NaNOrInfinity;
        RespReply reply;
        try
        {
            // Read, add and store on the partition's writer: nothing changes the field meanwhile.
            // Computed as Redis computes it (an x87 long double), printed as Redis prints it.
            reply = await t.UpdateAsync(field, (p, k) =>
            {
                LongDouble current;
                var e = p.Table.Get(k.Utf8);
                if (e is null)
                    current = LongDouble.FromInt64(p.Table.Options.InitVal ?? 0);
                else if (e.IsInteger)
                    current = LongDouble.FromInt64(e.IntValue);
                else if (!LongDouble.TryParse(e.ValueUtf8, out current))
                    return HashNotFloat;
                var sum = current + delta;
                if (sum.IsInfinite)
                    return ProducesNaN;
                var text = Encoding.ASCII.GetBytes(sum.ToString());
                p.SetString(k, text);
                return RespReply.Bulk(text);
            }, context.Closed).ConfigureAwait(false);
        }
        catch (Exception e) when (Unavailable(e) is { } r)
        {
            return r;
        }
        if (reply is RespBulk)
            context.Server.Notify('h', "hincrbyfloat", t, field);
        return reply;
    }

    // Lists up to the bound, or null when the table holds more (the caller answers TooManyKeys).
    private static List<Entry>? Listed(RespContext context, TableClient t)
    {
        var max = context.Server.MaxReplyKeys;
        var items = new List<Entry>();
        foreach (var e in t.Table.Items())
        {
            if (items.Count == max)
                return null;
            items.Add(e);
        }
        return items;
    }

    private static ValueTask<RespReply> HKeys(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        if (TableOf(context, args[1], out var error) is not { } t)
            return Done(error!);
        if (Listed(context, t) is not { } items)
            return Done(RespErrors.TooManyKeys("hkeys", context.Server.MaxReplyKeys));
        var keys = new RespReply[items.Count];
        for (var i = 0; i < keys.Length; i++)
            keys[i] = RespReply.Bulk(items[i].KeyUtf8.ToArray());
        return Done(new RespArray(keys));
    }

    private static ValueTask<RespReply> HVals(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        if (TableOf(context, args[1], out var error) is not { } t)
            return Done(error!);
        if (Listed(context, t) is not { } items)
            return Done(RespErrors.TooManyKeys("hvals", context.Server.MaxReplyKeys));
        var values = new RespReply[items.Count];
        for (var i = 0; i < values.Length; i++)
            values[i] = ValueOf(items[i]);
        return Done(new RespArray(values));
    }

    private static ValueTask<RespReply> HGetAll(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        if (TableOf(context, args[1], out var error) is not { } t)
            return Done(error!);
        if (Listed(context, t) is not { } items)
            return Done(RespErrors.TooManyKeys("hgetall", context.Server.MaxReplyKeys));
        var pairs = new KeyValuePair<RespReply, RespReply>[items.Count];
        for (var i = 0; i < pairs.Length; i++)
            pairs[i] = new(RespReply.Bulk(items[i].KeyUtf8.ToArray()), ValueOf(items[i]));
        return Done(new RespMap(pairs));
    }

    private static ValueTask<RespReply> HScan(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        // Redis's order: the cursor, then the key, then the options.
        if (!RespNumbers.TryParseCursor(args[2].Span, out var cursor))
            return Done(InvalidCursor);
        if (TableOf(context, args[1], out var error) is not { } t)
            return Done(error!);
        ReadOnlyMemory<byte>? pattern = null;
        long count = 10;
        for (var i = 3; i < args.Length; i++)
        {
            var option = args[i].Span;
            var left = args.Length - i;
            if (Ascii.EqualsIgnoreCase(option, "count"u8) && left >= 2)
            {
                if (!RespNumbers.TryParseInt64(args[i + 1].Span, out count))
                    return Done(RespErrors.NotInteger);
                if (count < 1)
                    return Done(RespErrors.Syntax);
                i++;
            }
            else if (Ascii.EqualsIgnoreCase(option, "match"u8) && left >= 2)
            {
                var p = args[i + 1];
                pattern = p.Length == 1 && p.Span[0] == (byte)'*' ? null : p;
                i++;
            }
            else
            {
                return Done(RespErrors.Syntax);
            }
        }
        if (!t.Table.IsCursor(cursor))
            return Done(InvalidCursor);
        // COUNT is a hint (as in Redis); a page never lists more than the reply bound.
        var (items, next) = t.Table.Page(cursor, (int)Math.Min(count, Math.Max(1, context.Server.MaxReplyKeys)));
        var found = new List<RespReply>(items.Count * 2);
        foreach (var e in items)
        {
            if (pattern is { } glob && !RespGlob.IsMatch(glob.Span, e.KeyUtf8))
                continue;
            found.Add(RespReply.Bulk(e.KeyUtf8.ToArray()));
            found.Add(ValueOf(e));
        }
        var nextCursor = next is { } n ? RespReply.Bulk(n.ToString(CultureInfo.InvariantCulture)) : CursorZero;
        return Done(new RespArray([nextCursor, new RespArray(found)]));
    }

    private static ValueTask<RespReply> HRandField(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        long count = 1;
        var withValues = false;
        if (args.Length >= 3)
        {
            if (!RespNumbers.TryParseInt64(args[2].Span, out count))
                return Done(RespErrors.NotInteger);
            if (count == long.MinValue)
                return Done(CountOutOfRange);
            if (args.Length > 4 || (args.Length == 4 && !Ascii.EqualsIgnoreCase(args[3].Span, "withvalues"u8)))
                return Done(RespErrors.Syntax);
            if (args.Length == 4)
            {
                withValues = true;
                if (count < -(long.MaxValue / 2) || count > long.MaxValue / 2)
                    return Done(OutOfRange);
            }
        }
        if (TableOf(context, args[1], out var error) is not { } t)
            return Done(error!);
        if (args.Length < 3)
        {
            var one = Sample(t.Table, 1);
            return Done(one.Count == 0 ? RespReply.Nil : RespReply.Bulk(one[0].KeyUtf8.ToArray()));
        }
        if (count == 0)
            return Done(RespReply.EmptyArray);
        var max = context.Server.MaxReplyKeys;
        List<Entry> picked;
        if (count > 0)
        {
            picked = Sample(t.Table, (int)Math.Min(count, max + 1L));
            if (picked.Count > max)
                return Done(RespErrors.TooManyKeys("hrandfield", max));
        }
        else
        {
            if (-count > max)
                return Done(RespErrors.TooManyKeys("hrandfield", max));
            picked = SampleWithRepeats(t.Table, (int)-count);
        }
        var items = new RespReply[picked.Count * (withValues && context.Protocol == 2 ? 2 : 1)];
        for (var i = 0; i < picked.Count; i++)
        {
            var key = RespReply.Bulk(picked[i].KeyUtf8.ToArray());
            if (!withValues)
                items[i] = key;
            else if (context.Protocol == 2)
                (items[2 * i], items[(2 * i) + 1]) = (key, ValueOf(picked[i]));
            else
                items[i] = new RespArray([key, ValueOf(picked[i])]);
        }
        return Done(new RespArray(items));
    }

    // Up to k distinct live items, uniformly (reservoir sampling), in random order.
    private static List<Entry> Sample(HTable table, int k)
    {
        var reservoir = new List<Entry>(Math.Min(k, 1024));
        long seen = 0;
        foreach (var e in table.Items())
        {
            seen++;
            if (reservoir.Count < k)
            {
                reservoir.Add(e);
                continue;
            }
            var j = Random.Shared.NextInt64(seen);
            if (j < k)
                reservoir[(int)j] = e;
        }
        for (var i = reservoir.Count - 1; i > 0; i--)
        {
            var j = Random.Shared.Next(i + 1);
            (reservoir[i], reservoir[j]) = (reservoir[j], reservoir[i]);
        }
        return reservoir;
    }

    // k live items picked independently (the same item may come more than once); two passes, O(k) memory.
    private static List<Entry> SampleWithRepeats(HTable table, int k)
    {
        long size = 0;
        foreach (var _ in table.Items())
            size++;
        if (size == 0)
            return [];
        var positions = new long[k];
        for (var i = 0; i < k; i++)
            positions[i] = Random.Shared.NextInt64(size);
        var order = new int[k];
        for (var i = 0; i < k; i++)
            order[i] = i;
        Array.Sort(positions, order);
        var picked = new Entry?[k];
        var at = 0;
        long index = 0;
        Entry? last = null;
        foreach (var e in table.Items())
        {
            while (at < k && positions[at] == index)
                picked[order[at++]] = e;
            last = e;
            index++;
            if (at == k)
                break;
        }
        // Items removed between the passes: the remaining picks take the last item seen.
        var result = new List<Entry>(k);
        foreach (var e in picked)
        {
            if ((e ?? last) is { } item)
                result.Add(item);
        }
        return result;
    }
}
