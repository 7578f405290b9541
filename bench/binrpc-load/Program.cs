// Single BINRPC calls per second over a unix socket (or tcp:host:port), as kamcmd sends them:
// C connections, each with one call in flight (send a request, read its whole reply), for D
// seconds after a warm-up. Keys k0..k(N-1) of table T; sets writes "v<i>".
// Usage: binrpc-load ADDRESS get|sets TABLE [conns=1] [seconds=10] [keys=1000] [warmup=2]
// Prints: calls/s, faults, mean latency (µs).
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: binrpc-load ADDRESS get|sets TABLE [conns=1] [seconds=10] [keys=1000] [warmup=2]");
    return 2;
}
var address = args[0];
var op = args[1];
var table = args[2];
var conns = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1;
var seconds = args.Length > 4 ? double.Parse(args[4], CultureInfo.InvariantCulture) : 10;
var keys = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 1000;
var warmup = args.Length > 6 ? double.Parse(args[6], CultureInfo.InvariantCulture) : 2;
if (op is not ("get" or "sets"))
{
    Console.Error.WriteLine("operation must be get or sets");
    return 2;
}

// Requests built once: header (magic/version, type 0, 4-byte length, 4-byte cookie) + string records.
var requests = new byte[keys][];
for (var i = 0; i < keys; i++)
{
    var body = new List<byte>();
    Str(body, op == "get" ? "htable.get" : "htable.sets");
    Str(body, table);
    Str(body, "k" + i.ToString(CultureInfo.InvariantCulture));
    if (op == "sets")
        Str(body, "v" + i.ToString(CultureInfo.InvariantCulture));
    var packet = new List<byte> { 0xA1, 0x0F };
    packet.AddRange(BigEndian(body.Count));
    packet.AddRange(BigEndian(i + 1));
    packet.AddRange(body);
    requests[i] = [.. packet];
}

var stop = false;
var measuring = false;
long calls = 0, faults = 0, ticks = 0;
var tasks = new List<Task>();
for (var c = 0; c < conns; c++)
{
    var first = c;
    tasks.Add(Task.Run(async () =>
    {
        using var socket = await ConnectAsync(address);
        var buffer = new byte[1 << 16];
        var n = first;
        while (!Volatile.Read(ref stop))
        {
            var request = requests[n++ % keys];
            var started = Stopwatch.GetTimestamp();
            await socket.SendAsync(request, SocketFlags.None);
            var filled = 0;
            var total = -1;
            while (total < 0 || filled < total)
            {
                var r = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None);
                if (r == 0)
                    throw new IOException("the server closed the connection");
                filled += r;
                if (total < 0 && filled >= 2)
                {
                    var ll = ((buffer[1] >> 2) & 3) + 1;
                    var cl = (buffer[1] & 3) + 1;
                    if (filled >= 2 + ll + cl)
                    {
                        var length = 0;
                        for (var b = 0; b < ll; b++)
                            length = (length << 8) | buffer[2 + b];
                        total = 2 + ll + cl + length;
                    }
                }
            }
            if (Volatile.Read(ref measuring))
            {
                Interlocked.Increment(ref calls);
                Interlocked.Add(ref ticks, Stopwatch.GetTimestamp() - started);
                if (buffer[1] >> 4 == 3)
                    Interlocked.Increment(ref faults);
            }
        }
    }));
}
await Task.Delay(TimeSpan.FromSeconds(warmup));
Volatile.Write(ref measuring, true);
var clock = Stopwatch.StartNew();
await Task.Delay(TimeSpan.FromSeconds(seconds));
Volatile.Write(ref measuring, false);
var elapsed = clock.Elapsed.TotalSeconds;
var done = Interlocked.Read(ref calls);
Volatile.Write(ref stop, true);
await Task.WhenAll(tasks);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{op} conns={conns}: {done / elapsed:F0} calls/s, {faults} faults, mean {(done == 0 ? 0 : Stopwatch.GetElapsedTime(0, ticks / done).TotalMicroseconds):F0} µs"));
return faults == 0 ? 0 : 1;

static void Str(List<byte> body, string s)
{
    var bytes = Encoding.UTF8.GetBytes(s);
    var length = bytes.Length + 1;
    if (length < 8)
    {
        body.Add((byte)((length << 4) | 1));
    }
    else
    {
        body.Add((byte)(((8 | 4) << 4) | 1));
        body.AddRange(BigEndian(length));
    }
    body.AddRange(bytes);
    body.Add(0);
}

static byte[] BigEndian(int v) => [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v];

static async Task<Socket> ConnectAsync(string address)
{
    if (address.StartsWith("unix:", StringComparison.Ordinal))
    {
        var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await unix.ConnectAsync(new UnixDomainSocketEndPoint(address[5..]));
        return unix;
    }
    var rest = address.StartsWith("tcp:", StringComparison.Ordinal) ? address[4..] : address;
    var colon = rest.LastIndexOf(':');
    var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    await tcp.ConnectAsync(new IPEndPoint(IPAddress.Parse(rest[..colon]), int.Parse(rest[(colon + 1)..], CultureInfo.InvariantCulture)));
    return tcp;
}
