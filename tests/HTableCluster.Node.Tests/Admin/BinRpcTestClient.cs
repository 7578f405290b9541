using System.Net;
using System.Net.Sockets;
using HTableCluster.Node.Admin;

namespace HTableCluster.Node.Tests.Admin;

/// <summary>A raw BINRPC connection for tests: sends bytes or calls, reads one reply packet.</summary>
public sealed class BinRpcTestClient : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[1 << 20];
    private int _filled;

    private BinRpcTestClient(Socket socket) => _socket = socket;

    public Socket Socket => _socket;

    public static async Task<BinRpcTestClient> ConnectUnixAsync(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        return new BinRpcTestClient(socket);
    }

    public static async Task<BinRpcTestClient> ConnectTcpAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endpoint);
        return new BinRpcTestClient(socket);
    }

    /// <summary>A request packet: the method name, then the parameters.</summary>
    public static byte[] Request(uint cookie, string method, params BinRpcValue[] parameters)
    {
        var encoder = new BinRpcEncoder();
        encoder.Str(method);
        foreach (var p in parameters)
            encoder.Value(p);
        return encoder.Finish(BinRpcPacketType.Request, cookie).ToArray();
    }

    public async Task SendAsync(byte[] bytes)
    {
        using var cts = new CancellationTokenSource(Timeout);
        await _socket.SendAsync(bytes, SocketFlags.None, cts.Token);
    }

    /// <summary>Calls a method and reads its reply.</summary>
    public async Task<(BinRpcHeader Header, List<BinRpcValue> Records)> CallAsync(string method, params BinRpcValue[] parameters)
    {
        var cookie = (uint)Random.Shared.Next(1, int.MaxValue);
        await SendAsync(Request(cookie, method, parameters));
        var reply = await ReadAsync() ?? throw new InvalidOperationException("the connection closed without a reply");
        Assert.Equal(cookie, reply.Header.Cookie);
        return reply;
    }

    /// <summary>Reads one packet; null when the peer closed the connection first.</summary>
    public async Task<(BinRpcHeader Header, List<BinRpcValue> Records)?> ReadAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            var status = BinRpcDecoder.TryReadHeader(_buffer.AsSpan(0, _filled), out var header, out var error);
            Assert.NotEqual(BinRpcHeaderStatus.Invalid, status);
            if (status == BinRpcHeaderStatus.Done && _filled >= header.HeaderLength + header.BodyLength)
            {
                var records = new List<BinRpcValue>();
                Assert.True(BinRpcDecoder.TryReadRecords(_buffer.AsSpan(header.HeaderLength, header.BodyLength), 64, records, out error), error);
                var used = header.HeaderLength + header.BodyLength;
                _buffer.AsSpan(used, _filled - used).CopyTo(_buffer);
                _filled -= used;
                return (header, records);
            }
            int n;
            try
            {
                n = await _socket.ReceiveAsync(_buffer.AsMemory(_filled), SocketFlags.None, cts.Token);
            }
            catch (SocketException)
            {
                return null;
            }
            if (n == 0)
                return null;
            _filled += n;
        }
    }

    /// <summary>True once the peer has closed (reads return 0 or fail) within the bounded wait; data before that is skipped.</summary>
    public async Task<bool> ClosedByPeerAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var scratch = new byte[4096];
        try
        {
            while (true)
            {
                if (await _socket.ReceiveAsync(scratch, SocketFlags.None, cts.Token) == 0)
                    return true;
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose() => _socket.Dispose();
}
