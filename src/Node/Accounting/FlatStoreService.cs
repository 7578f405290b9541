using System.Runtime.InteropServices;

namespace HTableCluster.Node.Accounting;

/// <summary>
/// The process's side of the flatstore: SIGHUP rotates the files (as <c>flatstore.k_rotate</c>
/// does), and at shutdown, after the cluster member has stopped, every queued record is written and
/// the files are closed. Registered before the cluster member so that it stops after it.
/// </summary>
internal sealed class FlatStoreService(FlatStoreClient client, ILogger<FlatStoreService> log) : IHostedService
{
    private PosixSignalRegistration? _hangup;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsWindows())
        {
            _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                // SIGHUP would otherwise end the process.
                context.Cancel = true;
                _ = RotateAsync();
            });
        }
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _hangup?.Dispose();
        _hangup = null;
        if (client.Files is { } files)
            await files.DisposeAsync().ConfigureAwait(false);
        FlatStoreMetrics.Unregister(client);
    }

    private async Task RotateAsync()
    {
        if (!client.Enabled)
        {
            log.LogInformation("SIGHUP: no flatstore directory is configured, nothing to rotate");
            return;
        }
        await client.RotateAsync().ConfigureAwait(false);
        log.LogInformation("SIGHUP: flatstore files closed; the next record of each table opens its file again");
    }
}
