using Akka.Actor;

namespace HTableCluster.Replication;

/// <summary>The only serializer binding: every message that crosses the network implements it.</summary>
public interface IHTableWireMessage
{
}

/// <summary>
/// Who wrote something: the node id and the incarnation (Akka's unique address id, new at every
/// start), so batch numbers restart cleanly when a node restarts.
/// </summary>
public readonly record struct Origin(string NodeId, long Incarnation);

/// <summary>How far a snapshot covers one origin's batches.</summary>
public readonly record struct OriginMark(Origin Origin, long Seq);

/// <summary>Messages of the replication layer (local ones first, then the wire types).</summary>
public static class ReplicationProtocol
{
    /// <summary>The partition writers of every replicated table (sent once by the node at start).</summary>
    public sealed record Attach(IReadOnlyDictionary<string, IReadOnlyList<IActorRef>> Writers);

    /// <summary>
    /// Local changes of one partition (from its writer, after applying them). With a write concern,
    /// <see cref="Confirmed"/> is called once enough peers applied them (null) or when that did not
    /// happen in time (the reason).
    /// </summary>
    public sealed record Changed(string Table, IReadOnlyList<byte[]> Items, long ResetVersion, Action<string?>? Confirmed = null);

    /// <summary>Items from peers for one partition writer to merge (last writer wins), and a reset version (0: none).</summary>
    public sealed record Merge(string Table, IReadOnlyList<byte[]> Items, long ResetVersion);

    /// <summary>Sent to a partition writer; answered with <see cref="FencePassed"/> once everything sent before it is applied.</summary>
    public sealed record Fence(string Table, long Id);

    /// <summary>Reply to <see cref="Fence"/>.</summary>
    public sealed record FencePassed(string Table, long Id);

    /// <summary>
    /// Take a snapshot of one replicated table (or of all when <see cref="Table"/> is null) from a
    /// ready peer and merge it; with <see cref="Replace"/> (one table) first drop this node's copy.
    /// <see cref="Reply"/> gets null on success or an error text.
    /// </summary>
    public sealed record SyncCommand(string? Table, TaskCompletionSource<string?> Reply, bool Replace = false);

    /// <summary>Sent to a partition writer by a resync: drop everything held for the table here, replicating nothing.</summary>
    public sealed record ClearReplica(string Table);

    /// <summary>Live changes of one table from one origin, numbered per (origin, table) from 1.</summary>
    public sealed record Batch(string Table, uint Fingerprint, Origin Origin, long Seq, long ResetVersion, IReadOnlyList<byte[]> Items, bool WantsAck = false) : IHTableWireMessage;

    /// <summary>A peer's confirmation that it applied batch <see cref="Seq"/> (asked for by a write concern).</summary>
    public sealed record BatchApplied(string Table, long Seq) : IHTableWireMessage;

    /// <summary>The last batch number an origin published for a table (periodic; reveals lost tails).</summary>
    public sealed record Heads(string Table, uint Fingerprint, Origin Origin, long LastSeq) : IHTableWireMessage;

    /// <summary>Asks an origin for its batches <see cref="FromSeq"/>..<see cref="ToSeq"/> of a table again.</summary>
    public sealed record ResendRequest(string Table, long FromSeq, long ToSeq) : IHTableWireMessage;

    /// <summary>The origin no longer holds batch <see cref="FromSeq"/>; the asker repairs with a snapshot.</summary>
    public sealed record ResendGone(string Table, Origin Origin, long FromSeq) : IHTableWireMessage;

    /// <summary>Asks a peer for a snapshot of a table (chunked, pulled with <see cref="SyncNext"/>).</summary>
    public sealed record SyncRequest(string Table, uint Fingerprint, long RequestId) : IHTableWireMessage;

    /// <summary>
    /// The peer cannot serve a snapshot: not ready yet (<see cref="NotReady"/>: ask again later), or
    /// never (different definition, table not replicated there).
    /// </summary>
    public sealed record SyncRefused(string Table, long RequestId, string Reason, bool NotReady) : IHTableWireMessage;

    /// <summary>Asks the donor for the next chunk.</summary>
    public sealed record SyncNext(string Table, long RequestId) : IHTableWireMessage;

    /// <summary>
    /// One chunk of a snapshot. The last one carries the table's reset version and, per origin, the
    /// last batch whose changes the snapshot includes.
    /// </summary>
    public sealed record SyncChunk(string Table, long RequestId, bool Last, long ResetVersion, IReadOnlyList<OriginMark> Watermarks, IReadOnlyList<byte[]> Items) : IHTableWireMessage;

    /// <summary>Timer and internal messages of the replication actor.</summary>
    internal sealed record FlushPending(string Table);

    internal sealed record SyncTimeout(string Table, long RequestId);

    internal sealed record RetrySync(string Table);

    internal sealed class Tick
    {
        public static readonly Tick Instance = new();

        private Tick()
        {
        }
    }
}
