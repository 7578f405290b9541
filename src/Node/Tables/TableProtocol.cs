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
    /// <see cref="Matcher"/> is set for removals by pattern. <see cref="Rule"/>, when not htable's
    /// rule, picks the expiry of a set or add instead of <see cref="Expire"/> (the Redis endpoint's
    /// PX, EXAT, KEEPTTL and INCR keeping the key's expiry).
    /// </summary>
    public sealed record WriteOp(WriteKind Kind, KeyRef Key, byte[]? Value = null, long Number = 0, long? Expire = null, Matcher? Matcher = null, ItemExpiry Rule = default);

    /// <summary>What one write did. <see cref="Entry"/> is the new item for sets and adds.</summary>
    public readonly record struct WriteResult(WriteStatus Status, Entry? Entry = null, long Value = 0, int Count = 0);

    /// <summary>
    /// Writes for one partition, applied in order as one message (RPC and embedded batches are grouped
    /// per partition). Answered to the sender with <see cref="Applied"/> or <see cref="WriteFailed"/>,
    /// correlated by <see cref="Id"/>.
    /// </summary>
    public sealed record Apply(string Table, int Partition, IReadOnlyList<WriteOp> Ops, long Id) : ITableCommand;

    /// <summary>
    /// One write for one partition: the single-call RPC and embedded path (no lists for one op).
    /// Answered with <see cref="AppliedOne"/> or <see cref="WriteFailed"/>.
    /// </summary>
    public sealed record ApplyOne(string Table, int Partition, WriteOp Op, long Id) : ITableCommand;

    /// <summary>
    /// Runs a function on the partition's single writer (embedded atomic update, as sht_lock).
    /// Answered with <see cref="AtomicDone"/> or <see cref="WriteFailed"/>.
    /// </summary>
    public sealed record Atomic(string Table, int Partition, Func<TablePartition, object?> Update, long Id) : ITableCommand;

    /// <summary>Reply to <see cref="Apply"/>: one result per write, in order.</summary>
    public sealed record Applied(long Id, WriteResult[] Results);

    /// <summary>Reply to <see cref="ApplyOne"/>.</summary>
    public sealed record AppliedOne(long Id, WriteResult Result);

    /// <summary>Reply to <see cref="Atomic"/>: what the function returned.</summary>
    public sealed record AtomicDone(long Id, object? Result);

    /// <summary>
    /// The write with this id did not complete normally: the writer failed on it (and restarted), or
    /// it was applied here but its write concern was not met (<see cref="WriteConcernException"/>).
    /// </summary>
    public sealed record WriteFailed(long Id, Exception Error);

    /// <summary>
    /// Store database rows at version 0, not recorded for replication (a preload,
    /// <see cref="TablePartition.Load"/>; every key belongs to the writer's partition). Answered with
    /// <see cref="Loaded"/>.
    /// </summary>
    public sealed record Load(long Id, IReadOnlyList<LoadedItem> Rows);

    /// <summary>Reply to <see cref="Load"/>: how many rows were stored, or why none were.</summary>
    public sealed record Loaded(long Id, int Stored, string? Error = null);

    /// <summary>
    /// Install the writer's partition of staged contents (<see cref="TablePartition.Swap"/>,
    /// <c>htable.reload</c>). Answered with <see cref="Swapped"/>.
    /// </summary>
    public sealed record Swap(long Id, StagedContents Contents);

    /// <summary>Reply to <see cref="Swap"/>: the items the partition holds now, or why nothing changed.</summary>
    public sealed record Swapped(long Id, int Items, string? Error = null);

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
