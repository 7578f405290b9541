using System.Diagnostics;

namespace HTableCluster.FlatStore.Tests;

/// <summary>A really full disk: a 64 KiB tmpfs mounted for the test (the suite runs as root, as CI does).</summary>
public sealed class DiskFullTests
{
    private static async Task RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var error = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {error} (the disk-full test mounts a tmpfs and needs root)");
    }

    [Fact]
    public async Task A_full_disk_fails_the_write_and_the_file_keeps_only_whole_acknowledged_records()
    {
        var dir = Path.Combine(Path.GetTempPath(), "htc-flat-full-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        await RunAsync("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir);
        try
        {
            var acknowledged = 0;
            IOException? full = null;
            await using (var store = new FlatStoreFiles(new FlatStoreOptions { Directory = dir, NodeId = "n1" }))
            {
                for (var i = 0; i < 1000 && full is null; i++)
                {
                    try
                    {
                        await store.InsertAsync("acc", [i.ToString(System.Globalization.CultureInfo.InvariantCulture), new string('x', 1000)]);
                        acknowledged++;
                    }
                    catch (IOException ex)
                    {
                        full = ex;
                    }
                }
                Assert.NotNull(full);
                Assert.Equal(1, store.Failed);
            }
            var lines = await File.ReadAllLinesAsync(Path.Combine(dir, "acc_n1.log"));
            Assert.Equal(acknowledged, lines.Length);
            Assert.All(lines, l => Assert.Matches(@"^\d+\|x{1000}$", l));
        }
        finally
        {
            await RunAsync("umount", dir);
            Directory.Delete(dir, recursive: true);
        }
    }
}
