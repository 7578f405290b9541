using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.CompilerServices;
using HTableCluster.Storage;

namespace HTableCluster.Benchmarks;

/// <summary>
/// <c>memory [N]</c>: inserts N entries (16-byte keys, 64-byte values) into one table (size=14,
/// 8 partitions), forces a full compacting GC and prints the process RSS (VmRSS) and the managed
/// heap before and after, and bytes per entry. Partition writers are called one after the other
/// from this thread; each partition still has exactly one writer.
/// The last line is machine-readable for bench/memory-vs-redis.sh.
/// </summary>
internal static class MemoryTool
{
    private const int DefaultEntries = 1_000_000;
    private const int Partitions = 8;

    public static int Run(string[] args)
    {
        var n = DefaultEntries;
        if (args.Length > 0 && (!int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out n) || n < 1))
        {
            Console.Error.WriteLine("usage: memory [N]   (N = entries, default 1000000)");
            return 2;
        }

        var table = new HTable(TableOptions.Parse("t=>size=14"), new HybridClock(TimeProvider.System), Partitions);
        Span<byte> value = stackalloc byte[TestData.ValueBytes];
        WarmUp(table.Clock);

        FullGc();
        var rssBefore = RssBytes();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);

        var sw = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            TestData.WriteValue(i, value);
            var key = NewKey(i);
            table.Partition(table.PartitionOf(key)).SetString(key, value);
        }
        sw.Stop();

        FullGc();
        var rssAfter = RssBytes();
        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        if (table.RawCount != n || table.Get(TestData.Key(n - 1)) is null)
            throw new InvalidOperationException("table does not hold every inserted key");

        var rssPerEntry = (double)(rssAfter - rssBefore) / n;
        var heapPerEntry = (double)(heapAfter - heapBefore) / n;
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Format(inv, "entries            {0:N0} (key {1} B, value {2} B, table size=14, {3} partitions)", n, TestData.KeyBytes, TestData.ValueBytes, Partitions));
        Console.WriteLine(string.Format(inv, "insert time        {0:N0} ms ({1:N0} inserts/s, one thread)", sw.ElapsedMilliseconds, n / sw.Elapsed.TotalSeconds));
        Console.WriteLine(string.Format(inv, "VmRSS before/after {0:N0} / {1:N0} bytes", rssBefore, rssAfter));
        Console.WriteLine(string.Format(inv, "managed heap       {0:N0} / {1:N0} bytes", heapBefore, heapAfter));
        Console.WriteLine(string.Format(inv, "bytes per entry    {0:F1} (RSS delta), {1:F1} (managed heap delta)", rssPerEntry, heapPerEntry));
        Console.WriteLine(string.Format(inv, "RESULT entries={0} rss_before={1} rss_after={2} heap_before={3} heap_after={4}", n, rssBefore, rssAfter, heapBefore, heapAfter));
        GC.KeepAlive(table);
        return 0;
    }

    // Runs the insert path (JIT, clock) on a throwaway table so its code is already part of "before".
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WarmUp(HybridClock clock)
    {
        var warm = new HTable(TableOptions.Parse("w=>size=4"), clock, 1);
        Span<byte> value = stackalloc byte[TestData.ValueBytes];
        for (var i = 0; i < 1000; i++)
        {
            TestData.WriteValue(i, value);
            var key = NewKey(i);
            warm.Partition(warm.PartitionOf(key)).SetString(key, value);
        }
    }

    // MakeKey keeps the array it is given, so every key gets its own 16-byte array (garbage after the insert copies it).
    private static KeyRef NewKey(long i)
    {
        var key = new byte[TestData.KeyBytes];
        TestData.WriteKey(i, key);
        return HTable.MakeKey(key);
    }

    private static void FullGc()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    private static long RssBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            // "VmRSS:     123456 kB"
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), NumberStyles.None, CultureInfo.InvariantCulture) * 1024;
        }
        throw new InvalidOperationException("VmRSS not found in /proc/self/status");
    }
}
