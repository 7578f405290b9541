using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using HTableCluster.FlatStore;
using HTableCluster.Node.Accounting;

namespace HTableCluster.Benchmarks;

/// <summary>
/// <c>flatstore [seconds] [writers] [block]</c>: accounting lines per second into a temporary
/// directory, side by side in one run: a raw <see cref="FileStream"/> append loop that hands its
/// buffer to the OS once per millisecond (the reference), then the writer (<see cref="FlatStoreFiles"/>)
/// with flush=1 (group commit), flush=0 and flush=1 with a 100 ms fsync interval, each with the given
/// number of concurrent writers awaiting every line, then awaiting blocks of <c>block</c> lines; then
/// the node's embedded API (<see cref="FlatStoreClient"/> through its flatstore actor). Lines are 8
/// fields, about 70 bytes, as an acc record.
/// </summary>
internal static class FlatStoreLoadTool
{
    private static readonly string?[] Fields = ["INVITE", "a84b4c76e66710@pc33.example.com", "1928301774", "a73kszlfl", "200", "OK", null, "1733300000"];

    public static int Run(string[] args)
    {
        var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 5;
        var writers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
        var blockSize = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100;
        var dir = Path.Combine(Path.GetTempPath(), "htc-flat-bench-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        IReadOnlyList<string?>[] block = [.. Enumerable.Repeat<IReadOnlyList<string?>>(Fields, blockSize)];
        try
        {
            // Warm-up (JIT tiers, page cache), not reported.
            Raw(dir, 1);
            Store(new FlatStoreOptions { Directory = dir, NodeId = "warm" }, 1, writers, [Fields]).GetAwaiter().GetResult();
            Store(new FlatStoreOptions { Directory = dir, NodeId = "warm" }, 1, writers, block).GetAwaiter().GetResult();
            Console.WriteLine($"{"what",-52} {"lines/s",12} {"vs raw",7}");
            var raw = Raw(dir, seconds);
            void Row(string name, double rate) => Console.WriteLine($"{name,-52} {rate,12:N0} {rate / raw,6:F2}x");
            Row("raw FileStream, OS flush every 1 ms", raw);
            foreach (var (name, options) in new (string, FlatStoreOptions)[]
            {
                ("flush=1", new() { Directory = dir, NodeId = "f1" }),
                ("flush=0", new() { Directory = dir, NodeId = "f0", Flush = false }),
                ("flush=1 + fsync 100 ms", new() { Directory = dir, NodeId = "fs", FsyncInterval = TimeSpan.FromMilliseconds(100) }),
            })
            {
                Row($"writer {name}, {writers} writers x 1 line", Store(options, seconds, writers, [Fields]).GetAwaiter().GetResult());
                Row($"writer {name}, {writers} writers x {blockSize} lines", Store(options with { NodeId = options.NodeId + "b" }, seconds, writers, block).GetAwaiter().GetResult());
            }
            Row($"embedded API flush=1, {writers} writers x 1 line", Embedded(dir, seconds, writers, [Fields]).GetAwaiter().GetResult());
            Row($"embedded API flush=1, {writers} writers x {blockSize} lines", Embedded(dir, seconds, writers, block).GetAwaiter().GetResult());
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

    private static async Task<double> Store(FlatStoreOptions options, double seconds, int writers, IReadOnlyList<string?>[] rows)
    {
        await using var store = new FlatStoreFiles(options);
        return await LoadAsync(seconds, writers, rows.Length, () => store.InsertManyAsync("acc", rows));
    }

    private static async Task<double> Embedded(string dir, double seconds, int writers, IReadOnlyList<string?>[] rows)
    {
        await using var files = new FlatStoreFiles(new FlatStoreOptions { Directory = dir, NodeId = "e" + rows.Length });
        var client = new FlatStoreClient(files);
        using var system = ActorSystem.Create("bench");
        client.Attach(system);
        var rate = await LoadAsync(seconds, writers, rows.Length, () => client.InsertManyAsync("acc", rows));
        await client.DetachAsync(system);
        await system.Terminate();
        return rate;
    }

    private static async Task<double> LoadAsync(double seconds, int writers, int linesPerCall, Func<Task> insert)
    {
        var watch = Stopwatch.StartNew();
        var counts = new long[writers];
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            while (watch.Elapsed.TotalSeconds < seconds)
            {
                await insert().ConfigureAwait(false);
                counts[w] += linesPerCall;
            }
        })));
        return counts.Sum() / watch.Elapsed.TotalSeconds;
    }
}
