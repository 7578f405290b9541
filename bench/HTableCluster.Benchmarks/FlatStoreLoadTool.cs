using System.Diagnostics;
using System.Globalization;
using HTableCluster.FlatStore;

namespace HTableCluster.Benchmarks;

/// <summary>
/// <c>flatstore [seconds] [writers]</c>: accounting lines per second into a temporary directory,
/// side by side in one run: a raw <see cref="FileStream"/> append loop that hands its buffer to the
/// OS once per millisecond (the reference), then <see cref="FlatStoreFiles"/> with flush=1 (group
/// commit), flush=0, and flush=1 with a 100 ms fsync interval, each with the given number of
/// concurrent writers awaiting every line. Lines are 8 fields, about 120 bytes, as an acc record.
/// </summary>
internal static class FlatStoreLoadTool
{
    private static readonly string?[] Fields = ["INVITE", "a84b4c76e66710@pc33.example.com", "1928301774", "a73kszlfl", "200", "OK", null, "1733300000"];

    public static int Run(string[] args)
    {
        var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 5;
        var writers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
        var dir = Path.Combine(Path.GetTempPath(), "htc-flat-bench-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        try
        {
            Console.WriteLine($"{"what",-40} {"lines/s",12}");
            Console.WriteLine($"{"raw FileStream, OS flush every 1 ms",-40} {Raw(dir, seconds),12:N0}");
            foreach (var (name, options) in new (string, FlatStoreOptions)[]
            {
                ($"flatstore flush=1, {writers} writers", new() { Directory = dir, NodeId = "f1" }),
                ($"flatstore flush=0, {writers} writers", new() { Directory = dir, NodeId = "f0", Flush = false }),
                ($"flatstore flush=1 + fsync 100 ms, {writers}", new() { Directory = dir, NodeId = "fs", FsyncInterval = TimeSpan.FromMilliseconds(100) }),
            })
                Console.WriteLine($"{name,-40} {Store(options, seconds, writers).GetAwaiter().GetResult(),12:N0}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        return 0;
    }

    private static double Raw(string dir, double seconds)
    {
        var line = FlatRecord.Format(Fields);
        using var fs = new FileStream(Path.Combine(dir, "raw.log"), FileMode.Append, FileAccess.Write, FileShare.Read, 64 * 1024);
        var watch = Stopwatch.StartNew();
        long lines = 0;
        var lastFlush = 0L;
        while (watch.Elapsed.TotalSeconds < seconds)
        {
            fs.Write(line);
            lines++;
            if (watch.ElapsedMilliseconds != lastFlush)
            {
                fs.Flush();
                lastFlush = watch.ElapsedMilliseconds;
            }
        }
        fs.Flush();
        return lines / watch.Elapsed.TotalSeconds;
    }

    private static async Task<double> Store(FlatStoreOptions options, double seconds, int writers)
    {
        await using var store = new FlatStoreFiles(options);
        var watch = Stopwatch.StartNew();
        var counts = new long[writers];
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            while (watch.Elapsed.TotalSeconds < seconds)
            {
                await store.InsertAsync("acc", Fields).ConfigureAwait(false);
                counts[w]++;
            }
        })));
        return counts.Sum() / watch.Elapsed.TotalSeconds;
    }
}
