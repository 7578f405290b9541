using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace HTableCluster.IntegrationTests;

/// <summary>
/// The published <c>htcluster</c> binary. test.sh publishes it to artifacts/node; when it is missing
/// (a plain <c>dotnet test</c>) the first test publishes it once.
/// </summary>
public static class PublishedNode
{
    private static readonly Lazy<string> Binary = new(Locate);

    public static string Path => Binary.Value;

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "HTableCluster.sln")))
                dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("HTableCluster.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>
    /// A loopback port that is free now, below Linux's ephemeral range (32768-60999): a port the OS
    /// hands out for a bind to port 0 or an outgoing connection (in this or another test process
    /// running at the same time) is never one of these, so it stays free until the node binds it.
    /// No port is handed out twice by this process.
    /// </summary>
    public static int FreePort()
    {
        lock (GivenPorts)
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var port = Random.Shared.Next(20_000, 32_000);
                if (!GivenPorts.Add(port))
                    continue;
                try
                {
                    using var l = new TcpListener(IPAddress.Loopback, port);
                    l.Start();
                    return port;
                }
                catch (SocketException)
                {
                    // In use: try another.
                }
            }
        }
        throw new InvalidOperationException("no free loopback port found in 20000-31999");
    }

    private static readonly HashSet<int> GivenPorts = [];

    /// <summary>Runs the binary to completion (bounded) and returns exit code and output.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(TimeSpan timeout, params string[] args)
    {
        using var p = Start(args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"htcluster {string.Join(' ', args)} did not exit within {timeout}");
        }
        return (p.ExitCode, await stdout, await stderr);
    }

    public static Process Start(params string[] args) => StartVia([], args);

    /// <summary>Starts the binary through a launcher (e.g. <c>ip netns exec NS</c>); empty: directly.</summary>
    public static Process StartVia(IReadOnlyList<string> launcher, params string[] args)
    {
        var psi = new ProcessStartInfo(launcher.Count > 0 ? launcher[0] : Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (launcher.Count > 0)
        {
            foreach (var a in launcher.Skip(1))
                psi.ArgumentList.Add(a);
            psi.ArgumentList.Add(Path);
        }
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("HTABLE_", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(key);
        return Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + Path);
    }

    private static string Locate()
    {
        var root = RepoRoot;
        var dir = System.IO.Path.Combine(root, "artifacts", "node");
        var bin = System.IO.Path.Combine(dir, "htcluster");
        if (File.Exists(bin) && Environment.GetEnvironmentVariable("HTCLUSTER_REPUBLISH") != "1")
            return bin;
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "publish", System.IO.Path.Combine(root, "src", "Node"), "-c", "Release", "-o", dir })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = new StringBuilder();
        p.OutputDataReceived += (_, e) => output.AppendLine(e.Data);
        p.ErrorDataReceived += (_, e) => output.AppendLine(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)) || p.ExitCode != 0)
            throw new InvalidOperationException("dotnet publish src/Node failed:\n" + output);
        return bin;
    }
}

/// <summary>A running node process on free loopback ports; killed on dispose.</summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private NodeProcess(Process process, string host, int rpcPort, int clusterPort)
    {
        _process = process;
        Host = host;
        RpcPort = rpcPort;
        ClusterPort = clusterPort;
        _process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int RpcPort { get; }

    public int ClusterPort { get; }

    /// <summary>The address the node's RPC listens on.</summary>
    public string Host { get; }

    public string Url => $"http://{Host}:{RpcPort}/RPC";

    public bool HasExited => _process.HasExited;

    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    public static Task<NodeProcess> StartAsync(params string[] extra) =>
        StartOnAsync(PublishedNode.FreePort(), PublishedNode.FreePort(), extra);

    /// <summary>Starts a node on the given ports (e.g. to restart one where it was).</summary>
    public static async Task<NodeProcess> StartOnAsync(int rpc, int cluster, params string[] extra)
    {
        var args = new List<string> { "serve", "--rpc-port", rpc.ToString(System.Globalization.CultureInfo.InvariantCulture), "--cluster-port", cluster.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        args.AddRange(extra);
        var node = new NodeProcess(PublishedNode.Start([.. args]), "127.0.0.1", rpc, cluster);
        await node.WaitReadyAsync();
        return node;
    }

    /// <summary>
    /// Starts a node through <paramref name="launcher"/> (e.g. <c>ip netns exec NS env VAR=VALUE</c>)
    /// that serves RPC on <paramref name="host"/>, without waiting for it to be ready.
    /// </summary>
    public static NodeProcess Launch(IReadOnlyList<string> launcher, string host, int rpcPort, int clusterPort, params string[] args) =>
        new(PublishedNode.StartVia(launcher, args), host, rpcPort, clusterPort);

    public async Task WaitReadyAsync(TimeSpan? timeout = null)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"node exited with {_process.ExitCode}:\n{Log}");
            try
            {
                using var r = await http.GetAsync(new Uri($"http://{Host}:{RpcPort}/health/ready"));
                if (r.IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(200);
        }
        throw new TimeoutException("node not ready in time:\n" + Log);
    }

    /// <summary>Kills the process at once (SIGKILL), as a crash would.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>Sends <paramref name="signal"/> (e.g. 1, SIGHUP) to the process.</summary>
    public void Signal(int signal)
    {
        if (SendSignal(_process.Id, signal) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Stops the process as a supervisor does (SIGTERM); returns its exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        if (!_process.HasExited)
        {
            if (SendSignal(_process.Id, 15) != 0)
                throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
            await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        }
        return _process.ExitCode;
    }

    /// <summary>Calls a method over HTTP; returns the whole JSON-RPC reply.</summary>
    public async Task<System.Text.Json.JsonElement> CallAsync(string method, params object?[] parameters)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var body = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object?> { ["jsonrpc"] = "2.0", ["method"] = method, ["params"] = parameters, ["id"] = 1 });
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri(Url), content);
        return System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
        }
        _process.Dispose();
    }
}
