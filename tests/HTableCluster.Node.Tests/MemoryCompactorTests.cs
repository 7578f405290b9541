using HTableCluster.Node.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace HTableCluster.Node.Tests;

[CollectionDefinition(nameof(MemoryCompactorTests), DisableParallelization = true)]
public sealed class MemoryCompactorCollection;

/// <summary>The heap is compacted once after it grew by the threshold and allocation went quiet (runs alone: the GC is per process).</summary>
[Collection(nameof(MemoryCompactorTests))]
public sealed class MemoryCompactorTests
{
    private static NodeSettings Settings(int mib) =>
        NodeSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Node:CompactAfterMiB"] = mib.ToString(System.Globalization.CultureInfo.InvariantCulture) }).Build());

    // Allocates MiB that stay alive, promoted by a collection so the heap as last collected shows them.
    private static List<byte[]> Load(int mib)
    {
        var kept = new List<byte[]>();
        for (var i = 0; i < mib * 16; i++)
            kept.Add(new byte[64 * 1024]);
        GC.Collect(1, GCCollectionMode.Forced, blocking: true);
        return kept;
    }

    [Fact]
    public async Task Compacts_once_after_a_bulk_change_then_waits_for_the_next()
    {
        // The baseline is the heap as the last collection left it: start from a clean one.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var compactor = new MemoryCompactor(Settings(8), NullLogger<MemoryCompactor>.Instance);
        await compactor.StartAsync(CancellationToken.None);
        try
        {
            // A bulk load: 48 MiB that stays.
            var kept = Load(48);
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (compactor.Count == 0 && DateTime.UtcNow < deadline)
                await Task.Delay(200);
            Assert.Equal(1, compactor.Count);
            // Nothing changed since: no further compaction.
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.Equal(1, compactor.Count);
            GC.KeepAlive(kept);
        }
        finally
        {
            await compactor.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Zero_turns_it_off()
    {
        using var compactor = new MemoryCompactor(Settings(0), NullLogger<MemoryCompactor>.Instance);
        await compactor.StartAsync(CancellationToken.None);
        try
        {
            var kept = Load(32);
            await Task.Delay(TimeSpan.FromSeconds(5));
            Assert.Equal(0, compactor.Count);
            GC.KeepAlive(kept);
        }
        finally
        {
            await compactor.StopAsync(CancellationToken.None);
        }
    }
}
