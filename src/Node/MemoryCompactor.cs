using System.Runtime;
using Prometheus;

namespace HTableCluster.Node;

/// <summary>
/// Gives memory back after a bulk change. A bulk load over RPC leaves the GC holding what the
/// requests allocated (and the old arrays of the maps that grew) until a full collection that may
/// not come while the node is quiet; a flush leaves the freed items likewise. Once a second the
/// compactor compares the managed heap (as the last collection left it) with its size after the last compaction; when it moved by
/// <c>Node:CompactAfterMiB</c> or more, the last three seconds allocated little (writes went quiet)
/// and the last compaction is at least a minute ago, it runs one blocking, compacting collection in the GC's aggressive mode, which also returns the
/// free memory to the OS. Readers and writers pause for that collection (the log line gives its
/// duration), which is why it waits for quiet seconds.
/// </summary>
public sealed partial class MemoryCompactor(Configuration.NodeSettings settings, ILogger<MemoryCompactor> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly Counter Compactions = Metrics.CreateCounter("htcluster_heap_compactions_total", "Compacting collections run after a bulk change (Node:CompactAfterMiB).");
    private int _count;
    private long _baseline;

    // Allocation per interval below which the node counts as quiet, and for how many intervals in a row.
    private const long QuietBytes = 4L << 20;
    private const int QuietIntervals = 3;

    // At most one compaction per this interval: a node that keeps changing under light load is not
    // paused over and over.
    private static readonly TimeSpan MinimumGap = TimeSpan.FromMinutes(1);

    /// <summary>Compactions run by this instance.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Taken here, not in ExecuteAsync, which runs later on the thread pool.
        _baseline = HeapAfterLastCollection();
        return base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var threshold = settings.Node.CompactAfterMiB * (1L << 20);
        if (threshold == 0)
            return;
        var baseline = _baseline;
        var allocated = GC.GetTotalAllocatedBytes();
        var quietFor = 0;
        var last = long.MinValue / 2;
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var nowAllocated = GC.GetTotalAllocatedBytes();
            quietFor = nowAllocated - allocated < QuietBytes ? quietFor + 1 : 0;
            allocated = nowAllocated;
            var heap = HeapAfterLastCollection();
            if (quietFor < QuietIntervals || Math.Abs(heap - baseline) < threshold
                || Environment.TickCount64 - last < (long)MinimumGap.TotalMilliseconds)
                continue;
            last = Environment.TickCount64;
            var started = Environment.TickCount64;
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            baseline = HeapAfterLastCollection();
            allocated = GC.GetTotalAllocatedBytes();
            Interlocked.Increment(ref _count);
            Compactions.Inc();
            LogCompacted(logger, heap >> 20, baseline >> 20, Environment.TickCount64 - started);
        }
    }

    // Live heap as the last collection left it (free space inside it excluded, so a flush that a
    // background collection swept counts as a change): steady against what gen0 collects anyway.
    private static long HeapAfterLastCollection()
    {
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        return info.HeapSizeBytes - info.FragmentedBytes;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Heap compacted after a bulk change: {BeforeMiB} MiB -> {AfterMiB} MiB in {Ms} ms")]
    private static partial void LogCompacted(ILogger logger, long beforeMiB, long afterMiB, long ms);
}
