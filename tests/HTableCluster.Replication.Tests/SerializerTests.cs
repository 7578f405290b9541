using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using HTableCluster.Storage;
using static HTableCluster.Replication.ReplicationProtocol;

namespace HTableCluster.Replication.Tests;

public class SerializerTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Origin Origin = new("node-é|1", 123456789012345L);

    public SerializerTests()
        : base(TestConfig.Serialization)
    {
    }

    private SerializerWithStringManifest Serializer =>
        (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(Batch));

    public static TheoryData<string> Kinds => ["B", "H", "RQ", "RG", "SQ", "SR", "SN", "SC", "BA", "ST", "SA", "RR", "RI", "DQ", "DD", "DI", "TP", "TE", "EV", "PB"];

    [Fact]
    public void Wire_types_are_bound_to_the_replication_serializer()
    {
        Assert.IsType<ReplicationSerializer>(Serializer);
        Assert.Equal(ReplicationSerializer.SerializerId, Serializer.Identifier);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_wire_message_survives_a_round_trip(string manifest)
    {
        var message = Sample(manifest);
        Assert.Equal(manifest, Serializer.Manifest(message));

        var back = Serializer.FromBinary(Serializer.ToBinary(message), manifest);

        Assert.Equal(Describe(message), Describe(back));
    }

    [Fact]
    public void A_store_reply_without_an_error_stays_without_one()
    {
        var back = (StoreReply)Serializer.FromBinary(Serializer.ToBinary(new StoreReply("tab", null)), "SA");
        Assert.Equal(new StoreReply("tab", null), back);
        Assert.Equal(new StoreReply("tab", ""), Serializer.FromBinary(Serializer.ToBinary(new StoreReply("tab", "")), "SA"));
    }

    [Fact]
    public void Items_keep_every_byte()
    {
        var item = Item("key", "välue");
        var batch = new Batch("t", 7, Origin, 1, 0, [item, Array.Empty<byte>()]);

        var back = (Batch)Serializer.FromBinary(Serializer.ToBinary(batch), "B");

        Assert.Equal(item, back.Items[0]);
        Assert.Empty(back.Items[1]);
        Assert.NotSame(item, back.Items[0]);
    }

    [Fact]
    public void Other_protocol_version_is_refused()
    {
        var bytes = Serializer.ToBinary(Sample("H"));
        bytes[0] = 99;
        var ex = Assert.Throws<SerializationException>(() => Serializer.FromBinary(bytes, "H"));
        Assert.Contains("version 99", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Truncated_message_is_refused_for_every_kind(string manifest)
    {
        var bytes = Serializer.ToBinary(Sample(manifest));
        for (var cut = 0; cut < bytes.Length; cut++)
            Assert.Throws<SerializationException>(() => Serializer.FromBinary(bytes.AsSpan(0, cut).ToArray(), manifest));
    }

    [Fact]
    public void Trailing_bytes_and_unknown_manifests_are_refused()
    {
        var bytes = Serializer.ToBinary(Sample("SN"));
        Assert.Throws<SerializationException>(() => Serializer.FromBinary([.. bytes, 0], "SN"));
        Assert.Throws<SerializationException>(() => Serializer.FromBinary(bytes, "nope"));
        Assert.Throws<ArgumentException>(() => Serializer.ToBinary("not a wire message"));
    }

    [Fact]
    public void Huge_counts_are_refused_before_allocating()
    {
        var bytes = Serializer.ToBinary(new Batch("t", 1, Origin, 1, 0, []));
        // The item count is the 4 bytes before the acknowledgement flag and the 8-byte time that
        // close a batch: claim two billion items.
        BitConverter.TryWriteBytes(bytes.AsSpan(bytes.Length - 13), int.MaxValue);
        Assert.Throws<SerializationException>(() => Serializer.FromBinary(bytes, "B"));
        BitConverter.TryWriteBytes(bytes.AsSpan(bytes.Length - 13), -1);
        Assert.Throws<SerializationException>(() => Serializer.FromBinary(bytes, "B"));
    }

    internal static byte[] Item(string key, string value)
    {
        var t = new HTable(TableOptions.Parse("t=>"), new HybridClock(TimeProvider.System), 1, replicated: true);
        t.Partition(0).SetString(HTable.MakeKey(key), System.Text.Encoding.UTF8.GetBytes(value));
        return t.Partition(0).TakeChanges()!.Value.Items[0];
    }

    private static readonly DigestScope Scope = new(6, 123_456_789, 1_764_806_400_000, 42);

    private static object Sample(string manifest) => manifest switch
    {
        "B" => new Batch("tab", 0xdeadbeef, Origin, 42, 77, [Item("a", "1"), Item("b", "2")], WantsAck: true, SinceUs: 1_764_806_400_123_456),
        "BA" => new BatchApplied("tab", 42),
        "H" => new Heads("tab", 5, Origin, 9, 1_764_806_400_123, 1_764_806_399_000),
        "RQ" => new ResendRequest("tab", 3, 8),
        "RG" => new ResendGone("tab", Origin, 3),
        "SQ" => new SyncRequest("tab", 5, 11),
        "SR" => new SyncRefused("tab", 11, "not ready", true),
        "SN" => new SyncNext("tab", 11),
        "SC" => new SyncChunk("tab", 11, true, 5, [new OriginMark(Origin, 4), new OriginMark(new Origin("x", 1), 0)], [Item("c", "3")]),
        "ST" => new StoreRequest("tab"),
        "SA" => new StoreReply("tab", "connection lost"),
        "RR" => new RecentRequest("tab", 5, 1_764_806_400_000),
        "RI" => new RecentItems("tab", [Item("d", "4"), Item("e", "5")]),
        "DQ" => new DigestRequest("tab", 5, Scope, [1UL, ulong.MaxValue, 0, 7, .. new ulong[60]]),
        "DD" => new DigestDiff("tab", Scope, [3, 9], [.. Enumerable.Range(0, 128).Select(i => (ulong)i * 0x9E3779B97F4A7C15UL)]),
        "DI" => new DigestItems("tab", Scope, [5, 700], [Item("f", "6")], Last: true, WantsYours: true),
        "TP" => new TopicProbe("tab", Origin, ViaTopic: true),
        "TE" => new TopicEcho("tab", 1234567890123, TopicHandshake<Akka.Actor.Address>.Direction.Outbound),
        "EV" => new EventProtocol.Fired(EventProtocol.EventKind.Expired, "tab", "kéy", true, -42, "välue", 1_764_806_400_123, "node-2", 1_764_806_401_000),
        "PB" => new BroadcastProtocol.Published("node-2", [0x63, 0xc3, 0xa9], [0, 0xff, 13, 10]),
        _ => throw new ArgumentException(manifest),
    };

    // Records compare lists by reference; compare their printed form with the lists spelled out.
    private static string Describe(object m) => m switch
    {
        Batch b => $"{b with { Items = [] }}|{string.Join(",", b.Items.Select(Convert.ToHexString))}",
        RecentItems i => $"{i with { Items = [] }}|{string.Join(",", i.Items.Select(Convert.ToHexString))}",
        BroadcastProtocol.Published p => $"{p.OriginNode}|{Convert.ToHexString(p.Channel)}|{Convert.ToHexString(p.Message)}",
        DigestRequest q => $"{q with { Buckets = [] }}|{string.Join(",", q.Buckets)}",
        DigestDiff d => $"{d with { Buckets = [], Cells = [] }}|{string.Join(",", d.Buckets)}|{string.Join(",", d.Cells)}",
        DigestItems i => $"{i with { Cells = [], Items = [] }}|{string.Join(",", i.Cells)}|{string.Join(",", i.Items.Select(Convert.ToHexString))}",
        SyncChunk c => $"{c with { Items = [], Watermarks = [] }}|{string.Join(",", c.Watermarks)}|{string.Join(",", c.Items.Select(Convert.ToHexString))}",
        _ => m.ToString()!,
    };
}
