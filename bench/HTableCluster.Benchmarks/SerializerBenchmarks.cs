using Akka.Actor;
using BenchmarkDotNet.Attributes;
using HTableCluster.Replication;
using HTableCluster.Storage;

namespace HTableCluster.Benchmarks;

/// <summary>
/// The replication wire serializer on a live batch of 100 items of 100 bytes each (16-byte key,
/// 60-byte value, 24-byte header). The serializer needs an actor system, created once per run.
/// </summary>
[MemoryDiagnoser]
public class SerializerBenchmarks
{
    private const int Items = 100;

    private ActorSystem _system = null!;
    private ReplicationSerializer _serializer = null!;
    private ReplicationProtocol.Batch _batch = null!;
    private byte[] _bytes = null!;
    private string _manifest = null!;

    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("bench");
        _serializer = new ReplicationSerializer((ExtendedActorSystem)_system);
        var value = new byte[60];
        value.AsSpan().Fill((byte)'v');
        var items = new byte[Items][];
        for (var i = 0; i < Items; i++)
            items[i] = Entry.CreateString(TestData.KeyUtf8(i), value, 0, HybridClock.FirstVersionAt(1_700_000_000_000) + i, i).Buffer;
        _batch = new ReplicationProtocol.Batch("users", 0x1234_5678, new Origin("node1:4053", 638_000_000_000_000_000), 42, 0, items);
        _bytes = _serializer.ToBinary(_batch);
        _manifest = _serializer.Manifest(_batch);
        if (items[0].Length != 100)
            throw new InvalidOperationException("items are not 100 bytes");
    }

    [GlobalCleanup]
    public void Cleanup() => _system.Dispose();

    [Benchmark]
    public byte[] SerializeBatch() => _serializer.ToBinary(_batch);

    [Benchmark]
    public object DeserializeBatch() => _serializer.FromBinary(_bytes, _manifest);
}
