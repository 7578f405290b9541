using System.Globalization;
using System.Runtime.InteropServices;

namespace HTableCluster.Node.Admin;

/// <summary>
/// File mode and owner of a unix socket, as ctl's <c>mode</c>, <c>user</c> and <c>group</c> set them:
/// names resolve through <c>/etc/passwd</c> and <c>/etc/group</c>, numbers are taken as ids.
/// </summary>
public static partial class UnixOwner
{
    /// <summary>An octal mode (<c>0600</c>, <c>660</c>); null when it is not one.</summary>
    public static UnixFileMode? ParseMode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length is 0 or > 5)
            return null;
        var mode = 0;
        foreach (var c in text)
        {
            if (c is < '0' or > '7')
                return null;
            mode = (mode * 8) + (c - '0');
        }
        return mode <= 0xFFF ? (UnixFileMode)mode : null;
    }

    /// <summary>The uid of a user name or number; null when unknown.</summary>
    public static int? UserId(string user) => Lookup("/etc/passwd", user);

    /// <summary>The gid of a group name or number; null when unknown.</summary>
    public static int? GroupId(string group) => Lookup("/etc/group", group);

    /// <summary>Changes the owner of <paramref name="path"/> (-1 keeps a part); throws <see cref="IOException"/> on failure.</summary>
    public static void Chown(string path, int uid, int gid)
    {
        if (Native.Chown(path, uid, gid) != 0)
            throw new IOException($"cannot change the owner of {path} to {uid}:{gid}: {Marshal.GetLastPInvokeErrorMessage()}");
    }

    private static int? Lookup(string file, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            return id;
        try
        {
            foreach (var line in File.ReadLines(file))
            {
                // name:password:id:...
                var fields = line.Split(':');
                if (fields.Length > 2 && fields[0] == name && int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out id))
                    return id;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return null;
    }

    private static partial class Native
    {
        [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Chown(string path, int owner, int group);
    }
}
