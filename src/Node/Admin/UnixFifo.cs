using System.Runtime.InteropServices;

namespace HTableCluster.Node.Admin;

/// <summary>
/// The few POSIX calls a FIFO needs that .NET does not offer: create one, and open a client's reply
/// FIFO for writing without blocking, with jsonrpcs' security checks (a FIFO, not a symbolic link,
/// not hard-linked, the same inode that was named).
/// </summary>
public static partial class UnixFifo
{
    private const int ENXIO = 6;
    private const int EAGAIN = 11;
    private const int EINTR = 4;
    private const int OWriteOnly = 1;
    private const int ONonBlock = 0x800;
    private const int OCloseOnExec = 0x80000;
    private const uint TypeMask = 0xF000;
    private const uint TypeFifo = 0x1000;
    private const uint TypeLink = 0xA000;

    /// <summary>Creates a FIFO; throws <see cref="IOException"/> with the reason.</summary>
    public static void Create(string path, UnixFileMode mode)
    {
        if (Native.MkFifo(path, (uint)mode) != 0)
            throw new IOException($"cannot create the FIFO {path}: {Marshal.GetLastPInvokeErrorMessage()}");
    }

    /// <summary>True when <paramref name="path"/> is a FIFO (not following a symbolic link).</summary>
    public static bool IsFifo(string path) => Stat(path, false, -1) is { } s && (s.Mode & TypeMask) == TypeFifo;

    /// <summary>
    /// Opens a reply FIFO for non-blocking writes. A descriptor of -1 with the reason when no reader appears within <paramref name="attempts"/> tries (80 ms apart, as jsonrpcs) or
    /// the path fails a security check.
    /// </summary>
    public static async Task<(int Fd, string Error)> OpenReplyAsync(string path, int attempts, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            var fd = Native.Open(path, OWriteOnly | ONonBlock | OCloseOnExec);
            if (fd >= 0)
            {
                var error = Check(fd, path);
                if (error is null)
                    return (fd, "");
                _ = Native.Close(fd);
                return (-1, error);
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno != ENXIO || attempt + 1 >= attempts)
                return (-1, errno == ENXIO ? "no client reads it" : Marshal.GetPInvokeErrorMessage(errno));
            await Task.Delay(80, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes all of <paramref name="data"/>, waiting while the pipe is full; false when <paramref name="deadline"/> passes first or the reader left.</summary>
    public static async Task<bool> WriteAllAsync(int fd, ReadOnlyMemory<byte> data, DateTime deadline, CancellationToken cancellationToken = default)
    {
        var written = 0;
        while (written < data.Length)
        {
            var n = Write(fd, data.Span[written..]);
            if (n > 0)
            {
                written += (int)n;
                continue;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN || DateTime.UtcNow > deadline)
                return false;
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>Closes a descriptor from <see cref="OpenReplyAsync"/>.</summary>
    public static void Close(int fd) => _ = Native.Close(fd);

    private static unsafe nint Write(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
            return Native.Write(fd, p, (nuint)data.Length);
    }

    private static string? Check(int fd, string path)
    {
        if (Stat(path, false, fd) is not { } opened)
            return "fstat failed";
        if ((opened.Mode & TypeMask) != TypeFifo)
            return "not a FIFO";
        if (opened.Links > 1)
            return $"hard-linked {opened.Links} times";
        if (Stat(path, true, -1) is not { } named)
            return "lstat failed";
        if ((named.Mode & TypeMask) == TypeLink)
            return "a symbolic link";
        if (named.Device != opened.Device || named.Inode != opened.Inode)
            return "replaced while it was opened";
        return null;
    }

    private readonly record struct StatInfo(ulong Device, ulong Inode, uint Mode, ulong Links);

    // struct stat differs by architecture: x86_64 puts st_nlink (64 bits) before st_mode; the
    // generic layout (arm64) puts st_mode first and st_nlink in 32 bits.
    private static unsafe StatInfo? Stat(string path, bool link, int fd)
    {
        var buffer = stackalloc byte[256];
        var rc = fd >= 0 ? Native.FStat(fd, buffer) : link ? Native.LStat(path, buffer) : Native.StatPath(path, buffer);
        if (rc != 0)
            return null;
        var dev = *(ulong*)buffer;
        var ino = *(ulong*)(buffer + 8);
        return RuntimeInformation.ProcessArchitecture == Architecture.X64
            ? new StatInfo(dev, ino, *(uint*)(buffer + 24), *(ulong*)(buffer + 16))
            : new StatInfo(dev, ino, *(uint*)(buffer + 16), *(uint*)(buffer + 20));
    }

    private static unsafe partial class Native
    {
        [LibraryImport("libc", EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int MkFifo(string path, uint mode);

        [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Open(string path, int flags);

        [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
        internal static partial nint Write(int fd, byte* data, nuint count);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        internal static partial int Close(int fd);

        [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
        internal static partial int FStat(int fd, byte* buffer);

        [LibraryImport("libc", EntryPoint = "lstat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int LStat(string path, byte* buffer);

        [LibraryImport("libc", EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int StatPath(string path, byte* buffer);
    }
}
