using HTableCluster.Node.Tables;
using static HTableCluster.Node.Tables.TableProtocol;

namespace HTableCluster.Node.Rpc;

/// <summary>
/// Where RPC handlers send writes. Single calls go straight to the partition writer; a JSON-RPC
/// batch collects consecutive writes and sends one message per partition on <see cref="FlushAsync"/>.
/// </summary>
public sealed class WriteSink
{
    private readonly bool _deferred;
    private readonly bool _completeInline;
    private List<(TableClient Table, WriteOp Op, TaskCompletionSource<WriteResult> Reply)>? _pending;

    private WriteSink(bool deferred, bool completeInline)
    {
        _deferred = deferred;
        _completeInline = completeInline;
    }

    /// <summary>Sink that sends every write at once.</summary>
    public static WriteSink Immediate { get; } = new(false, false);

    /// <summary>
    /// Sink that sends every write at once and lets the partition writer run the rest of the call
    /// (the reply) on its own thread, saving a thread hop. Only for RPC single calls, whose
    /// continuation never blocks.
    /// </summary>
    public static WriteSink ImmediateInline { get; } = new(false, true);

    /// <summary>A sink for one batch.</summary>
    public static WriteSink ForBatch() => new(true, false);

    /// <summary>Queues (batch) or sends (single) one write.</summary>
    public Task<WriteResult> Write(TableClient table, WriteOp op)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (!_deferred)
            return table.ApplyOneAsync(op, _completeInline);
        var tcs = new TaskCompletionSource<WriteResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        (_pending ??= []).Add((table, op, tcs));
        return tcs.Task;
    }

    /// <summary>Sends queued writes grouped per table and partition and waits until all are applied.</summary>
    public async Task FlushAsync()
    {
        if (_pending is not { Count: > 0 } pending)
            return;
        _pending = null;
        var byTable = new Dictionary<TableClient, (List<WriteOp> Ops, List<TaskCompletionSource<WriteResult>> Replies)>();
        foreach (var (table, op, reply) in pending)
        {
            if (!byTable.TryGetValue(table, out var group))
                byTable[table] = group = ([], []);
            group.Ops.Add(op);
            group.Replies.Add(reply);
        }
        foreach (var (table, (ops, replies)) in byTable)
        {
            try
            {
                var results = await table.ApplyAsync(ops).ConfigureAwait(false);
                for (var i = 0; i < results.Length; i++)
                    replies[i].TrySetResult(results[i]);
            }
            catch (Exception ex)
            {
                // Every queued call must complete: each one then answers with the fault.
                foreach (var r in replies)
                    r.TrySetException(ex);
            }
        }
    }
}
