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

/// <summary>
/// Messages of the replication layer: the commands its clients send, the wire types exchanged
/// between the table replicators of different nodes, and the replication actor's internal ones.
/// The contract with the partition writers is <see cref="WriterProtocol"/>.
/// </summary>
public static class ReplicationProtocol
{
    /// <summary>A message for one table's replicator; the replication actor routes it by <see cref="Table"/>.</summary>
    public interface ITableMessage
    {
        /// <summary>The replicated table.</summary>
        string Table { get; }
    }

    /// <summary>
    /// Take a snapshot of one replicated table (or of all when <see cref="Table"/> is null) from a
    /// ready peer and merge it; with <see cref="Replace"/> (one table) first drop this node's copy.
    /// Answered with <see cref="SyncResult"/>.
    /// </summary>
    public sealed record SyncCommand(string? Table, bool Replace = false);

    /// <summary>Reply to <see cref="SyncCommand"/>: null on success, otherwise the reason it failed.</summary>
    public sealed record SyncResult(string? Error);

    /// <summary>
    /// Live changes of one table from one origin, numbered per (origin, table) from 1.
    /// <paramref name="SinceUs"/> is the origin's wall clock (Unix microseconds) when the oldest
    /// change of the batch reached its replicator (0: unknown): a receiver's replication lag.
    /// </summary>
    public sealed record Batch(string Table, uint Fingerprint, Origin Origin, long Seq, long ResetVersion, IReadOnlyList<byte[]> Items, bool WantsAck = false, long SinceUs = 0) : IHTableWireMessage, ITableMessage;

    /// <summary>A peer's confirmation that it applied batch <see cref="Seq"/> (asked for by a write concern).</summary>
    public sealed record BatchApplied(string Table, long Seq) : IHTableWireMessage, ITableMessage;

    /// <summary>
    /// The last batch number an origin published for a table (periodic; reveals lost tails), its clock
    /// when it said so (<paramref name="AtMs"/>), and the time before which it holds everything every
    /// other member published (<paramref name="SeenUpToMs"/>, 0 when unknown; see <see cref="MarkerWatermark"/>).
    /// </summary>
    public sealed record Heads(string Table, uint Fingerprint, Origin Origin, long LastSeq, long AtMs = 0, long SeenUpToMs = 0) : IHTableWireMessage, ITableMessage;

    /// <summary>Asks an origin for its batches <see cref="FromSeq"/>..<see cref="ToSeq"/> of a table again.</summary>
    public sealed record ResendRequest(string Table, long FromSeq, long ToSeq) : IHTableWireMessage, ITableMessage;

    /// <summary>The origin no longer holds batch <see cref="FromSeq"/>; the asker repairs with a snapshot.</summary>
    public sealed record ResendGone(string Table, Origin Origin, long FromSeq) : IHTableWireMessage, ITableMessage;

    /// <summary>Asks a peer for a snapshot of a table (chunked, pulled with <see cref="SyncNext"/>).</summary>
    public sealed record SyncRequest(string Table, uint Fingerprint, long RequestId) : IHTableWireMessage, ITableMessage;

    /// <summary>
    /// The peer cannot serve a snapshot: not ready yet (<see cref="NotReady"/>: ask again later), or
    /// never (different definition, table not replicated there).
    /// </summary>
    public sealed record SyncRefused(string Table, long RequestId, string Reason, bool NotReady) : IHTableWireMessage, ITableMessage;

    /// <summary>Asks the donor for the next chunk.</summary>
    public sealed record SyncNext(string Table, long RequestId) : IHTableWireMessage, ITableMessage;

    /// <summary>
    /// One chunk of a snapshot. The last one carries the table's reset version and, per origin, the
    /// last batch whose changes the snapshot includes.
    /// </summary>
    public sealed record SyncChunk(string Table, long RequestId, bool Last, long ResetVersion, IReadOnlyList<OriginMark> Watermarks, IReadOnlyList<byte[]> Items) : IHTableWireMessage, ITableMessage;

    /// <summary>
    /// A node without init sync met an origin for the first time: the items stamped since
    /// <paramref name="SinceMs"/> (Unix ms), which the origin may have published before its pub-sub
    /// registry knew this node.
    /// </summary>
    public sealed record RecentRequest(string Table, uint Fingerprint, long SinceMs) : IHTableWireMessage, ITableMessage;

    /// <summary>Part of the answer to a <see cref="RecentRequest"/>, up to the batch byte limit.</summary>
    public sealed record RecentItems(string Table, IReadOnlyList<byte[]> Items) : IHTableWireMessage, ITableMessage;

    /// <summary>
    /// Anti-entropy, first step: the asking node's digest of every bucket of the table in
    /// <paramref name="Scope"/>; answered with <see cref="DigestDiff"/>.
    /// </summary>
    public sealed record DigestRequest(string Table, uint Fingerprint, Storage.DigestScope Scope, IReadOnlyList<ulong> Buckets) : IHTableWireMessage, ITableMessage;

    /// <summary>
    /// The buckets whose digests differ (none: the round ends) and the answering node's cell digests
    /// of them, <see cref="Storage.TableDigest.SubBuckets"/> per bucket.
    /// </summary>
    public sealed record DigestDiff(string Table, Storage.DigestScope Scope, IReadOnlyList<int> Buckets, IReadOnlyList<ulong> Cells) : IHTableWireMessage, ITableMessage;

    /// <summary>
    /// The sender's items of the cells that differ, in parts up to the batch byte limit; with
    /// <paramref name="WantsYours"/> on the last part the receiver answers with its own items of
    /// those cells.
    /// </summary>
    public sealed record DigestItems(string Table, Storage.DigestScope Scope, IReadOnlyList<int> Cells, IReadOnlyList<byte[]> Items, bool Last, bool WantsYours) : IHTableWireMessage, ITableMessage;

    /// <summary>
    /// A joining node checks the pub-sub path with a peer (<see cref="TopicHandshake{TPeer}"/>): sent
    /// to the peer's replicator directly, the peer answers by publishing a <see cref="TopicEcho"/> on
    /// the topic (proving its publications reach the joining node); published on the topic
    /// (<paramref name="ViaTopic"/>), the peer answers directly (proving the joining node's
    /// publications reach it).
    /// </summary>
    public sealed record TopicProbe(string Table, Origin From, bool ViaTopic) : IHTableWireMessage, ITableMessage;

    /// <summary>
    /// The answer to a <see cref="TopicProbe"/> of incarnation <paramref name="ToIncarnation"/>: what
    /// it proves (<see cref="TopicHandshake{TPeer}.Direction.Both"/> when the table does not
    /// replicate on the answering node, so nothing will flow).
    /// </summary>
    public sealed record TopicEcho(string Table, long ToIncarnation, TopicHandshake<Address>.Direction Proves) : IHTableWireMessage, ITableMessage;

    /// <summary>
    /// Asks the node that writes replicated tables back to the database (the cluster singleton) to
    /// store one; answered with <see cref="StoreReply"/>.
    /// </summary>
    public sealed record StoreRequest(string Table) : IHTableWireMessage;

    /// <summary>Reply to <see cref="StoreRequest"/>: <see cref="Error"/> is null when the table was stored.</summary>
    public sealed record StoreReply(string Table, string? Error) : IHTableWireMessage;

    /// <summary>The replication actor asks one table replicator for a sync (correlated by <see cref="Id"/>).</summary>
    internal sealed record SyncTable(string Table, long Id, bool Replace) : ITableMessage;

    /// <summary>A table replicator's answer to <see cref="SyncTable"/>.</summary>
    internal sealed record TableSyncDone(string Table, long Id, string? Error);

    /// <summary>A table replicator reports that its table is in sync (the node is ready once every table is).</summary>
    internal sealed record TableSynced(string Table);

    /// <summary>Timer and internal messages of a table replicator.</summary>
    internal sealed class FlushPending
    {
        public static readonly FlushPending Instance = new();

        private FlushPending()
        {
        }
    }

    internal sealed record SyncTimeout(long RequestId);

    internal sealed class RetrySync
    {
        public static readonly RetrySync Instance = new();

        private RetrySync()
        {
        }
    }

    internal sealed class Tick
    {
        public static readonly Tick Instance = new();

        private Tick()
        {
        }
    }

    internal sealed class MemberUpNow
    {
        public static readonly MemberUpNow Instance = new();

        private MemberUpNow()
        {
        }
    }
}
