using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace HTableCluster.IntegrationTests;

/// <summary>
/// A reference server or real client from Debian (redis-server, kamailio, python3 with redis-py)
/// run as a child process with its output kept; killed with its children on dispose.
/// </summary>
public sealed class ReferenceProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ReferenceProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>What the process wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    /// <summary>Starts <paramref name="file"/> with <paramref name="args"/> in <paramref name="workDir"/>.</summary>
    public static ReferenceProcess Start(string workDir, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workDir };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        return new ReferenceProcess(Process.Start(psi) ?? throw new InvalidOperationException("could not start " + file));
    }

    /// <summary>Debian's redis-server on a free loopback port, without persistence; returns once it accepts connections.</summary>
    public static async Task<(ReferenceProcess Server, int Port)> StartRedisAsync(string workDir, CancellationToken ct)
    {
        var port = PublishedNode.FreePort();
        var server = Start(workDir, "redis-server", "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workDir);
        await WaitForPortAsync(port, ct);
        return (server, port);
    }

    /// <summary>Runs to completion within <paramref name="timeout"/>; returns the exit code and output.</summary>
    public static async Task<(int Code, string Output)> RunAsync(TimeSpan timeout, string workDir, string file, params string[] args)
    {
        using var p = Start(workDir, file, args);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await p._process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not exit within {timeout}:\n{p.Output}");
        }
        p._process.WaitForExit(); // the output handlers have run
        return (p._process.ExitCode, p.Output);
    }

    /// <summary>Returns once something accepts TCP connections on 127.0.0.1:<paramref name="port"/> (at most 20 s).</summary>
    public static async Task WaitForPortAsync(int port, CancellationToken ct)
    {
        for (var i = 0; i < 200; i++)
        {
            try
            {
                using var c = new System.Net.Sockets.TcpClient();
                await c.ConnectAsync("127.0.0.1", port, ct);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(100, ct);
            }
        }
        throw new TimeoutException($"nothing listens on 127.0.0.1:{port}");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(20_000);
        }
        _process.Dispose();
    }
}
