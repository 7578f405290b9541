namespace HTableCluster.FlatStore;

/// <summary>Where and how accounting records are written.</summary>
public sealed record FlatStoreOptions
{
    /// <summary>Directory of the files (must exist; the node creates no directories).</summary>
    public required string Directory { get; init; }

    /// <summary>This node's id, part of every file name.</summary>
    public required string NodeId { get; init; }

    /// <summary>
    /// db_flatstore's <c>flush</c> (default true): a record is acknowledged once it has reached the
    /// operating system (it survives a process kill, not a power cut). False: acknowledged once in the
    /// writer's buffer, which reaches the OS within <see cref="BufferFlushInterval"/> or when it fills
    /// (a process kill may lose the buffered records).
    /// </summary>
    public bool Flush { get; init; } = true;

    /// <summary>With <see cref="Flush"/> off, how often the buffer is handed to the OS (default 1 s).</summary>
    public TimeSpan BufferFlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often written records are forced to disk (fsync); zero (default) leaves that to the OS.</summary>
    public TimeSpan FsyncInterval { get; init; } = TimeSpan.Zero;

    /// <summary>Most tables written (each has its own file and writer); records for more are refused (default 256).</summary>
    public int MaxTables { get; init; } = 256;
}
