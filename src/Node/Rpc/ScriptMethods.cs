using System.Globalization;
using System.Text;
using HTableCluster.Node.Configuration;
using HTableCluster.Node.Tables;
using HTableCluster.Storage;
using Microsoft.Extensions.Logging;
using static HTableCluster.Node.Tables.TableProtocol;

namespace HTableCluster.Node.Rpc;

/// <summary>
/// RPC twins of the htable script functions and pseudo-variables, so a remote client can do all a
/// kamailio.cfg script can. Parameters are validated strictly (JSON types), unlike Kamailio's own methods.
/// </summary>
public sealed partial class ScriptMethods(HTableNode node, NodeSettings settings, LeaseLocks locks, ILogger<ScriptMethods> logger)
{
    private const int Invalid = RpcParams.Errors.InvalidParams;
    private readonly RpcOptions _limits = settings.Rpc;

    /// <summary>The methods.</summary>
    public IEnumerable<RpcMethod> Methods()
    {
        yield return new("htable.inc", "$shtinc: add DELTA (default 1) to an integer item; returns the new value. TABLE KEY [DELTA]", true, (p, s) => Add(p, s, 1));
        yield return new("htable.dec", "$shtdec: subtract DELTA (default 1) from an integer item; returns the new value. TABLE KEY [DELTA]", true, (p, s) => Add(p, s, -1));
        yield return new("htable.value", "$sht(t=>k): the value (string or integer), initval for a missing key, else null. TABLE KEY", false, Value);
        yield return new("htable.ttl", "$shtex(t=>k): seconds until the item expires (0 = never), null when missing. TABLE KEY", false, Ttl);
        yield return new("htable.count_name", "$shtcn(t=>expr): number of items whose name matches; expr may start with ~~ (regex), %~ (starts with), ~% (ends with), == (equal), ** (all). TABLE EXPR", false, (p, s) => Count(p, false), Scans: true);
        yield return new("htable.count_value", "$shtcv(t=>expr): number of items whose value matches; prefixes as count_name plus eq (integer equal). TABLE EXPR", false, (p, s) => Count(p, true), Scans: true);
        yield return new("htable.match_name", "sht_match_name/sht_has_name: true when an item name matches. TABLE OP(eq|ne|re|sw|ew|in) VALUE", false, (p, s) => Match(p, false), Scans: true);
        yield return new("htable.match_value", "sht_match_str_value/sht_has_str_value: true when a string value matches. TABLE OP(eq|ne|re|sw|ew|in) VALUE", false, (p, s) => Match(p, true), Scans: true);
        yield return new("htable.rm", "sht_rm: delete one key; returns true when it existed. TABLE KEY", true, Remove);
        yield return new("htable.rm_name", "sht_rm_name: delete items whose name matches; returns the count. TABLE OP(re|sw|ew|in) VALUE", false, (p, s) => RemoveWhere(p, false, null));
        yield return new("htable.rm_value", "sht_rm_value: delete items whose value matches; returns the count. TABLE OP(re|sw|ew|in) VALUE", false, (p, s) => RemoveWhere(p, true, null));
        yield return new("htable.rm_name_re", "sht_rm_name_re: delete items whose name matches the regex; returns the count. TABLE REGEX", false, (p, s) => RemoveWhere(p, false, MatchOperator.Regex));
        yield return new("htable.rm_value_re", "sht_rm_value_re: delete items whose value matches the regex; returns the count. TABLE REGEX", false, (p, s) => RemoveWhere(p, true, MatchOperator.Regex));
        yield return new("htable.reset", "sht_reset: delete every item; returns the count. TABLE", false, Reset);
        yield return new("htable.is_null", "sht_is_null: true when the key is missing and the table has no initval. TABLE KEY", false, IsNull);
        yield return new("htable.iterate", "sht_iterator_*: one page of items and the cursor of the next page (null at the end). TABLE [CURSOR] [COUNT]", false, Iterate, Scans: true);
        yield return new("htable.lock", "sht_lock: take the lease lock of the key's slot; returns a token. TABLE KEY [LEASE_MS] [WAIT_MS]", false, Lock);
        yield return new("htable.unlock", "sht_unlock: release a lease lock. TABLE KEY TOKEN", false, Unlock);
        yield return new("htable.print", "sht_print: write every table to the log. No parameters.", false, Print, Scans: true);
    }

    private async ValueTask<RpcReply> Add(RpcParams p, WriteSink sink, int sign)
    {
        if (TableAndKey(p, out var t, out var key) is { } bad)
            return RpcReply.Fail(bad);
        long delta = 1;
        if (!p.StrictOptionalLong(2, "delta", ref delta, out var err))
            return RpcReply.Fail(err!);
        if (sign < 0)
        {
            if (delta == long.MinValue)
                return RpcReply.Fail(Invalid, "parameter 3 (delta) is out of range");
            delta = -delta;
        }
        var r = await sink.Write(t!, new WriteOp(WriteKind.Add, HTable.MakeKey(key), null, delta)).ConfigureAwait(false);
        return r.Status switch
        {
            WriteStatus.Applied => RpcReply.Ok(r.Value),
            WriteStatus.NotInteger => RpcReply.Fail(500, $"item '{key}' holds a string, not an integer"),
            WriteStatus.Overflow => RpcReply.Fail(500, $"item '{key}' would leave the 64-bit integer range (value {r.Value})"),
            _ => RpcReply.Miss(500, "Key name doesn't exist in htable."),
        };
    }

    private ValueTask<RpcReply> Value(RpcParams p, WriteSink sink)
    {
        if (TableAndKey(p, out var t, out var key) is { } bad)
            return RpcReply.Fail(bad).AsTask();
        var e = t!.Get(key);
        object? value = e is null ? t.Table.Options.InitVal : e.IsInteger ? e.IntValue : e.StringValue;
        return RpcReply.Ok(value).AsTask();
    }

    private ValueTask<RpcReply> Ttl(RpcParams p, WriteSink sink)
    {
        if (TableAndKey(p, out var t, out var key) is { } bad)
            return RpcReply.Fail(bad).AsTask();
        return RpcReply.Ok(t!.Table.SecondsToLive(key)).AsTask();
    }

    private ValueTask<RpcReply> Count(RpcParams p, bool byValue)
    {
        if (Table(p, out var t) is { } bad)
            return RpcReply.Fail(bad).AsTask();
        if (!p.StrictString(1, "expression", out var expr, out var err))
            return RpcReply.Fail(err!).AsTask();
        var prefix = expr.Length >= 2 ? expr[..2] : "";
        var rest = expr.Length >= 2 ? expr[2..] : expr;
        if (prefix == "**")
            return RpcReply.Ok(t!.Table.CountByName(Matcher.Create(MatchOperator.Any, ""))).AsTask();
        // As Kamailio: an operator with nothing after it counts nothing.
        if (rest.Length == 0 && prefix is "~~" or "%~" or "~%" or "==" or "eq")
            return RpcReply.Ok(0).AsTask();
        if (prefix == "eq")
        {
            // Integer equality over integer values; names never match (as Kamailio).
            if (!long.TryParse(rest, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
                return RpcReply.Fail(Invalid, $"'{rest}' is not an integer").AsTask();
            return RpcReply.Ok(byValue ? t!.Table.Items().Count(e => e.IsInteger && e.IntValue == n) : 0).AsTask();
        }
        var (op, pattern) = prefix switch
        {
            "~~" => (MatchOperator.Regex, rest),
            "%~" => (MatchOperator.StartsWith, rest),
            "~%" => (MatchOperator.EndsWith, rest),
            "==" => (MatchOperator.Equals, rest),
            _ => (MatchOperator.Regex, expr),
        };
        if (!Matcher.TryCreate(op, pattern, out var m, out var error))
            return RpcReply.Fail(Invalid, error!).AsTask();
        if (!byValue)
            return RpcReply.Ok(t!.Table.CountByName(m!)).AsTask();
        // $shtcv with text operators looks at string values only.
        return RpcReply.Ok(t!.Table.CountByValue(m!)).AsTask();
    }

    private ValueTask<RpcReply> Match(RpcParams p, bool byValue)
    {
        if (Table(p, out var t) is { } bad)
            return RpcReply.Fail(bad).AsTask();
        if (!p.StrictString(1, "operator", out var opText, out var err) || !p.StrictString(2, "value", out var value, out err))
            return RpcReply.Fail(err!).AsTask();
        if (opText is not ("eq" or "ne" or "re" or "sw" or "ew" or "in") || !Matcher.TryParseOperator(opText, out var op))
            return RpcReply.Fail(Invalid, $"unknown operator '{opText}' (expected eq, ne, re, sw, ew, in)").AsTask();
        if (!Matcher.TryCreate(op, value, out var m, out var error))
            return RpcReply.Fail(Invalid, error!).AsTask();
        return RpcReply.Ok(byValue ? t!.Table.AnyByValue(m!) : t!.Table.AnyByName(m!)).AsTask();
    }

    private async ValueTask<RpcReply> Remove(RpcParams p, WriteSink sink)
    {
        if (TableAndKey(p, out var t, out var key) is { } bad)
            return RpcReply.Fail(bad);
        var r = await sink.Write(t!, new WriteOp(WriteKind.Delete, HTable.MakeKey(key))).ConfigureAwait(false);
        return RpcReply.Ok(r.Status == WriteStatus.Applied);
    }

    private async ValueTask<RpcReply> RemoveWhere(RpcParams p, bool byValue, MatchOperator? fixedOp)
    {
        if (Table(p, out var t) is { } bad)
            return RpcReply.Fail(bad);
        MatchOperator op;
        string pattern;
        RpcError? err;
        if (fixedOp is { } f)
        {
            op = f;
            if (!p.StrictString(1, "regex", out pattern, out err))
                return RpcReply.Fail(err!);
        }
        else
        {
            if (!p.StrictString(1, "operator", out var opText, out err) || !p.StrictString(2, "value", out pattern, out err))
                return RpcReply.Fail(err!);
            if (opText is not ("re" or "sw" or "ew" or "in") || !Matcher.TryParseOperator(opText, out op))
                return RpcReply.Fail(Invalid, $"unknown operator '{opText}' (expected re, sw, ew, in)");
        }
        // As Kamailio, an empty pattern removes nothing (it would otherwise match every item).
        if (pattern.Length == 0)
            return RpcReply.Fail(Invalid, "the pattern must not be empty");
        if (!Matcher.TryCreate(op, pattern, out var m, out var error))
            return RpcReply.Fail(Invalid, error!);
        return RpcReply.Ok(await t!.RemoveWhereAsync(m!, byValue).ConfigureAwait(false));
    }

    private async ValueTask<RpcReply> Reset(RpcParams p, WriteSink sink)
    {
        if (Table(p, out var t) is { } bad)
            return RpcReply.Fail(bad);
        return RpcReply.Ok(await t!.ResetAsync().ConfigureAwait(false));
    }

    private ValueTask<RpcReply> IsNull(RpcParams p, WriteSink sink)
    {
        if (TableAndKey(p, out var t, out var key) is { } bad)
            return RpcReply.Fail(bad).AsTask();
        return RpcReply.Ok(t!.Table.Options.InitVal is null && t.Get(key) is null).AsTask();
    }

    private ValueTask<RpcReply> Iterate(RpcParams p, WriteSink sink)
    {
        if (Table(p, out var t) is { } bad)
            return RpcReply.Fail(bad).AsTask();
        ulong cursor = 0;
        if (p.Count > 1 && p[1].ValueKind != System.Text.Json.JsonValueKind.Null)
        {
            if (!p.StrictString(1, "cursor", out var c, out var err))
                return RpcReply.Fail(err!).AsTask();
            if (!ulong.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out cursor) || !t!.Table.IsCursor(cursor))
                return RpcReply.Fail(Invalid, $"parameter 2 (cursor) '{c}' is not a cursor returned by htable.iterate").AsTask();
        }
        long count = 100;
        if (!p.StrictOptionalLong(2, "count", ref count, out var cerr))
            return RpcReply.Fail(cerr!).AsTask();
        if (count < 1 || count > _limits.MaxPage)
            return RpcReply.Fail(Invalid, $"parameter 3 (count) must be 1..{_limits.MaxPage}").AsTask();
        var (items, next) = t!.Table.Page(cursor, (int)count);
        var list = new List<object?>(items.Count);
        foreach (var e in items)
        {
            list.Add(KamailioMethods.DumpItem(e));
        }
        return RpcReply.Ok(new RpcObject().With("items", list)
            .With("cursor", next?.ToString(CultureInfo.InvariantCulture))).AsTask();
    }

    private async ValueTask<RpcReply> Lock(RpcParams p, WriteSink sink)
    {
        if (TableAndKey(p, out var t, out var key) is { } bad)
            return RpcReply.Fail(bad);
        long lease = 10_000, wait = 0;
        if (!p.StrictOptionalLong(2, "lease_ms", ref lease, out var err) || !p.StrictOptionalLong(3, "wait_ms", ref wait, out err))
            return RpcReply.Fail(err!);
        if (lease is < 1 or > 3_600_000 || wait is < 0 or > 60_000)
            return RpcReply.Fail(Invalid, "lease_ms must be 1..3600000 and wait_ms 0..60000");
        var token = await locks.AcquireAsync(t!.Name, t.Table.SlotOf(HTable.MakeKey(key)), TimeSpan.FromMilliseconds(lease), TimeSpan.FromMilliseconds(wait)).ConfigureAwait(false);
        return token is null ? RpcReply.Fail(409, "slot is locked") : RpcReply.Ok(token);
    }

    private ValueTask<RpcReply> Unlock(RpcParams p, WriteSink sink)
    {
        if (TableAndKey(p, out var t, out var key) is { } bad)
            return RpcReply.Fail(bad).AsTask();
        if (!p.StrictString(2, "token", out var token, out var err))
            return RpcReply.Fail(err!).AsTask();
        return locks.Release(t!.Name, t.Table.SlotOf(HTable.MakeKey(key)), token)
            ? RpcReply.Ok(true).AsTask()
            : RpcReply.Fail(409, "lock not held with this token (expired or released)").AsTask();
    }

    private ValueTask<RpcReply> Print(RpcParams p, WriteSink sink)
    {
        foreach (var t in node.Tables)
        {
            foreach (var (slot, items) in t.Table.DumpSlots())
            {
                foreach (var e in items)
                    LogItem(logger, t.Name, slot, e.Key, e.ValueText);
            }
        }
        return RpcReply.Ok("Ok").AsTask();
    }

    private RpcError? Table(RpcParams p, out TableClient? table)
    {
        table = null;
        if (!p.StrictString(0, "table", out var name, out var err))
            return err;
        table = node.Find(name);
        return table is null ? new RpcError(500, "No such htable") : null;
    }

    private RpcError? TableAndKey(RpcParams p, out TableClient? table, out string key)
    {
        key = "";
        if (Table(p, out table) is { } bad)
            return bad;
        if (!p.StrictString(1, "key", out key, out var err))
            return err;
        return RpcParams.KeyTooLong(key, _limits.MaxKeyBytes);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "htable {Table} slot {Slot}: {Key} = {Value}")]
    private static partial void LogItem(ILogger logger, string table, int slot, string key, string value);
}
