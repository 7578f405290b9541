using BenchmarkDotNet.Running;
using HTableCluster.Benchmarks;

// `memory [N]` is a plain measurement tool (RSS per entry), not a BenchmarkDotNet run.
if (args.Length > 0 && args[0] == "memory")
    return MemoryTool.Run(args[1..]);

// `flatstore [seconds] [writers]`: accounting lines per second against a raw FileStream loop.
if (args.Length > 0 && args[0] == "flatstore")
    return FlatStoreLoadTool.Run(args[1..]);

BenchmarkSwitcher.FromAssembly(typeof(StorageBenchmarks).Assembly).Run(args);
return 0;
