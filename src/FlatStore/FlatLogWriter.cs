using System.Buffers;
using System.Threading.Channels;

namespace HTableCluster.FlatStore;

/// <summary>
/// Appends the records of one table to its file with group commit: callers format their records
/// into the open group (under a short lock) and share its one task; one loop seals the group, writes
/// it with one call and, with <see cref="FlatStoreOptions.Flush"/>, hands it to the OS before all of
/// its records are acknowledged together. The file is opened at the first record and closed by
/// <see cref="RotateAsync"/>, so a renamed file is replaced by a new one at the next record. A failed
/// write (directory removed, permission denied, disk full) is never acknowledged: the group's records
/// fail with the error, a torn tail is cut off, and the next record opens the file again.
/// </summary>
public sealed class FlatLogWriter : IAsyncDisposable
{
    private const int MaxGroupBytes = 1 << 20;
    private const int MaxQueuedBuffered = 4;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? Formatting;
    private readonly Channel<object> _queue = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _sync = new();
    private readonly string _path;
    private readonly FlatStoreOptions _options;
    private readonly IFlatFileSystem _files;
    private readonly Task _loop;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _timers;
    private readonly Stack<Group> _spares = new();
    private Group? _open;
    private Group? _lastQueued;
    private int _queuedBuffered;
    private bool _closed;
    private IFlatFile? _file;
    private long _written;
    private long _failed;
    private long _fsyncs;
    private int _disposed;

    /// <summary>Starts the writer of <paramref name="path"/>.</summary>
    public FlatLogWriter(string path, FlatStoreOptions options, IFlatFileSystem? files = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _path = path;
        _options = options;
        _files = files ?? OsFlatFileSystem.Instance;
        _loop = Task.Run(RunAsync);
        _timers = Task.Run(TickAsync);
    }

    /// <summary>The file written.</summary>
    public string Path => _path;

    /// <summary>Records written (acknowledged).</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Records whose write failed (their callers got the error; with flush=0, failed writes).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Times the file was forced to disk.</summary>
    public long Fsyncs => Interlocked.Read(ref _fsyncs);

    /// <summary>Appends one record (<see cref="FlatRecord.Format"/>); completes once it is written as the options say.</summary>
    public Task AppendAsync(byte[] record) => AppendAsync(record, 1);

    /// <summary>
    /// Appends <paramref name="count"/> whole records (<see cref="FlatRecord.Append"/>, each ending in
    /// <c>\n</c>); they reach the file in one write and are acknowledged (or fail) together.
    /// </summary>
    public Task AppendAsync(ReadOnlyMemory<byte> records, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (records.IsEmpty || records.Span[^1] != (byte)'\n')
            throw new ArgumentException("records must be whole lines", nameof(records));
        return Append(records.Span, count);
    }

    /// <summary>Formats and appends records (<see cref="FlatRecord.Append"/>); they are written, and acknowledged or failed, together.</summary>
    public Task AppendAsync(IReadOnlyCollection<IReadOnlyList<string?>> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
            return Task.CompletedTask;
        // Formatted outside the lock (callers on other threads format at the same time), copied in.
        var formatted = Formatting ??= new ArrayBufferWriter<byte>(4096);
        formatted.ResetWrittenCount();
        foreach (var row in rows)
            FlatRecord.Append(formatted, row);
        try
        {
            return Append(formatted.WrittenSpan, rows.Count);
        }
        finally
        {
            if (formatted.Capacity > MaxGroupBytes)
                Formatting = null;
        }
    }

    /// <summary>Closes the file after what is queued; the next record opens it again (flat_rotate).</summary>
    public Task RotateAsync() => Post(MarkerKind.Rotate);

    /// <summary>Writes what is queued, flushes, and closes the file; later records are refused.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            await _loop.ConfigureAwait(false);
            return;
        }
        lock (_sync)
        {
            _closed = true;
            Seal();
            _queue.Writer.TryComplete();
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        await _timers.ConfigureAwait(false);
        _stop.Dispose();
    }

    // Copies formatted records into the open group.
    private Task Append(ReadOnlySpan<byte> records, int count)
    {
        lock (_sync)
        {
            if (Open() is not { } group)
                return Closed();
            group.Buffer.Write(records);
            return Added(group, count);
        }
    }

    private static Task Closed() => Task.FromException(new ObjectDisposedException(nameof(FlatLogWriter), "the flatstore writer is closed"));

    // Under _sync: the group records are added to (with flush=1 it is queued for the loop at once).
    private Group? Open()
    {
        if (_closed)
            return null;
        if (_open is null)
        {
            _open = _spares.TryPop(out var spare) ? spare : new Group();
            // Completed on a pool thread that then runs the group's callers one after the other
            // (one hand-off per group instead of one per caller), never on the loop's thread.
            _open.Done = new TaskCompletionSource();
            if (_options.Flush)
                _queue.Writer.TryWrite(_open);
        }
        return _open;
    }

    // Under _sync, after records went into the group: flush=1 waits for its write; flush=0 is
    // acknowledged now and the group goes to the loop once large enough (or on the interval).
    private Task Added(Group group, int count)
    {
        group.Count += count;
        if (group.Buffer.WrittenCount >= MaxGroupBytes)
            Seal();
        if (_options.Flush)
            return group.Done!.Task;
        Interlocked.Add(ref _written, count);
        // flush=0 is acknowledged at once, unless the loop falls behind: then the caller waits
        // until the queued buffers are written, so memory stays bounded.
        return _queuedBuffered >= MaxQueuedBuffered && _lastQueued is { } last ? last.Done!.Task : Task.CompletedTask;
    }

    private Task Post(MarkerKind kind)
    {
        var marker = new Marker(kind);
        lock (_sync)
        {
            // Records added before the marker are written before it is applied.
            Seal();
            if (!_queue.Writer.TryWrite(marker))
                return Task.CompletedTask;
        }
        return marker.Done.Task;
    }

    // Under _sync: later records go into a new group; with flush=0 the open one is queued now
    // (with flush=1 it is in the queue since it was opened).
    private void Seal()
    {
        if (_open is { } open && !_options.Flush && _queue.Writer.TryWrite(open))
        {
            _queuedBuffered++;
            _lastQueued = open;
        }
        _open = null;
    }

    private async Task TickAsync()
    {
        var interval = _options.FsyncInterval > TimeSpan.Zero ? _options.FsyncInterval : _options.BufferFlushInterval;
        if (_options.Flush && _options.FsyncInterval <= TimeSpan.Zero)
            return;
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
                _ = Post(_options.FsyncInterval > TimeSpan.Zero ? MarkerKind.Fsync : MarkerKind.Flush);
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                if (item is Group group)
                {
                    lock (_sync)
                    {
                        if (_open == group)
                            _open = null;
                    }
                    WriteGroup(group);
                    continue;
                }
                var marker = (Marker)item;
                Apply(marker.Kind);
                marker.Done.TrySetResult();
            }
        }
        Apply(MarkerKind.Rotate);
    }

    private void WriteGroup(Group group)
    {
        var error = WriteBytes(group.Buffer.WrittenSpan);
        var done = group.Done!;
        if (!_options.Flush)
        {
            // These records were acknowledged already; a failed write is counted, and callers
            // held back by the backlog go on either way.
            if (error is not null)
                Interlocked.Increment(ref _failed);
            error = null;
        }
        else
        {
            Interlocked.Add(ref error is null ? ref _written : ref _failed, group.Count);
        }
        if (error is null)
            ThreadPool.UnsafeQueueUserWorkItem(static d => d.TrySetResult(), done, preferLocal: false);
        else
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.Done.TrySetException(s.Error), (Done: done, Error: error), preferLocal: false);
        lock (_sync)
        {
            if (!_options.Flush)
            {
                _queuedBuffered--;
                if (_lastQueued == group)
                    _lastQueued = null;
            }
            if (group.Reset() && _spares.Count < MaxQueuedBuffered)
                _spares.Push(group);
        }
    }

    // Writes with one call; on failure cuts off what part of it reached the file.
    private IOException? WriteBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
            return null;
        long start = -1;
        try
        {
            _file ??= _files.OpenAppend(_path);
            start = _file.Length;
            _file.Write(bytes);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Close(cutTo: start);
            return new IOException($"{_path}: {ex.Message}", ex);
        }
    }

    private void Apply(MarkerKind kind)
    {
        try
        {
            if (kind == MarkerKind.Fsync && _file is not null)
            {
                _file.Fsync();
                Interlocked.Increment(ref _fsyncs);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Interlocked.Increment(ref _failed);
            Close(cutTo: -1);
        }
        if (kind == MarkerKind.Rotate)
            Close(cutTo: -1);
    }

    private void Close(long cutTo)
    {
        if (_file is null)
            return;
        try
        {
            if (cutTo >= 0)
                _file.Truncate(cutTo);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The file cannot be cut back (e.g. its directory is gone); the next open starts afresh.
        }
        try
        {
            _file.Dispose();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Closing a broken file: nothing more to lose.
        }
        _file = null;
    }

    private enum MarkerKind
    {
        Flush,
        Fsync,
        Rotate,
    }

    // Records added between two writes; with flush=1 their callers share Done.
    private sealed class Group
    {
        public ArrayBufferWriter<byte> Buffer { get; } = new(16 * 1024);

        public int Count { get; set; }

        public TaskCompletionSource? Done { get; set; }

        // False when the buffer is too large to keep for the next group.
        public bool Reset()
        {
            if (Buffer.Capacity > 4 * MaxGroupBytes)
                return false;
            Buffer.ResetWrittenCount();
            Count = 0;
            Done = null;
            return true;
        }
    }

    private sealed class Marker(MarkerKind kind)
    {
        public MarkerKind Kind { get; } = kind;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
