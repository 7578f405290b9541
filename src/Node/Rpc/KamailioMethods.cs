using System.Globalization;
using System.Text;
using HTableCluster.Node.Configuration;
using HTableCluster.Node.Database;
using Akka.Hosting;
using HTableCluster.Node.Tables;
using HTableCluster.Replication;
using HTableCluster.Storage;
using static HTableCluster.Node.Tables.TableProtocol;

namespace HTableCluster.Node.Rpc;

/// <summary>
/// Kamailio 5.6's htable RPC methods with its parameter scan, reply shapes, texts and codes
/// (recorded from the running server under tests/Conformance). Deliberate differences: values are
/// 64-bit, expired-but-uncollected items count as missing everywhere, and an explicit expiry
/// (setex/setxs/setxi) takes effect on every table, not only on autoexpire tables.
/// </summary>
public sealed class KamailioMethods(HTableNode node, NodeSettings settings, TableReloader reloader, TableStore store)
{
    /// <summary>Kamailio's fault code for most htable errors.</summary>
    public const int Fault = 500;

    /// <summary>Longest wait of htable.dmqsync/dmqresync for the snapshot to be merged.</summary>
    public static readonly TimeSpan SyncWait = TimeSpan.FromSeconds(60);

    private readonly RpcOptions _limits = settings.Rpc;

    /// <summary>The methods.</summary>
    public IEnumerable<RpcMethod> Methods()
    {
        yield return new("htable.get", "Get one key from a hash table.", false, Get);
        yield return new("htable.delete", "Delete one key from a hash table.", true, Delete);
        yield return new("htable.sets", "Set one key in a hash table to a string value.", true, SetString);
        yield return new("htable.seti", "Set one key in a hash table to an integer value.", true, SetInteger);
        yield return new("htable.setex", "Set expire in a hash table for the item referenced by key.", true, SetExpire);
        yield return new("htable.setxs", "Set one key in a hash table to a string value and its expire value.", true, SetStringExpire);
        yield return new("htable.setxi", "Set one key in a hash table to an integer value and its expire value.", true, SetIntegerExpire);
        yield return new("htable.dump", "Dump the contents of hash table.", false, Dump, Scans: true);
        yield return new("htable.reload", "Reload hash table from database.", false, Reload, Scans: true);
        yield return new("htable.store", "Store hash table to database.", false, Store, Scans: true);
        yield return new("htable.flush", "Flush hash table.", false, Flush);
        yield return new("htable.listTables", "List all htables.", false, ListTables, Scans: true);
        yield return new("htable.stats", "Statistics about htables.", false, Stats, Scans: true);
        yield return new("htable.dmqsync", "Perform DMQ sync action.", false, DmqSync);
        yield return new("htable.dmqresync", "Perform DMQ resync action (flush and sync).", false, DmqResync);
    }

    private ValueTask<RpcReply> Get(RpcParams p, WriteSink sink)
    {
        if (!p.KamString(0, false, out var name) || !p.KamString(1, false, out var key))
            return RpcReply.Fail(Fault, "Not enough parameters (htable name and key name)").AsTask();
        if (node.Find(name) is not { } t)
            return NoSuchTable();
        var e = t.Get(key);
        if (e is null)
            return RpcReply.Miss(Fault, "Key name doesn't exist in htable.").AsTask();
        var item = new RpcObject().With("name", e.Key);
        if (e.IsInteger)
            item.With("value", e.IntValue).With("flags", 0);
        else
            item.With("value", e.StringValue).With("flags", 2);
        item.With("expire", ExpireText(e));
        return RpcReply.Ok(new RpcObject().With("item", item)).AsTask();
    }

    private async ValueTask<RpcReply> Delete(RpcParams p, WriteSink sink)
    {
        if (!p.KamString(0, false, out var name) || !p.KamString(1, false, out var key))
            return RpcReply.Fail(Fault, "Not enough parameters (htable name & key name");
        if (node.Find(name) is not { } t)
            return RpcReply.Fail(Fault, "No such htable");
        if (RpcParams.KeyTooLong(key, _limits.MaxKeyBytes) is { } bad)
            return RpcReply.Fail(bad);
        var r = await sink.Write(t, new WriteOp(WriteKind.Delete, HTable.MakeKey(key))).ConfigureAwait(false);
        return r.Status == WriteStatus.Applied ? RpcReply.Ok("Ok. Key deleted.") : RpcReply.Miss(404, "Key not found in htable.");
    }

    private ValueTask<RpcReply> SetString(RpcParams p, WriteSink sink)
    {
        if (!p.KamString(0, false, out var name) || !p.KamString(1, false, out var key) || !p.KamString(2, true, out var value))
            return RpcReply.Fail(Fault, "Not enough parameters (htable name, key name and value)").AsTask();
        return node.Find(name) is { } t ? SetAsync(t, sink, key, value, 0, null) : NoSuchTable();
    }

    private ValueTask<RpcReply> SetInteger(RpcParams p, WriteSink sink)
    {
        if (!p.KamString(0, false, out var name) || !p.KamString(1, false, out var key) || !p.KamInt(2, true, out var value, out var inRange))
            return RpcReply.Fail(Fault, "Not enough parameters (htable name, key name and value)").AsTask();
        if (node.Find(name) is not { } t)
            return NoSuchTable();
        return inRange ? SetAsync(t, sink, key, null, value, null) : OutOfRange();
    }

    private async ValueTask<RpcReply> SetExpire(RpcParams p, WriteSink sink)
    {
        if (!p.KamString(0, false, out var name) || !p.KamString(1, false, out var key) || !p.KamInt(2, true, out var seconds, out var inRange))
            return RpcReply.Fail(Fault, "Not enough parameters (htable name, item name and expire)");
        if (node.Find(name) is not { } t)
            return RpcReply.Fail(Fault, "No such htable");
        if (!inRange)
            return RpcReply.Fail(Fault, "Failed to set the item");
        if (RpcParams.KeyTooLong(key, _limits.MaxKeyBytes) is { } bad)
            return RpcReply.Fail(bad);
        // A missing key is not an error (as in Kamailio).
        await sink.Write(t, new WriteOp(WriteKind.SetExpire, HTable.MakeKey(key), null, seconds)).ConfigureAwait(false);
        return RpcReply.Ok("Ok");
    }

    private ValueTask<RpcReply> SetStringExpire(RpcParams p, WriteSink sink)
    {
        if (!p.KamString(0, false, out var name) || !p.KamString(1, false, out var key) || !p.KamString(2, true, out var value)
            || !p.KamInt(3, out var seconds, out var inRange))
            return RpcReply.Fail(Fault, "Not enough parameters (htable name, key name, value and expire)").AsTask();
        if (node.Find(name) is not { } t || !inRange)
            return RpcReply.Fail(Fault, "Failed to set the item").AsTask();
        return SetAsync(t, sink, key, value, 0, seconds);
    }

    private ValueTask<RpcReply> SetIntegerExpire(RpcParams p, WriteSink sink)
    {
        if (!p.KamString(0, false, out var name) || !p.KamString(1, false, out var key) || !p.KamInt(2, true, out var value, out var r1)
            || !p.KamInt(3, out var seconds, out var r2))
            return RpcReply.Fail(Fault, "Not enough parameters (htable name, key name, value and expire)").AsTask();
        if (node.Find(name) is not { } t || !r1 || !r2)
            return RpcReply.Fail(Fault, "Failed to set the item").AsTask();
        return SetAsync(t, sink, key, null, value, seconds);
    }

    private async ValueTask<RpcReply> SetAsync(TableClient t, WriteSink sink, string key, string? text, long number, long? expire)
    {
        if (RpcParams.KeyTooLong(key, _limits.MaxKeyBytes) is { } badKey)
            return RpcReply.Fail(badKey);
        WriteOp op;
        if (text is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            if (bytes.Length > _limits.MaxValueBytes)
                return RpcReply.Fail(RpcParams.Errors.InvalidParams, $"value is {bytes.Length} bytes, the limit is {_limits.MaxValueBytes} (Rpc:MaxValueBytes)");
            op = new WriteOp(WriteKind.SetString, HTable.MakeKey(key), bytes, 0, expire);
        }
        else
        {
            op = new WriteOp(WriteKind.SetInteger, HTable.MakeKey(key), null, number, expire);
        }
        await sink.Write(t, op).ConfigureAwait(false);
        return RpcReply.Ok("Ok. Key set to new value.");
    }

    private ValueTask<RpcReply> Dump(RpcParams p, WriteSink sink)
    {
        if (!p.KamString(0, false, out var name))
            return RpcReply.Fail(Fault, "No htable name given").AsTask();
        if (node.Find(name) is not { } t)
            return NoSuchTable();
        var slots = new List<object?>();
        foreach (var (slot, items) in t.Table.DumpSlots())
        {
            var list = new List<object?>(items.Count);
            foreach (var e in items)
            {
                list.Add(DumpItem(e));
            }
            slots.Add(new RpcObject().With("entry", slot).With("size", items.Count).With("slot", list));
        }
        return RpcReply.Ok(slots).AsTask();
    }

    /// <summary>One item as <c>htable.dump</c> lists it: name, value, type ("int" or "str").</summary>
    internal static RpcObject DumpItem(Entry e) =>
        e.IsInteger
            ? new RpcObject().With("name", e.Key).With("value", e.IntValue).With("type", "int")
            : new RpcObject().With("name", e.Key).With("value", e.StringValue).With("type", "str");

    private ValueTask<RpcReply> Reload(RpcParams p, WriteSink sink) =>
        DatabaseCommandAsync(p, name => reloader.ReloadAsync(name), "Ok. Htable reloaded.", "Htable reload failed");

    private ValueTask<RpcReply> Store(RpcParams p, WriteSink sink) =>
        DatabaseCommandAsync(p, name => store.StoreAsync(name), "Ok. Htable successfully stored to DB.", "Storing htable failed");

    // Kamailio answers only its failure text; the reason is in the node's log.
    private async ValueTask<RpcReply> DatabaseCommandAsync(RpcParams p, Func<string, Task<string?>> run, string ok, string failed)
    {
        if (DatabaseTable(p, out var name) is { } refused)
            return refused;
        return await run(name).ConfigureAwait(false) is null ? RpcReply.Ok(ok) : RpcReply.Fail(Fault, failed);
    }

    // Kamailio checks the database URL before the parameters, then the table and its dbtable.
    private RpcReply? DatabaseTable(RpcParams p, out string name)
    {
        name = "";
        if (string.IsNullOrEmpty(settings.Htable.DbUrl))
            return RpcReply.Fail(Fault, "No htable db_url");
        if (!p.KamString(0, false, out name))
            return RpcReply.Fail(Fault, "No htable name given");
        if (node.Find(name) is not { } t)
            return RpcReply.Fail(Fault, "No such htable");
        if (t.Table.Options.DbTable.Length == 0)
            return RpcReply.Fail(Fault, "No database htable");
        return null;
    }

    private async ValueTask<RpcReply> Flush(RpcParams p, WriteSink sink)
    {
        if (!p.KamString(0, false, out var name))
            return RpcReply.Fail(Fault, "No htable name given");
        if (node.Find(name) is not { } t)
            return RpcReply.Fail(Fault, "No such htable");
        await t.ResetAsync().ConfigureAwait(false);
        return RpcReply.Ok("Ok. Htable flushed.");
    }

    // Kamailio sends the sync request and answers at once; here the answer comes once a peer's
    // snapshot is merged (or no peer is up), so "Ok" means the table is in sync.
    private async ValueTask<RpcReply> DmqSync(RpcParams p, WriteSink sink)
    {
        var table = p.Count > 0 && p.KamString(0, false, out var name) && name.Length > 0 ? name : null;
        return await SyncAsync(table).ConfigureAwait(false);
    }

    // Kamailio: flush this node's copy (not replicated), then ask the peers for their content. Here
    // the replication layer does both in one step after any sync in progress, re-applies this node's
    // own changes the donor had not seen yet, and refuses (without clearing) when no peer is up.
    private async ValueTask<RpcReply> DmqResync(RpcParams p, WriteSink sink)
    {
        if (!p.KamString(0, false, out var name))
            return RpcReply.Fail(Fault, "No htable name given");
        if (node.Find(name) is not { } t)
            return RpcReply.Fail(Fault, "No such htable");
        if (t.Table.Replicated)
            return await SyncAsync(name, replace: true).ConfigureAwait(false);
        // A table that does not replicate is flushed, and no peer has anything for it (as Kamailio).
        await t.ResetAsync().ConfigureAwait(false);
        return await SyncAsync(name).ConfigureAwait(false);
    }

    private async ValueTask<RpcReply> SyncAsync(string? table, bool replace = false)
    {
        if (node.Replication is not { } replication)
            return RpcReply.Fail(Fault, "HTable DMQ Sync Failed");
        try
        {
            var error = await replication.SyncAsync(table, replace, SyncWait).ConfigureAwait(false);
            return error is null ? RpcReply.Ok("Ok") : RpcReply.Fail(Fault, "HTable DMQ Sync Failed");
        }
        catch (TimeoutException)
        {
            return RpcReply.Fail(Fault, "HTable DMQ Sync Failed");
        }
    }

    // Kamailio lists tables in reverse definition order.
    private ValueTask<RpcReply> ListTables(RpcParams p, WriteSink sink)
    {
        var list = new List<object?>();
        for (var i = node.Tables.Count - 1; i >= 0; i--)
        {
            var o = node.Tables[i].Table.Options;
            list.Add(new RpcObject().With("name", o.Name).With("dbtable", o.DbTable).With("dbmode", o.DbMode)
                .With("expire", o.AutoExpire).With("updateexpire", o.UpdateExpire ? 1 : 0).With("size", o.SlotCount)
                .With("dmqreplicate", o.DmqReplicate ? 1 : 0));
        }
        return list.Count == 0 ? RpcReply.Fail(Fault, "No htables").AsTask() : RpcReply.Ok(list).AsTask();
    }

    private ValueTask<RpcReply> Stats(RpcParams p, WriteSink sink)
    {
        var list = new List<object?>();
        for (var i = node.Tables.Count - 1; i >= 0; i--)
        {
            var t = node.Tables[i].Table;
            var (items, max, min) = t.SlotStats();
            list.Add(new RpcObject().With("name", t.Name).With("slots", t.SlotCount).With("all", items).With("min", min).With("max", max));
        }
        return list.Count == 0 ? RpcReply.Fail(Fault, "No htables").AsTask() : RpcReply.Ok(list).AsTask();
    }

    private static ValueTask<RpcReply> NoSuchTable() => RpcReply.Fail(Fault, "No such htable").AsTask();

    private static ValueTask<RpcReply> OutOfRange() =>
        RpcReply.Fail(Fault, "Failed to set the item: value outside the 64-bit integer range").AsTask();

    // Kamailio prints the absolute expiry in the server's local time.
    private static string ExpireText(Entry e) =>
        e.ExpiresAtMs == 0
            ? "NEVER"
            : DateTimeOffset.FromUnixTimeMilliseconds(e.ExpiresAtMs).ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
