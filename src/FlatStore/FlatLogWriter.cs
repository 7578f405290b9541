using System.Threading.Channels;

namespace HTableCluster.FlatStore;

/// <summary>
/// Appends the records of one table to its file. Every record goes through one loop, so concurrent
/// callers share writes (group commit): whatever is queued when the loop comes round is written with
/// one call and, with <see cref="FlatStoreOptions.Flush"/>, handed to the OS with one flush before
/// all of them are acknowledged. The file is opened at the first record and closed by
/// <see cref="RotateAsync"/>, so a renamed file is replaced by a new one at the next record. A failed write
/// (directory removed, permission denied, disk full) is never acknowledged: its records fail with the
/// error, a torn tail is cut off, and the next record opens the file again.
/// </summary>
public sealed class FlatLogWriter : IAsyncDisposable
{
    private const int MaxGroupBytes = 1 << 20;
    private readonly Channel<object> _queue = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly string _path;
    private readonly FlatStoreOptions _options;
    private readonly IFlatFileSystem _files;
    private readonly Task _loop;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _timers;
    private readonly MemoryStream _buffer = new();
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

    /// <summary>Records whose write failed (their callers got the error).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Times the file was forced to disk.</summary>
    public long Fsyncs => Interlocked.Read(ref _fsyncs);

    /// <summary>Appends one record (<see cref="FlatRecord.Format"/>); completes once it is written as the options say.</summary>
    public Task AppendAsync(byte[] record) => AppendAsync(record, 1);

    /// <summary>
    /// Appends <paramref name="count"/> whole records (<see cref="FlatRecord.Append"/>, each ending in
    /// <c>\n</c>) as one block: they reach the file together, in one write, and are acknowledged (or
    /// fail) together.
    /// </summary>
    public Task AppendAsync(ReadOnlyMemory<byte> records, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (records.IsEmpty || records.Span[^1] != (byte)'\n')
            throw new ArgumentException("records must be whole lines", nameof(records));
        var pending = new Pending(records, count);
        return _queue.Writer.TryWrite(pending) ? pending.Done.Task : Task.FromException(new ObjectDisposedException(nameof(FlatLogWriter), "the flatstore writer is closed"));
    }

    /// <summary>Closes the file after what is queued; the next record opens it again (flat_rotate).</summary>
    public Task RotateAsync()
    {
        var marker = new Marker(MarkerKind.Rotate);
        return _queue.Writer.TryWrite(marker) ? marker.Done.Task : Task.CompletedTask;
    }

    /// <summary>Writes what is queued, flushes, and closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            await _loop.ConfigureAwait(false);
            return;
        }
        _queue.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        await _timers.ConfigureAwait(false);
        _stop.Dispose();
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
                _queue.Writer.TryWrite(new Marker(_options.FsyncInterval > TimeSpan.Zero ? MarkerKind.Fsync : MarkerKind.Flush));
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    private async Task RunAsync()
    {
        var group = new List<Pending>();
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            long bytes = 0;
            while (bytes < MaxGroupBytes && reader.TryRead(out var item))
            {
                if (item is Pending p)
                {
                    group.Add(p);
                    bytes += p.Records.Length;
                    continue;
                }
                WriteGroup(group);
                var marker = (Marker)item;
                Apply(marker.Kind);
                marker.Done.TrySetResult();
            }
            WriteGroup(group);
        }
        Apply(MarkerKind.Rotate);
    }

    // flush=1: the group goes to the OS in one write before it is acknowledged. flush=0: it is
    // acknowledged once in the buffer, which goes out when full, on the interval and at close.
    private void WriteGroup(List<Pending> group)
    {
        if (group.Count == 0)
            return;
        var records = 0L;
        foreach (var p in group)
        {
            _buffer.Write(p.Records.Span);
            records += p.Count;
        }
        if (!_options.Flush)
        {
            Interlocked.Add(ref _written, records);
            foreach (var p in group)
                p.Done.TrySetResult();
            group.Clear();
            if (_buffer.Length >= MaxGroupBytes)
                Apply(MarkerKind.Flush);
            return;
        }
        if (WriteBuffer() is { } error)
        {
            Interlocked.Add(ref _failed, records);
            foreach (var p in group)
                p.Done.TrySetException(error);
        }
        else
        {
            Interlocked.Add(ref _written, records);
            foreach (var p in group)
                p.Done.TrySetResult();
        }
        group.Clear();
    }

    // Writes the buffer with one call; on failure cuts off what part of it reached the file.
    private IOException? WriteBuffer()
    {
        if (_buffer.Length == 0)
            return null;
        long start = -1;
        try
        {
            _file ??= _files.OpenAppend(_path);
            start = _file.Length;
            _file.Write(_buffer.GetBuffer().AsSpan(0, (int)_buffer.Length));
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Close(cutTo: start);
            return new IOException($"{_path}: {ex.Message}", ex);
        }
        finally
        {
            _buffer.SetLength(0);
        }
    }

    private void Apply(MarkerKind kind)
    {
        // With flush=0 the buffered records were acknowledged already: a failure here loses them
        // (counted once per failed write).
        if (WriteBuffer() is not null)
            Interlocked.Increment(ref _failed);
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

    private sealed class Pending(ReadOnlyMemory<byte> records, int count)
    {
        public ReadOnlyMemory<byte> Records { get; } = records;

        public int Count { get; } = count;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Marker(MarkerKind kind)
    {
        public MarkerKind Kind { get; } = kind;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
