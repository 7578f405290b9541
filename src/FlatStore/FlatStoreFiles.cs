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
    private readonly Lock _open = new();
    private long _refused;
    private volatile bool _closed;

    /// <summary>The options.</summary>
    public FlatStoreOptions Options => options;

    /// <summary>Records refused before reaching a file (a bad table name, too many tables, closed).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Records written, over every table.</summary>
    public long Written => _writers.Values.Sum(w => w.Written);

    /// <summary>Records whose write failed, over every table.</summary>
    public long Failed => _writers.Values.Sum(w => w.Failed);

    /// <summary>The writers, one per table written since start.</summary>
    public IReadOnlyCollection<KeyValuePair<string, FlatLogWriter>> Writers => _writers;

    /// <summary>
    /// Why <paramref name="table"/> cannot be written, or null when it can: a name that cannot name a
    /// file, more tables than <see cref="FlatStoreOptions.MaxTables"/>, or the files closed.
    /// </summary>
    public string? Problem(string? table)
    {
        if (FlatFileName.Problem(table) is { } problem)
            return problem;
        if (_closed)
            return "the flatstore files are closed (the node is stopping)";
        if (!_writers.ContainsKey(table!) && _writers.Count >= options.MaxTables)
            return $"more than {options.MaxTables} flatstore tables (FlatStore:MaxTables)";
        return null;
    }

    /// <summary>
    /// The writer of <paramref name="table"/>, created at its first use; <see cref="ArgumentException"/>
    /// with <see cref="Problem"/> when the table cannot be written (counted as refused).
    /// </summary>
    public FlatLogWriter Writer(string table)
    {
        if (_writers.TryGetValue(table, out var writer) && !_closed)
            return writer;
        lock (_open)
        {
            if (Problem(table) is { } problem)
            {
                Interlocked.Increment(ref _refused);
                throw new ArgumentException(problem, nameof(table));
            }
            return _writers.GetOrAdd(table, t => new FlatLogWriter(Path.Combine(options.Directory, FlatFileName.For(t, options.NodeId)), options, files));
        }
    }

    /// <summary>
    /// Appends one record to <paramref name="table"/>'s file; completes once it is written as the
    /// options say. A table that cannot be written fails with <see cref="ArgumentException"/>, a
    /// failed write with <see cref="IOException"/>.
    /// </summary>
    public Task InsertAsync(string table, IReadOnlyList<string?> fields) => InsertManyAsync(table, [fields]);

    /// <summary>Appends records to <paramref name="table"/>'s file in one block (written and acknowledged together).</summary>
    public Task InsertManyAsync(string table, IReadOnlyCollection<IReadOnlyList<string?>> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        FlatLogWriter writer;
        try
        {
            writer = Writer(table);
        }
        catch (ArgumentException ex)
        {
            return Task.FromException(ex);
        }
        return writer.AppendAsync(rows);
    }

    /// <summary>Closes every file after what is queued; the next record of a table opens its file again.</summary>
    public Task RotateAsync() => Task.WhenAll(_writers.Values.Select(w => w.RotateAsync()));

    /// <summary>Refuses new records, writes what is queued, flushes and closes every file.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_open)
            _closed = true;
        foreach (var w in _writers.Values)
            await w.DisposeAsync().ConfigureAwait(false);
    }
}
