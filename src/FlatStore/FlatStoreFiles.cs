using System.Collections.Concurrent;

namespace HTableCluster.FlatStore;

/// <summary>
/// This node's accounting logs: one <see cref="FlatLogWriter"/> per table, created at the table's
/// first record, in <see cref="FlatStoreOptions.Directory"/>. Owned by the process (it outlives an
/// actor system that is rebuilt), thread-safe.
/// </summary>
public sealed class FlatStoreFiles(FlatStoreOptions options, IFlatFileSystem? files = null) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, FlatLogWriter> _writers = new(StringComparer.Ordinal);
    private long _refused;

    /// <summary>Records refused before reaching a file (a bad table name).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Records written, over every table.</summary>
    public long Written => _writers.Values.Sum(w => w.Written);

    /// <summary>Records whose write failed, over every table.</summary>
    public long Failed => _writers.Values.Sum(w => w.Failed);

    /// <summary>
    /// Appends one record to <paramref name="table"/>'s file; completes once it is written as the
    /// options say. A table name that cannot name a file fails with <see cref="ArgumentException"/>, a
    /// failed write with <see cref="IOException"/>.
    /// </summary>
    public Task InsertAsync(string table, IReadOnlyList<string?> fields)
    {
        if (FlatFileName.Problem(table) is { } problem)
        {
            Interlocked.Increment(ref _refused);
            return Task.FromException(new ArgumentException(problem, nameof(table)));
        }
        var writer = _writers.GetOrAdd(table, t => new FlatLogWriter(System.IO.Path.Combine(options.Directory, FlatFileName.For(t, options.NodeId)), options, files));
        return writer.AppendAsync(FlatRecord.Format(fields));
    }

    /// <summary>Closes every file after what is queued; the next record of a table opens its file again.</summary>
    public Task RotateAsync() => Task.WhenAll(_writers.Values.Select(w => w.RotateAsync()));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var w in _writers.Values)
            await w.DisposeAsync().ConfigureAwait(false);
    }
}
