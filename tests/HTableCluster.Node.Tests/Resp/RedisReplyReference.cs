using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace HTableCluster.Node.Tests.Resp;

/// <summary>
/// A real redis-server 7.0 (Debian's, installed by test.sh) on a free loopback port, without
/// persistence, and one RESP2 connection to it: the reference the Redis endpoint's replies are
/// compared with.
/// </summary>
public sealed class RedisReplyReference : IAsyncLifetime
{
    private Process? _process;
    private TcpClient? _client;
    private Stream? _stream;
    private BufferedStream? _reader;

    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        Port = FreePort();
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no" })
            start.ArgumentList.Add(a);
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        for (var i = 0; i < 100; i++)
        {
            try
            {
                _client = new TcpClient();
                await _client.ConnectAsync(IPAddress.Loopback, Port);
                _stream = _client.GetStream();
                _reader = new BufferedStream(_stream);
                Assert.Equal("+PONG", await SendAsync("PING"));
                return;
            }
            catch (SocketException)
            {
                _client?.Dispose();
                Assert.False(_process.HasExited, "redis-server exited at start");
                await Task.Delay(100);
            }
        }
        throw new InvalidOperationException($"redis-server did not listen on port {Port} within 10 s");
    }

    public Task DisposeAsync()
    {
        _client?.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
        _process?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Sends one command (words, see <see cref="RespText.Words"/>) and shows redis-server's reply.</summary>
    public Task<string> SendAsync(string line) => SendAsync(RespText.Words(line));

    public async Task<string> SendAsync(ReadOnlyMemory<byte>[] args)
    {
        var request = new MemoryStream();
        request.Write(Encoding.ASCII.GetBytes($"*{args.Length}\r\n"));
        foreach (var a in args)
        {
            request.Write(Encoding.ASCII.GetBytes($"${a.Length}\r\n"));
            request.Write(a.Span);
            request.Write("\r\n"u8);
        }
        await _stream!.WriteAsync(request.ToArray());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await ReadAsync(timeout.Token);
    }

    private async Task<string> ReadAsync(CancellationToken cancellationToken)
    {
        var line = await ReadLineAsync(cancellationToken);
        var rest = line[1..];
        switch (line[0])
        {
            case '+':
            case '-':
            case ':':
                return line;
            case '$':
                var n = int.Parse(rest, CultureInfo.InvariantCulture);
                if (n < 0)
                    return "$nil";
                var data = new byte[n + 2];
                await _reader!.ReadExactlyAsync(data, cancellationToken);
                return "$" + RespText.Quote(data.AsSpan(0, n));
            case '*':
                var count = int.Parse(rest, CultureInfo.InvariantCulture);
                if (count < 0)
                    return "*nil";
                var items = new List<string>(count);
                for (var i = 0; i < count; i++)
                    items.Add(await ReadAsync(cancellationToken));
                return RespText.List(items);
            default:
                throw new InvalidOperationException($"unexpected reply line '{line}'");
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            await _reader!.ReadExactlyAsync(one, cancellationToken);
            if (one[0] == '\n' && bytes.Count > 0 && bytes[^1] == '\r')
                return Encoding.UTF8.GetString(bytes.ToArray(), 0, bytes.Count - 1);
            bytes.Add(one[0]);
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
