using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using HTableCluster.Node.Configuration;
using HTableCluster.Node.Rpc;

namespace HTableCluster.Node.Admin;

/// <summary>
/// JSON-RPC over a FIFO as Kamailio's jsonrpcs serves it to <c>kamctl rpc</c>: requests are JSON
/// objects written to the FIFO (<c>Admin:JsonRpcFifo</c>), each naming a <c>reply_name</c>, a FIFO
/// the client created in <c>Admin:JsonRpcFifoReplyDir</c>, where the reply is written in srjson's
/// formatted layout. A reply name with <c>.</c>, <c>/</c> or <c>\</c> (a path out of the directory),
/// a reply path that is not a FIFO, is a symbolic link or hard-linked, or no reader: the request
/// runs, its reply is dropped and logged. One thread reads the FIFO (it blocks in read); calls run
/// asynchronously one after another, as jsonrpcs' single FIFO process runs them.
/// </summary>
public sealed partial class JsonRpcFifoServer(NodeSettings settings, RpcDispatcher dispatcher, ILogger<JsonRpcFifoServer> logger) : IHostedService, IDisposable
{
    /// <summary>Largest request document (jsonrpcs' JSONRPC_BUF_IN_SIZE).</summary>
    public const int MaxRequestBytes = 8192;

    private readonly Channel<byte[]> _requests = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _stopping = new();
    private FileStream? _fifo;
    private Thread? _reader;
    private Task _processing = Task.CompletedTask;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var path = settings.Admin.JsonRpcFifo;
        if (path.Length == 0)
            return Task.CompletedTask;
        if (!Directory.Exists(settings.Admin.JsonRpcFifoReplyDir))
            throw new OptionsException("Admin:JsonRpcFifoReplyDir", settings.Admin.JsonRpcFifoReplyDir, "no such directory");
        try
        {
            // An old FIFO is replaced, as jsonrpcs does.
            if (File.Exists(path) || UnixFifo.IsFifo(path))
                File.Delete(path);
            var mode = UnixOwner.ParseMode(settings.Admin.JsonRpcFifoMode)!.Value;
            UnixFifo.Create(path, mode);
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(path, mode); // mkfifo applies the umask

            // Read and write: the FIFO never reports end of file when a client closes, and stopping
            // can wake the blocked reader by writing to it.
            _fifo = new FileStream(File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite), FileAccess.ReadWrite, 1);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new OptionsException("Admin:JsonRpcFifo", path, ex.Message);
        }
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "jsonrpc-fifo" };
        _reader.Start();
        _processing = ProcessAsync();
        LogListening(logger, path);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_fifo is null)
            return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            _fifo.Write("\n"u8);
        }
        catch (IOException)
        {
        }
        _requests.Writer.TryComplete();
        await _processing.WaitAsync(cancellationToken).ConfigureAwait(false);
        _reader?.Join(TimeSpan.FromSeconds(5));
        await _fifo.DisposeAsync().ConfigureAwait(false);
        try
        {
            File.Delete(settings.Admin.JsonRpcFifo);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <inheritdoc />
    public void Dispose() => _stopping.Dispose();

    private void ReadLoop()
    {
        var splitter = new JsonDocumentSplitter(MaxRequestBytes);
        var buffer = new byte[4096];
        while (!_stopping.IsCancellationRequested)
        {
            int n;
            try
            {
                n = _fifo!.Read(buffer);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                return;
            }
            if (_stopping.IsCancellationRequested)
                return;
            splitter.Feed(buffer.AsSpan(0, n),
                document =>
                {
                    // Back-pressure: a writer faster than the calls waits in its write to the FIFO.
                    while (!_requests.Writer.TryWrite(document) && !_stopping.IsCancellationRequested)
                        Thread.Sleep(1);
                },
                () => LogTooLarge(logger, MaxRequestBytes));
        }
    }

    private async Task ProcessAsync()
    {
        await foreach (var document in _requests.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await AnswerAsync(document).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task AnswerAsync(byte[] document)
    {
        string? replyName = null;
        try
        {
            using var request = JsonDocument.Parse(document);
            if (request.RootElement.ValueKind == JsonValueKind.Object && request.RootElement.TryGetProperty("reply_name", out var name)
                && name.ValueKind == JsonValueKind.String)
                replyName = name.GetString();
        }
        catch (JsonException)
        {
            // Answered below as a parse error, when there is somewhere to answer.
        }
        if (replyName is null)
        {
            LogNoReplyName(logger);
            return;
        }
        var output = new ArrayBufferWriter<byte>(512);
        int status;
        using (var writer = new Utf8JsonWriter(output))
            status = await dispatcher.ProcessAsync(document, writer).ConfigureAwait(false);
        if (status == 204)
            return; // a notification: nothing to answer
        // As in jsonrpcs, the call has run; only where its reply goes is checked.
        if (replyName.Length == 0 || replyName.AsSpan().IndexOfAny('.', '/', '\\') >= 0)
        {
            LogForbidden(logger, replyName);
            return;
        }
        string text;
        using (var reply = JsonDocument.Parse(output.WrittenMemory))
            text = SrJsonText.Print(reply.RootElement) + "\n";
        var path = Path.Combine(settings.Admin.JsonRpcFifoReplyDir, replyName);
        var (fd, error) = await UnixFifo.OpenReplyAsync(path, 4, _stopping.Token).ConfigureAwait(false);
        if (fd < 0)
        {
            LogReplyFailed(logger, path, error);
            return;
        }
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(settings.Admin.JsonRpcFifoWriteTimeoutSeconds);
            if (!await UnixFifo.WriteAllAsync(fd, Encoding.UTF8.GetBytes(text), deadline, _stopping.Token).ConfigureAwait(false))
                LogReplyFailed(logger, path, "the client did not read the reply");
        }
        finally
        {
            UnixFifo.Close(fd);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "JSON-RPC FIFO listening on {Path}")]
    private static partial void LogListening(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "JSON-RPC FIFO: a request longer than {Limit} bytes was skipped")]
    private static partial void LogTooLarge(ILogger logger, int limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "JSON-RPC FIFO: a request without a reply_name (or not JSON) was dropped")]
    private static partial void LogNoReplyName(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "JSON-RPC FIFO: forbidden reply FIFO name '{Name}' (no '.', '/' or '\\' allowed); request dropped")]
    private static partial void LogForbidden(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "JSON-RPC FIFO: cannot answer on {Path}: {Error}")]
    private static partial void LogReplyFailed(ILogger logger, string path, string error);
}
