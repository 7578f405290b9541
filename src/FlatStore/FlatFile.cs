namespace HTableCluster.FlatStore;

/// <summary>An open log file, appended to by one writer (tests put a fake in its place).</summary>
public interface IFlatFile : IDisposable
{
    /// <summary>Bytes in the file now.</summary>
    long Length { get; }

    /// <summary>Appends, handing the bytes to the operating system (no buffer of its own).</summary>
    void Write(ReadOnlySpan<byte> bytes);

    /// <summary>Forces what the operating system holds to disk.</summary>
    void Fsync();

    /// <summary>Cuts the file back to <paramref name="length"/> bytes (drops a torn record after a failed write).</summary>
    void Truncate(long length);
}

/// <summary>Opens log files.</summary>
public interface IFlatFileSystem
{
    /// <summary>Opens <paramref name="path"/> for appending, creating it when missing (never its directory).</summary>
    IFlatFile OpenAppend(string path);
}

/// <summary>
/// Files on the local file system, written without a buffer of their own (the writer assembles its
/// groups), so a failed write leaves nothing behind to be written later; a renamed file keeps taking
/// appends until it is closed (as in Kamailio).
/// </summary>
public sealed class OsFlatFileSystem : IFlatFileSystem
{
    /// <summary>The instance.</summary>
    public static readonly OsFlatFileSystem Instance = new();

    /// <inheritdoc />
    public IFlatFile OpenAppend(string path) => new OsFlatFile(path);

    private sealed class OsFlatFile(string path) : IFlatFile
    {
        private readonly FileStream _stream = new(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);

        public long Length => _stream.Length;

        public void Write(ReadOnlySpan<byte> bytes) => _stream.Write(bytes);

        public void Fsync() => _stream.Flush(flushToDisk: true);

        public void Truncate(long length) => _stream.SetLength(length);

        public void Dispose() => _stream.Dispose();
    }
}
