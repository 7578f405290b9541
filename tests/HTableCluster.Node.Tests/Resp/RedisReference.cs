using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace HTableCluster.Node.Tests.Resp;

/// <summary>
/// Debian's <c>redis-server</c> (7.0) on a free loopback port, without persistence, in a temp
/// directory: the reference the node's Redis protocol endpoint is compared with. Scripts run
/// through <c>redis-cli</c> against it and against a node, so a test compares both outputs line by
/// line; raw byte exchanges compare the protocol itself. Every wait is bounded.
/// </summary>
public sealed class RedisReference : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly string _dir = Directory.CreateTempSubdirectory("htc-redis-").FullName;
    private Process? _server;

    /// <summary>The password redis-server requires (null: none); set before it starts.</summary>
    public string? Password { get; init; }

    /// <summary>The port redis-server listens on (loopback).</summary>
    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        Port = FreePort();
        var args = new List<string>
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", _dir, "--daemonize", "no", "--protected-mode", "no", "--logfile", "",
        };
        if (Password is not null)
            args.AddRange(["--requirepass", Password]);
        var psi = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        _server = Process.Start(psi) ?? throw new InvalidOperationException("redis-server did not start");
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            Assert.False(_server.HasExited, "redis-server exited at start");
            try
            {
                var reply = await ExchangeAsync(Port, "PING\r\nQUIT\r\n"u8.ToArray());
                if (reply.StartsWith('+') || reply.StartsWith("-NOAUTH", StringComparison.Ordinal))
                    return;
            }
            catch (SocketException)
            {
            }
            Assert.True(DateTime.UtcNow < deadline, "redis-server did not answer within 30 s");
            await Task.Delay(50);
        }
    }

    public Task DisposeAsync()
    {
        if (_server is { HasExited: false } server)
        {
            server.Kill();
            server.WaitForExit(10_000);
        }
        _server?.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Runs <paramref name="script"/> (one command a line, as typed at the redis-cli prompt) through
    /// <c>redis-cli --no-raw</c> against <paramref name="port"/>; returns what it printed (stdout, then stderr).
    /// </summary>
    public static async Task<string> CliAsync(int port, string script, params string[] options)
    {
        var psi = new ProcessStartInfo("redis-cli")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--no-raw", .. options])
            psi.ArgumentList.Add(a);
        using var cli = Process.Start(psi) ?? throw new InvalidOperationException("redis-cli did not start");
        var stdout = cli.StandardOutput.ReadToEndAsync();
        var stderr = cli.StandardError.ReadToEndAsync();
        await cli.StandardInput.WriteAsync(script);
        cli.StandardInput.Close();
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await cli.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            cli.Kill();
            Assert.Fail($"redis-cli did not finish within 30 s: {script}");
        }
        return await stdout + await stderr;
    }

    /// <summary>The same script through redis-cli against redis-server and against the node.</summary>
    public async Task<(string Redis, string Node)> CompareAsync(int nodePort, string script, params string[] options) =>
        (await CliAsync(Port, script, options), await CliAsync(nodePort, script, options));

    /// <summary>Asserts that the script prints the same lines against redis-server and the node.</summary>
    public async Task AssertSameAsync(int nodePort, string script, params string[] options)
    {
        var (redis, node) = await CompareAsync(nodePort, script, options);
        AssertSameLines(script, redis, node);
    }

    /// <summary>
    /// Sends <paramref name="request"/> on a new connection and returns every byte received until
    /// the server closes the connection (end a script with QUIT), as Latin-1 text.
    /// </summary>
    public static async Task<string> ExchangeAsync(int port, byte[] request)
    {
        using var client = new TcpClient();
        using var cts = new CancellationTokenSource(Timeout);
        await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(request, cts.Token);
        var received = new MemoryStream();
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                var n = await stream.ReadAsync(buffer, cts.Token);
                if (n == 0)
                    break;
                received.Write(buffer, 0, n);
            }
        }
        catch (IOException)
        {
            // Reset after the last reply (the server closed with unread input): what arrived counts.
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the server neither closed the connection nor answered within 30 s; received so far: {Encoding.Latin1.GetString(received.ToArray())}");
        }
        return Encoding.Latin1.GetString(received.ToArray());
    }

    /// <summary>The same bytes on a new connection to redis-server and to the node: the replies must be equal.</summary>
    public async Task AssertSameBytesAsync(int nodePort, string request)
    {
        var bytes = Encoding.Latin1.GetBytes(request);
        var redis = await ExchangeAsync(Port, bytes);
        var node = await ExchangeAsync(nodePort, bytes);
        Assert.True(redis == node, $"request {Show(request)}\nredis-server: {Show(redis)}\nnode:         {Show(node)}");
    }

    /// <summary>Compares line by line, naming the first line that differs.</summary>
    public static void AssertSameLines(string script, string redis, string node)
    {
        var a = WithoutLatency(redis);
        var b = WithoutLatency(node);
        for (var i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            var x = i < a.Length ? a[i] : "<none>";
            var y = i < b.Length ? b[i] : "<none>";
            Assert.True(x == y, $"line {i + 1} differs\nredis-server: {x}\nnode:         {y}\n--- script ---\n{script}\n--- redis-server ---\n{redis}\n--- node ---\n{node}");
        }
    }

    // redis-cli adds a line such as "(0.97s)" after a reply that took over half a second: timing
    // on a loaded machine, not part of the reply.
    private static string[] WithoutLatency(string output) =>
        [.. output.Split('\n').Where(l => !System.Text.RegularExpressions.Regex.IsMatch(l, @"^\(\d+\.\d+s\)$"))];

    /// <summary>Control bytes shown as escapes.</summary>
    public static string Show(string text) =>
        text.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
