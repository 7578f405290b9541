using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using HTableCluster.Node.Rpc;

namespace HTableCluster.Node.Admin;

/// <summary>
/// One JSON-RPC call over jsonrpcs' datagram or TCP socket: the request runs through the
/// <see cref="RpcDispatcher"/> and the reply is printed as srjson prints it (the formatted layout of
/// <see cref="SrJsonText"/>, no newline after it). As in jsonrpcs, a request that is not JSON gets
/// no reply; a notification neither.
/// </summary>
public static class JsonRpcSocketCall
{
    /// <summary>Largest request, and largest reply in one datagram (jsonrpcs' JSONRPC_DGRAM_BUF_SIZE).</summary>
    public const int MaxDatagramBytes = 65456;

    /// <summary>
    /// Runs <paramref name="request"/>. Returns the reply (null: nothing to send) and, when something
    /// was refused, why. A reply longer than <paramref name="maxReplyBytes"/> (0: no limit) is
    /// replaced by a JSON-RPC error naming its size and the transports that carry it.
    /// </summary>
    public static async Task<(byte[]? Reply, string? Problem)> AnswerAsync(RpcDispatcher dispatcher, ReadOnlyMemory<byte> request, int maxReplyBytes)
    {
        ArgumentNullException.ThrowIfNull(dispatcher);
        try
        {
            using var parsed = JsonDocument.Parse(request);
        }
        catch (JsonException ex)
        {
            return (null, "not a JSON document (" + ex.Message + ")");
        }
        var output = new ArrayBufferWriter<byte>(512);
        int status;
        using (var writer = new Utf8JsonWriter(output))
            status = await dispatcher.ProcessAsync(request, writer).ConfigureAwait(false);
        if (status == 204)
            return (null, null);
        using var reply = JsonDocument.Parse(output.WrittenMemory);
        var bytes = Encoding.UTF8.GetBytes(SrJsonText.Print(reply.RootElement));
        if (maxReplyBytes <= 0 || bytes.Length <= maxReplyBytes)
            return (bytes, null);
        var id = reply.RootElement.ValueKind == JsonValueKind.Object && reply.RootElement.TryGetProperty("id", out var i) ? i.GetRawText() : "null";
        var message = string.Create(CultureInfo.InvariantCulture,
            $"Reply too large for one datagram ({bytes.Length} bytes, at most {maxReplyBytes}): use JSON-RPC over HTTP, TCP or the FIFO, or htable.iterate");
        using var error = JsonDocument.Parse($$"""{"jsonrpc": "2.0", "error": {"code": 500, "message": {{JsonSerializer.Serialize(message)}}}, "id": {{id}}}""");
        return (Encoding.UTF8.GetBytes(SrJsonText.Print(error.RootElement)), $"reply of {bytes.Length} bytes is larger than one datagram ({maxReplyBytes}); answered with an error");
    }
}
