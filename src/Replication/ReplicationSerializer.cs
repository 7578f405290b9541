using System.Buffers.Binary;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
using static HTableCluster.Replication.BroadcastProtocol;
using static HTableCluster.Replication.EventProtocol;
using static HTableCluster.Replication.ReplicationProtocol;

namespace HTableCluster.Replication;

/// <summary>
/// Compact binary form of the wire types (<see cref="IHTableWireMessage"/>). Every message starts
/// with the protocol version; item buffers travel as they are stored (the receiver owns the copy it
/// decodes). Malformed input throws <see cref="SerializationException"/>, which Akka.Remote logs and
/// drops without harming the connection.
/// </summary>
public sealed class ReplicationSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Wire protocol version written first in every message.</summary>
    public const byte ProtocolVersion = 3;

    /// <summary>Serializer id registered with Akka (unique among the system's serializers).</summary>
    public const int SerializerId = 7401;

    private const string BatchManifest = "B";
    private const string HeadsManifest = "H";
    private const string ResendRequestManifest = "RQ";
    private const string ResendGoneManifest = "RG";
    private const string SyncRequestManifest = "SQ";
    private const string SyncRefusedManifest = "SR";
    private const string SyncNextManifest = "SN";
    private const string SyncChunkManifest = "SC";
    private const string BatchAppliedManifest = "BA";
    private const string StoreRequestManifest = "ST";
    private const string StoreReplyManifest = "SA";
    private const string RecentRequestManifest = "RR";
    private const string RecentItemsManifest = "RI";
    private const string DigestRequestManifest = "DQ";
    private const string DigestDiffManifest = "DD";
    private const string DigestItemsManifest = "DI";
    private const string TopicProbeManifest = "TP";
    private const string TopicEchoManifest = "TE";
    private const string EventManifest = "EV";
    private const string PublishedManifest = "PB";

    /// <inheritdoc />
    public override int Identifier => SerializerId;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        Batch => BatchManifest,
        Heads => HeadsManifest,
        ResendRequest => ResendRequestManifest,
        ResendGone => ResendGoneManifest,
        SyncRequest => SyncRequestManifest,
        SyncRefused => SyncRefusedManifest,
        SyncNext => SyncNextManifest,
        SyncChunk => SyncChunkManifest,
        BatchApplied => BatchAppliedManifest,
        StoreRequest => StoreRequestManifest,
        StoreReply => StoreReplyManifest,
        RecentRequest => RecentRequestManifest,
        RecentItems => RecentItemsManifest,
        DigestRequest => DigestRequestManifest,
        DigestDiff => DigestDiffManifest,
        DigestItems => DigestItemsManifest,
        TopicProbe => TopicProbeManifest,
        TopicEcho => TopicEchoManifest,
        Fired => EventManifest,
        Published => PublishedManifest,
        _ => throw new ArgumentException($"{o.GetType()} is not a wire message", nameof(o)),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        var w = new Writer();
        w.Byte(ProtocolVersion);
        switch (obj)
        {
            case Batch b:
                w.String(b.Table).UInt(b.Fingerprint).Origin(b.Origin).Long(b.Seq).Long(b.ResetVersion).Items(b.Items).Byte(b.WantsAck ? (byte)1 : (byte)0).Long(b.SinceUs);
                break;
            case Heads h:
                w.String(h.Table).UInt(h.Fingerprint).Origin(h.Origin).Long(h.LastSeq).Long(h.AtMs).Long(h.SeenUpToMs);
                break;
            case ResendRequest r:
                w.String(r.Table).Long(r.FromSeq).Long(r.ToSeq);
                break;
            case ResendGone g:
                w.String(g.Table).Origin(g.Origin).Long(g.FromSeq);
                break;
            case SyncRequest q:
                w.String(q.Table).UInt(q.Fingerprint).Long(q.RequestId);
                break;
            case SyncRefused r:
                w.String(r.Table).Long(r.RequestId).String(r.Reason).Byte(r.NotReady ? (byte)1 : (byte)0);
                break;
            case BatchApplied a:
                w.String(a.Table).Long(a.Seq);
                break;
            case SyncNext n:
                w.String(n.Table).Long(n.RequestId);
                break;
            case StoreRequest q:
                w.String(q.Table);
                break;
            case StoreReply a:
                w.String(a.Table).Byte(a.Error is null ? (byte)0 : (byte)1).String(a.Error ?? "");
                break;
            case RecentRequest q:
                w.String(q.Table).UInt(q.Fingerprint).Long(q.SinceMs);
                break;
            case RecentItems i:
                w.String(i.Table).Items(i.Items);
                break;
            case DigestRequest q:
                Scope(w.String(q.Table).UInt(q.Fingerprint), q.Scope);
                Longs(w, q.Buckets);
                break;
            case DigestDiff d:
                Scope(w.String(d.Table), d.Scope);
                Ints(w, d.Buckets);
                Longs(w, d.Cells);
                break;
            case DigestItems i:
                Scope(w.String(i.Table), i.Scope);
                Ints(w, i.Cells);
                w.Items(i.Items).Byte(i.Last ? (byte)1 : (byte)0).Byte(i.WantsYours ? (byte)1 : (byte)0);
                break;
            case TopicProbe p:
                w.String(p.Table).Origin(p.From).Byte(p.ViaTopic ? (byte)1 : (byte)0);
                break;
            case TopicEcho e:
                w.String(e.Table).Long(e.ToIncarnation).Byte((byte)e.Proves);
                break;
            case Fired e:
                w.Byte((byte)e.Kind).String(e.Table).String(e.Key).Byte(e.IsInteger ? (byte)1 : (byte)0).Long(e.IntValue).String(e.StringValue)
                    .Long(e.Version).String(e.OriginNode).Long(e.AtMs);
                break;
            case Published p:
                w.String(p.OriginNode).Items([p.Channel, p.Message]);
                break;
            case SyncChunk c:
                w.String(c.Table).Long(c.RequestId).Byte(c.Last ? (byte)1 : (byte)0).Long(c.ResetVersion).Int(c.Watermarks.Count);
                foreach (var m in c.Watermarks)
                    w.Origin(m.Origin).Long(m.Seq);
                w.Items(c.Items);
                break;
            default:
                throw new ArgumentException($"{obj.GetType()} is not a wire message", nameof(obj));
        }
        return w.ToArray();
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var r = new Reader(bytes);
        var version = r.Byte();
        if (version != ProtocolVersion)
            throw new SerializationException($"replication protocol version {version} is not supported (this node speaks {ProtocolVersion})");
        object result = manifest switch
        {
            BatchManifest => new Batch(r.String(), r.UInt(), r.Origin(), r.Long(), r.Long(), r.Items(), r.Byte() != 0, r.Long()),
            BatchAppliedManifest => new BatchApplied(r.String(), r.Long()),
            HeadsManifest => new Heads(r.String(), r.UInt(), r.Origin(), r.Long(), r.Long(), r.Long()),
            ResendRequestManifest => new ResendRequest(r.String(), r.Long(), r.Long()),
            ResendGoneManifest => new ResendGone(r.String(), r.Origin(), r.Long()),
            SyncRequestManifest => new SyncRequest(r.String(), r.UInt(), r.Long()),
            SyncRefusedManifest => new SyncRefused(r.String(), r.Long(), r.String(), r.Byte() != 0),
            SyncNextManifest => new SyncNext(r.String(), r.Long()),
            SyncChunkManifest => ReadChunk(ref r),
            StoreRequestManifest => new StoreRequest(r.String()),
            StoreReplyManifest => ReadStoreReply(ref r),
            RecentRequestManifest => new RecentRequest(r.String(), r.UInt(), r.Long()),
            RecentItemsManifest => new RecentItems(r.String(), r.Items()),
            DigestRequestManifest => new DigestRequest(r.String(), r.UInt(), ReadScope(ref r), ReadLongs(ref r)),
            DigestDiffManifest => new DigestDiff(r.String(), ReadScope(ref r), ReadInts(ref r), ReadLongs(ref r)),
            DigestItemsManifest => new DigestItems(r.String(), ReadScope(ref r), ReadInts(ref r), r.Items(), r.Byte() != 0, r.Byte() != 0),
            TopicProbeManifest => new TopicProbe(r.String(), r.Origin(), r.Byte() != 0),
            TopicEchoManifest => new TopicEcho(r.String(), r.Long(), (TopicHandshake<Address>.Direction)r.Byte()),
            PublishedManifest => ReadPublished(ref r),
            EventManifest => new Fired((EventKind)r.Byte(), r.String(), r.String(), r.Byte() != 0, r.Long(), r.String(), r.Long(), r.String(), r.Long()),
            _ => throw new SerializationException($"unknown replication manifest '{manifest}'"),
        };
        if (!r.AtEnd)
            throw new SerializationException($"{bytes.Length - r.Position} trailing bytes after a '{manifest}' message");
        return result;
    }

    private static Published ReadPublished(ref Reader r)
    {
        var origin = r.String();
        var parts = r.Items();
        return parts.Length == 2 ? new Published(origin, parts[0], parts[1]) : throw new SerializationException($"a published message has {parts.Length} parts, not 2");
    }

    private static void Scope(Writer w, Storage.DigestScope s) =>
        w.Int(s.Log2Buckets).Long(s.CutoffVersion).Long(s.LiveAtMs).Long(s.MarkersSinceVersion).Long(s.SinceVersion);

    private static Storage.DigestScope ReadScope(ref Reader r)
    {
        var log2 = r.Int();
        if (log2 is < Storage.TableDigest.MinLog2Buckets or > Storage.TableDigest.MaxLog2Buckets)
            throw new SerializationException($"digest of 2^{log2} buckets is out of range");
        return new Storage.DigestScope(log2, r.Long(), r.Long(), r.Long(), r.Long());
    }

    private static void Ints(Writer w, IReadOnlyList<int> values)
    {
        w.Int(values.Count);
        foreach (var v in values)
            w.Int(v);
    }

    private static void Longs(Writer w, IReadOnlyList<ulong> values)
    {
        w.Int(values.Count);
        foreach (var v in values)
            w.Long(unchecked((long)v));
    }

    private static int[] ReadInts(ref Reader r)
    {
        var n = r.Count(sizeof(int));
        var values = new int[n];
        for (var i = 0; i < n; i++)
            values[i] = r.Int();
        return values;
    }

    private static ulong[] ReadLongs(ref Reader r)
    {
        var n = r.Count(sizeof(long));
        var values = new ulong[n];
        for (var i = 0; i < n; i++)
            values[i] = unchecked((ulong)r.Long());
        return values;
    }

    private static StoreReply ReadStoreReply(ref Reader r)
    {
        var table = r.String();
        var failed = r.Byte() != 0;
        var error = r.String();
        return new StoreReply(table, failed ? error : null);
    }

    private static SyncChunk ReadChunk(ref Reader r)
    {
        var table = r.String();
        var id = r.Long();
        var last = r.Byte() != 0;
        var reset = r.Long();
        var n = r.Count(8);
        var marks = new OriginMark[n];
        for (var i = 0; i < n; i++)
            marks[i] = new OriginMark(r.Origin(), r.Long());
        return new SyncChunk(table, id, last, reset, marks, r.Items());
    }

    private sealed class Writer
    {
        // Room for the fields that follow a list of items.
        private const int TrailerRoom = 64;
        private byte[] _buf = new byte[256];
        private int _pos;

        public Writer Byte(byte v)
        {
            Ensure(1);
            _buf[_pos++] = v;
            return this;
        }

        public Writer Int(int v)
        {
            Ensure(4);
            BinaryPrimitives.WriteInt32LittleEndian(_buf.AsSpan(_pos), v);
            _pos += 4;
            return this;
        }

        public Writer UInt(uint v) => Int(unchecked((int)v));

        public Writer Long(long v)
        {
            Ensure(8);
            BinaryPrimitives.WriteInt64LittleEndian(_buf.AsSpan(_pos), v);
            _pos += 8;
            return this;
        }

        public Writer String(string s)
        {
            var n = Encoding.UTF8.GetByteCount(s);
            Int(n);
            Ensure(n);
            _pos += Encoding.UTF8.GetBytes(s, _buf.AsSpan(_pos));
            return this;
        }

        public Writer Origin(Origin o) => String(o.NodeId).Long(o.Incarnation);

        public Writer Items(IReadOnlyList<byte[]> items)
        {
            Int(items.Count);
            // Grown once for every item (and the few fields after them), not doubled item by item.
            long total = 0;
            foreach (var item in items)
                total += item.Length + 4;
            Ensure((int)Math.Min(total + TrailerRoom, int.MaxValue));
            foreach (var item in items)
            {
                Int(item.Length);
                Ensure(item.Length);
                item.CopyTo(_buf.AsSpan(_pos));
                _pos += item.Length;
            }
            return this;
        }

        public byte[] ToArray() => _buf.AsSpan(0, _pos).ToArray();

        private void Ensure(int n)
        {
            if (_pos + n <= _buf.Length)
                return;
            Array.Resize(ref _buf, Math.Max(_buf.Length * 2, _pos + n));
        }
    }

    private ref struct Reader(byte[] buf)
    {
        private readonly byte[] _buf = buf;

        public int Position { get; private set; }

        public readonly bool AtEnd => Position == _buf.Length;

        public byte Byte()
        {
            Need(1);
            return _buf[Position++];
        }

        public int Int()
        {
            Need(4);
            var v = BinaryPrimitives.ReadInt32LittleEndian(_buf.AsSpan(Position));
            Position += 4;
            return v;
        }

        public uint UInt() => unchecked((uint)Int());

        public long Long()
        {
            Need(8);
            var v = BinaryPrimitives.ReadInt64LittleEndian(_buf.AsSpan(Position));
            Position += 8;
            return v;
        }

        public string String()
        {
            var n = Count(1);
            var s = Encoding.UTF8.GetString(_buf, Position, n);
            Position += n;
            return s;
        }

        public Origin Origin() => new(String(), Long());

        public byte[][] Items()
        {
            var n = Count(4);
            var items = new byte[n][];
            for (var i = 0; i < n; i++)
            {
                var len = Count(1);
                items[i] = _buf.AsSpan(Position, len).ToArray();
                Position += len;
            }
            return items;
        }

        // A count or length that cannot fit in what is left (each element needs at least
        // minElementBytes) is rejected before anything is allocated.
        public int Count(int minElementBytes)
        {
            var n = Int();
            if (n < 0 || (long)n * minElementBytes > _buf.Length - Position)
                throw new SerializationException($"length {n} exceeds the {_buf.Length - Position} bytes left");
            return n;
        }

        private readonly void Need(int n)
        {
            if (Position + n > _buf.Length)
                throw new SerializationException("message ends early");
        }
    }
}
