using System.Diagnostics;

namespace HTableCluster.IntegrationTests;

/// <summary>Runs netns.sh (bridge, namespaces htct-nI, cuts, loss, rate limits; root only), bounded.</summary>
public static class Netns
{
    public static async Task RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "netns.sh"));
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        Assert.True(p.ExitCode == 0, $"netns.sh {string.Join(' ', args)}: {await err}");
    }
}
