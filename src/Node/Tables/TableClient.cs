using System.Text;
using Akka.Actor;
using HTableCluster.Storage;
using static HTableCluster.Node.Tables.TableProtocol;

namespace HTableCluster.Node.Tables;

/// <summary>
/// Embedded API of one table: reads go straight to Storage (about a dictionary lookup), writes are
/// sent to the partition's single writer and complete when applied. The RPC layer uses this too.
/// </summary>
public sealed class TableClient
{
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(30);
    private readonly IActorRef[] _writers;
    private readonly WriteReplies _replies;
    private volatile bool _closed;

    internal TableClient(HTable table, IActorRef[] writers, IActorRefProvider provider)
    {
        Table = table;
        _writers = writers;
        _replies = new WriteReplies(provider);
    }

    /// <summary>The Storage table (thread-safe reads).</summary>
    public HTable Table { get; }

    /// <summary>Table name.</summary>
    public string Name => Table.Name;

    /// <summary>The live item or null (<c>$sht(t=&gt;k)</c> without initval).</summary>
    public Entry? Get(string key) => Table.Get(key);

    // Every write below takes a CancellationToken: cancelling stops the wait, not the write (once
    // sent, the partition's writer applies it, and for a replicated table the peers get it).

    /// <summary>Sets a string value.</summary>
    public async Task<Entry> SetStringAsync(string key, string value, long? expireSeconds = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        var r = await Until(ApplyOneAsync(new WriteOp(WriteKind.SetString, HTable.MakeKey(key), Encoding.UTF8.GetBytes(value), 0, expireSeconds)), cancellationToken).ConfigureAwait(false);
        return r.Entry!;
    }

    /// <summary>Sets an integer value.</summary>
    public async Task<Entry> SetIntegerAsync(string key, long value, long? expireSeconds = null, CancellationToken cancellationToken = default)
    {
        var r = await Until(ApplyOneAsync(new WriteOp(WriteKind.SetInteger, HTable.MakeKey(key), null, value, expireSeconds)), cancellationToken).ConfigureAwait(false);
        return r.Entry!;
    }

    /// <summary>Sets the lifetime of an existing item; false when missing.</summary>
    public async Task<bool> SetExpireAsync(string key, long seconds, CancellationToken cancellationToken = default) =>
        (await Until(ApplyOneAsync(new WriteOp(WriteKind.SetExpire, HTable.MakeKey(key), null, seconds)), cancellationToken).ConfigureAwait(false)).Status == WriteStatus.Applied;

    /// <summary>Deletes a key; false when it was missing.</summary>
    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        (await Until(ApplyOneAsync(new WriteOp(WriteKind.Delete, HTable.MakeKey(key))), cancellationToken).ConfigureAwait(false)).Status == WriteStatus.Applied;

    /// <summary>Adds to an integer item (negative to subtract); see <see cref="WriteResult.Status"/>.</summary>
    public Task<WriteResult> AddAsync(string key, long delta, CancellationToken cancellationToken = default) =>
        Until(ApplyOneAsync(new WriteOp(WriteKind.Add, HTable.MakeKey(key), null, delta)), cancellationToken);

    /// <summary>
    /// Adds to an integer item as <see cref="AddAsync(string, long, CancellationToken)"/>, with the
    /// expiry <paramref name="expiry"/> picks (Redis's INCR: <see cref="ItemExpiry.Retain"/>).
    /// </summary>
    public Task<WriteResult> AddAsync(string key, long delta, ItemExpiry expiry, CancellationToken cancellationToken = default) =>
        Until(ApplyOneAsync(new WriteOp(WriteKind.Add, HTable.MakeKey(key), null, delta, null, null, expiry)), cancellationToken);

    /// <summary>Removes items whose name (or value) matches; returns how many.</summary>
    public Task<int> RemoveWhereAsync(Matcher matcher, bool byValue, CancellationToken cancellationToken = default) =>
        Until(BroadcastAsync(new WriteOp(byValue ? WriteKind.RemoveByValue : WriteKind.RemoveByName, default, null, 0, null, matcher)), cancellationToken);

    /// <summary>
    /// Removes every item; returns how many. One version is stamped for the whole table, so every
    /// partition (and, for a replicated table, every node) removes exactly what is older.
    /// </summary>
    public Task<int> ResetAsync(CancellationToken cancellationToken = default) =>
        Until(BroadcastAsync(new WriteOp(WriteKind.Reset, default, null, Table.Clock.Next())), cancellationToken);

    /// <summary>The writer actors, one per partition, for the replication layer.</summary>
    internal IReadOnlyList<IActorRef> Writers => _writers;

    /// <summary>From now on writes fail with <see cref="NodeUnavailableException"/> (the writers are going away).</summary>
    internal void Close() => _closed = true;

    /// <summary>Fails the writes still waiting for a reply (their writers stopped).</summary>
    internal void FailPending() => _replies.FailAll(new NodeUnavailableException());

    /// <summary>
    /// Runs <paramref name="update"/> on the single writer of <paramref name="key"/>'s partition, so
    /// nothing else changes that partition meanwhile (the embedded form of sht_lock/sht_unlock).
    /// </summary>
    public async Task<T> UpdateAsync<T>(string key, Func<TablePartition, KeyRef, T> update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        var k = HTable.MakeKey(key);
        var partition = Table.PartitionOf(k);
        if (_closed)
            throw new NodeUnavailableException();
        var (id, reply) = _replies.Expect<object?>(completeInline: false);
        _writers[partition].Tell(new Atomic(Name, partition, p => update(p, k), id), _replies);
        return (T)(await reply.WaitAsync(WriteTimeout, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// <see cref="UpdateAsync{T}"/> without its per-call timer (the hot path, as
    /// <see cref="ApplyOneAsync"/>: a writer that fails the update answers WriteFailed, and updates
    /// still waiting when the actor system stops are failed). The message is sent before this returns.
    /// </summary>
    internal Task<object?> UpdateOneAsync(string key, Func<TablePartition, KeyRef, object?> update)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (_closed)
            return Task.FromException<object?>(new NodeUnavailableException());
        var k = HTable.MakeKey(key);
        var partition = Table.PartitionOf(k);
        var (id, reply) = _replies.Expect<object?>(completeInline: false);
        _writers[partition].Tell(new Atomic(Name, partition, p => update(p, k), id), _replies);
        return reply;
    }

    /// <summary>
    /// Applies single-key writes grouped per partition (one message each); results come back in
    /// input order. Writes to one partition apply in input order.
    /// </summary>
    public async Task<WriteResult[]> ApplyAsync(IReadOnlyList<WriteOp> ops, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ops);
        foreach (var op in ops)
            EnsureSingleKey(op, nameof(ops));
        if (ops.Count == 1)
            return [await Until(ApplyOneAsync(ops[0]), cancellationToken).ConfigureAwait(false)];
        var groups = new List<WriteOp>?[_writers.Length];
        var positions = new List<int>?[_writers.Length];
        for (var i = 0; i < ops.Count; i++)
        {
            var p = Table.PartitionOf(ops[i].Key);
            (groups[p] ??= []).Add(ops[i]);
            (positions[p] ??= []).Add(i);
        }
        var results = new WriteResult[ops.Count];
        var pending = new List<(int Partition, Task<WriteResult[]> Task)>();
        for (var p = 0; p < groups.Length; p++)
        {
            if (groups[p] is { } g)
                pending.Add((p, Send(p, g)));
        }
        foreach (var (p, task) in pending)
        {
            var r = await Until(task, cancellationToken).ConfigureAwait(false);
            for (var j = 0; j < r.Length; j++)
                results[positions[p]![j]] = r[j];
        }
        return results;
    }

    /// <summary>Applies one single-key write (one message, no lists): the single-call RPC path.</summary>
    internal Task<WriteResult> ApplyOneAsync(WriteOp op, bool completeInline = false)
    {
        EnsureSingleKey(op, nameof(op));
        if (_closed)
            return Task.FromException<WriteResult>(new NodeUnavailableException());
        var partition = Table.PartitionOf(op.Key);
        var (id, reply) = _replies.Expect<WriteResult>(completeInline);
        _writers[partition].Tell(new ApplyOne(Name, partition, op, id), _replies);
        return reply;
    }

    /// <summary>
    /// Stores database rows at version 0, not recorded for replication (a preload): grouped per
    /// partition, one message to each writer. Returns how many were stored (a row whose key holds a
    /// newer item, or an expired row, is not). A row refused by its writer throws
    /// <see cref="InvalidOperationException"/> with the writer's reason.
    /// </summary>
    public async Task<int> LoadAsync(IReadOnlyList<LoadedItem> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (_closed)
            throw new NodeUnavailableException();
        var groups = new List<LoadedItem>?[_writers.Length];
        foreach (var row in rows)
            (groups[Table.PartitionOf(HTable.MakeKey(row.KeyUtf8))] ??= []).Add(row);
        var pending = new List<Task<int>>();
        for (var p = 0; p < groups.Length; p++)
        {
            if (groups[p] is { } g)
                pending.Add(LoadAsync(p, g, cancellationToken));
        }
        var stored = 0;
        foreach (var task in pending)
            stored += await task.ConfigureAwait(false);
        return stored;
    }

    /// <summary>
    /// Stores database rows of one partition at version 0 (see <see cref="LoadAsync(IReadOnlyList{LoadedItem}, CancellationToken)"/>):
    /// one message to its writer. A row of another partition is refused by the writer.
    /// </summary>
    public Task<int> LoadAsync(int partition, IReadOnlyList<LoadedItem> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(partition, _writers.Length);
        if (_closed)
            throw new NodeUnavailableException();
        var (id, reply) = _replies.Expect<Loaded>(completeInline: false);
        _writers[partition].Tell(new Load(id, rows), _replies);
        return StoredAsync(reply, cancellationToken);
    }

    private async Task<int> StoredAsync(Task<Loaded> reply, CancellationToken cancellationToken)
    {
        var loaded = await Until(reply, cancellationToken).ConfigureAwait(false);
        return loaded.Error is null ? loaded.Stored : throw new InvalidOperationException($"table {Name}: {loaded.Error}");
    }

    /// <summary>
    /// Installs staged contents (<c>htable.reload</c>): one message to each writer, which swaps its
    /// partition in at once. Returns the items the table holds afterwards. A writer that refuses
    /// (contents of another table, or swapped before) throws <see cref="InvalidOperationException"/>.
    /// </summary>
    public async Task<int> SwapAsync(StagedContents contents, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contents);
        if (_closed)
            throw new NodeUnavailableException();
        var pending = new Task<Swapped>[_writers.Length];
        for (var p = 0; p < _writers.Length; p++)
        {
            var (id, reply) = _replies.Expect<Swapped>(completeInline: false);
            _writers[p].Tell(new Swap(id, contents), _replies);
            pending[p] = reply;
        }
        var items = 0;
        string? error = null;
        foreach (var task in pending)
        {
            var swapped = await Until(task, cancellationToken).ConfigureAwait(false);
            error ??= swapped.Error;
            items += swapped.Items;
        }
        return error is null ? items : throw new InvalidOperationException($"table {Name}: {error}");
    }

    // Without a token that can be cancelled, the write's own task (no extra allocation).
    private static Task<T> Until<T>(Task<T> task, CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? task.WaitAsync(cancellationToken) : task;

    private static void EnsureSingleKey(WriteOp op, string parameter)
    {
        if (op.Kind is WriteKind.Reset or WriteKind.RemoveByName or WriteKind.RemoveByValue)
            throw new ArgumentException($"{op.Kind} spans every partition: use ResetAsync or RemoveWhereAsync", parameter);
    }

    private async Task<int> BroadcastAsync(WriteOp op)
    {
        var tasks = new Task<WriteResult[]>[_writers.Length];
        for (var p = 0; p < _writers.Length; p++)
            tasks[p] = Send(p, [op]);
        var total = 0;
        foreach (var t in tasks)
            total += (await t.ConfigureAwait(false))[0].Count;
        return total;
    }

    private Task<WriteResult[]> Send(int partition, IReadOnlyList<WriteOp> ops)
    {
        if (_closed)
            return Task.FromException<WriteResult[]>(new NodeUnavailableException());
        // No per-call timer on the hot path: a writer that fails a message answers WriteFailed, and
        // the writes still waiting when the actor system stops are failed (HTableNode.SuspendAsync).
        var (id, reply) = _replies.Expect<WriteResult[]>(completeInline: false);
        _writers[partition].Tell(new Apply(Name, partition, ops, id), _replies);
        return reply;
    }
}
