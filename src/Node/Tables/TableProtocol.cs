using HTableCluster.Storage;

namespace HTableCluster.Node.Tables;

/// <summary>Messages understood by <see cref="TableActor"/>.</summary>
public static class TableProtocol
{
    /// <summary>A command addressed to one table.</summary>
    public interface ITableCommand
    {
        /// <summary>Target table.</summary>
        string Table { get; }
    }

    /// <summary>What a write did.</summary>
    public enum WriteStatus
    {
        /// <summary>Applied.</summary>
        Applied = 0,
        /// <summary>The key does not exist.</summary>
        NotFound = 1,
        /// <summary>The item is a string where an integer is needed.</summary>
        NotInteger = 2,
        /// <summary>The 64-bit range would be left.</summary>
        Overflow = 3,
    }

    /// <summary>Kinds of single-key and whole-partition writes.</summary>
    public enum WriteKind
    {
        /// <summary>Set a string.</summary>
        SetString,
        /// <summary>Set an integer.</summary>
        SetInteger,
        /// <summary>Change the expiry of an existing item.</summary>
        SetExpire,
        /// <summary>Delete a key.</summary>
        Delete,
        /// <summary>Add to an integer.</summary>
        Add,
        /// <summary>Remove items whose name matches.</summary>
        RemoveByName,
        /// <summary>Remove items whose value matches.</summary>
        RemoveByValue,
        /// <summary>Remove everything older than the version in <see cref="WriteOp.Number"/> (0: now).</summary>
        Reset,
    }

    /// <summary>
    /// One write. <see cref="Expire"/> is the explicit lifetime in seconds (setxs/setxi/setex);
    /// <see cref="Matcher"/> is set for removals by pattern.
    /// </summary>
    public sealed record WriteOp(WriteKind Kind, KeyRef Key, byte[]? Value = null, long Number = 0, long? Expire = null, Matcher? Matcher = null);

    /// <summary>What one write did. <see cref="Entry"/> is the new item for sets and adds.</summary>
    public readonly record struct WriteResult(WriteStatus Status, Entry? Entry = null, long Value = 0, int Count = 0);

    /// <summary>
    /// Writes for one partition, applied in order as one message (RPC and embedded batches are grouped
    /// per partition). The reply completes <see cref="Reply"/>.
    /// </summary>
    public sealed record Apply(string Table, int Partition, IReadOnlyList<WriteOp> Ops, TaskCompletionSource<WriteResult[]> Reply) : ITableCommand;

    /// <summary>
    /// One write for one partition: the single-call RPC and embedded path (no lists for one op). The
    /// reply completes <see cref="Reply"/>.
    /// </summary>
    public sealed record ApplyOne(string Table, int Partition, WriteOp Op, TaskCompletionSource<WriteResult> Reply) : ITableCommand;

    /// <summary>Runs a function on the partition's single writer (embedded atomic update, as sht_lock).</summary>
    public sealed record Atomic(string Table, int Partition, Func<TablePartition, object?> Update, TaskCompletionSource<object?> Reply) : ITableCommand;

    /// <summary>Periodic expiry sweep (timer message).</summary>
    public sealed record Sweep
    {
        /// <summary>The instance.</summary>
        public static readonly Sweep Instance = new();

        private Sweep()
        {
        }
    }
}
