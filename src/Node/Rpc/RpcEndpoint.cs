using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;

namespace HTableCluster.Node.Rpc;

/// <summary>
/// The HTTP side of JSON-RPC: reads a POST body (at most <c>Rpc:MaxBodyBytes</c>, else 413 with a
/// JSON-RPC error), hands it to the <see cref="RpcDispatcher"/> and writes the reply. Bodies that
/// arrive in several segments are copied into a pooled buffer, and reply buffers are reused, so a
/// bulk load over RPC leaves no large garbage behind.
/// </summary>
public sealed partial class RpcEndpoint(RpcDispatcher dispatcher, int maxBodyBytes, ILogger<RpcEndpoint> logger)
{
    private const int InlineBodyBytes = 2048;

    /// <summary>Answers one request.</summary>
    public async Task HandleAsync(HttpContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var reader = ctx.Request.BodyReader;
        ReadResult read;
        while (true)
        {
            read = await reader.ReadAsync(ctx.RequestAborted).ConfigureAwait(false);
            if (read.Buffer.Length > maxBodyBytes || ctx.Request.ContentLength > maxBodyBytes)
            {
                reader.AdvanceTo(read.Buffer.Start);
                await TooLargeAsync(ctx).ConfigureAwait(false);
                return;
            }
            if (read.IsCompleted)
                break;
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
        var buffer = read.Buffer;
        byte[]? rented = null;
        var output = ReplyBuffer.Rent();
        try
        {
            // A large body (a batch) is parsed and run on the thread pool, not on a socket thread.
            if (buffer.Length > InlineBodyBytes)
                await Task.Yield();
            ReadOnlyMemory<byte> body;
            if (buffer.IsSingleSegment)
            {
                body = buffer.First;
            }
            else
            {
                var length = checked((int)buffer.Length);
                rented = ArrayPool<byte>.Shared.Rent(length);
                buffer.CopyTo(rented);
                body = rented.AsMemory(0, length);
            }
            int status;
            try
            {
                status = await dispatcher.ProcessAsync(body, output.Writer).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A fault outside any one call (the dispatcher answers those itself): the request
                // still gets a JSON-RPC reply and the connection stays usable.
                LogRequestFailed(logger, ex);
                await FailedAsync(ctx).ConfigureAwait(false);
                return;
            }
            await output.Writer.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
            ctx.Response.StatusCode = status;
            if (status == StatusCodes.Status204NoContent)
                return;
            ctx.Response.ContentType = "application/json";
            ctx.Response.ContentLength = output.Buffer.WrittenCount;
            await ctx.Response.Body.WriteAsync(output.Buffer.WrittenMemory, ctx.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            // The body is released whatever happened, so Kestrel can drain the connection.
            reader.AdvanceTo(buffer.End);
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
            ReplyBuffer.Return(output);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "JSON-RPC request failed")]
    private static partial void LogRequestFailed(ILogger logger, Exception exception);

    private static Task FailedAsync(HttpContext ctx)
    {
        ctx.Response.StatusCode = StatusCodes.Status500InternalServerError;
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32603,\"message\":\"Internal error: the request could not be processed\"},\"id\":null}", ctx.RequestAborted);
    }

    private Task TooLargeAsync(HttpContext ctx)
    {
        ctx.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
        ctx.Response.ContentType = "application/json";
        var message = "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":\"Invalid Request: body larger than "
            + maxBodyBytes.ToString(CultureInfo.InvariantCulture) + " bytes (Rpc:MaxBodyBytes)\"},\"id\":null}";
        return ctx.Response.WriteAsync(message, ctx.RequestAborted);
    }

    // Reply buffers are reused across requests; oversized ones are dropped.
    private sealed class ReplyBuffer
    {
        private const int MaxPooled = 64;
        private const int MaxPooledBytes = 64 * 1024;
        private static readonly ConcurrentQueue<ReplyBuffer> Pool = new();

        private ReplyBuffer()
        {
            Buffer = new ArrayBufferWriter<byte>(512);
            Writer = new Utf8JsonWriter(Buffer);
        }

        public ArrayBufferWriter<byte> Buffer { get; }

        public Utf8JsonWriter Writer { get; }

        public static ReplyBuffer Rent() => Pool.TryDequeue(out var b) ? b : new ReplyBuffer();

        public static void Return(ReplyBuffer b)
        {
            if (b.Buffer.Capacity > MaxPooledBytes || Pool.Count >= MaxPooled)
                return;
            b.Buffer.ResetWrittenCount();
            b.Writer.Reset(b.Buffer);
            Pool.Enqueue(b);
        }
    }
}
