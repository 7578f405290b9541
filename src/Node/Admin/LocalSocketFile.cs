namespace HTableCluster.Node.Admin;

/// <summary>
/// The file of a local admin socket or FIFO (BINRPC, the JSON-RPC datagram socket): replaced when
/// one is left at the path, given its configured mode and owner before anyone can use it, and
/// removed at stop.
/// </summary>
internal static class LocalSocketFile
{
    /// <summary>Removes <paramref name="path"/> if it can; what cannot be removed is replaced at the next start.</summary>
    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left behind; the next start replaces it.
        }
    }

    /// <summary>
    /// Takes every permission away, sets the owner (empty user or group: unchanged), then sets
    /// <paramref name="mode"/> (already validated, octal): nobody can connect while the owner changes.
    /// </summary>
    public static void Secure(string path, string mode, string user, string group)
    {
        if (OperatingSystem.IsWindows())
            return;
        File.SetUnixFileMode(path, UnixFileMode.None);
        if (user.Length > 0 || group.Length > 0)
            UnixOwner.Chown(path, user.Length > 0 ? UnixOwner.UserId(user)!.Value : -1, group.Length > 0 ? UnixOwner.GroupId(group)!.Value : -1);
        File.SetUnixFileMode(path, UnixOwner.ParseMode(mode)!.Value);
    }
}
