using System.Buffers;
using System.Collections.Frozen;
using System.Diagnostics;
using System.Text;
using System.Text.Unicode;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;

namespace HTableCluster.Node.Rpc;

/// <summary>
/// JSON-RPC 2.0 processing independent of HTTP: parses a body, runs single calls and batches, and
/// writes the reply. Where Kamailio mishandles the protocol (drops the connection on malformed JSON,
/// answers {} to batches and to requests without method) this follows JSON-RPC 2.0. Every call is
/// counted by method and outcome (ok, miss: a missing key, error) and timed per method.
/// </summary>
public sealed partial class RpcDispatcher
{
    /// <summary>JSON-RPC parse error.</summary>
    public const int ParseError = -32700;

    /// <summary>JSON-RPC invalid request.</summary>
    public const int InvalidRequest = -32600;

    private static readonly Counter Calls = Metrics.CreateCounter("htcluster_rpc_calls_total",
        "JSON-RPC calls by method and outcome (ok; miss: the key is missing; error; parse_error).",
        new CounterConfiguration { LabelNames = ["method", "outcome"], SuppressInitialValue = true });

    // From 50 µs (a get) to a minute (htable.dmqsync waits up to 60 s for a snapshot).
    private static readonly Histogram Durations = Metrics.CreateHistogram("htcluster_rpc_duration_seconds",
        "Time to answer a JSON-RPC call, by method (a call in a batch: its own part).",
        new HistogramConfiguration
        {
            LabelNames = ["method"],
            Buckets = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30, 60],
            SuppressInitialValue = true,
            ExemplarBehavior = ExemplarBehavior.NoExemplars(),
        });
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    private readonly FrozenDictionary<string, RpcMethod> _methods;
    private readonly FrozenDictionary<string, (Counter.Child Ok, Counter.Child Miss, Counter.Child Error, Histogram.Child Duration)> _counters;
    private readonly int _maxBatch;
    private readonly WriteSink _single;
    private readonly ILogger _logger;

    /// <summary>
    /// Creates the dispatcher over a set of methods. With <paramref name="inlineWrites"/> a single
    /// call's write is answered on its partition writer's thread (<see cref="WriteSink.ImmediateInline"/>).
    /// </summary>
    public RpcDispatcher(IEnumerable<RpcMethod> methods, int maxBatch, ILogger<RpcDispatcher>? logger = null, bool inlineWrites = false)
    {
        _single = inlineWrites ? WriteSink.ImmediateInline : WriteSink.Immediate;
        _logger = logger ?? NullLogger<RpcDispatcher>.Instance;
        var all = methods.ToList();
        all.Add(new RpcMethod("system.listMethods", "Lists the RPC methods supported.", false, (_, _) => RpcReply.Ok(MethodNames()).AsTask()));
        all.Add(new RpcMethod("system.methodHelp", "Print the help string for given method.", false, Help));
        _methods = all.ToFrozenDictionary(m => m.Name, StringComparer.Ordinal);
        _counters = all.ToFrozenDictionary(m => m.Name,
            m => (Calls.WithLabels(m.Name, "ok"), Calls.WithLabels(m.Name, "miss"), Calls.WithLabels(m.Name, "error"), Durations.WithLabels(m.Name)),
            StringComparer.Ordinal);
        _maxBatch = maxBatch;
    }

    /// <summary>Names of every method, sorted.</summary>
    public IReadOnlyList<string> MethodNames() => [.. _methods.Keys.Order(StringComparer.Ordinal)];

    /// <summary>
    /// Processes one HTTP body. Returns the HTTP status (Kamailio's rule for a single call: the
    /// error code when it is above 100, else 500; batches answer 200) or 204 when there is nothing to
    /// send (notifications only).
    /// </summary>
    public async Task<int> ProcessAsync(ReadOnlyMemory<byte> body, Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        // JSON text must be UTF-8 (RFC 8259); System.Text.Json only notices bad bytes when a
        // string is read, so the whole body is checked first (vectorised, a fraction of parsing).
        if (!Utf8.IsValid(body.Span))
        {
            WriteError(writer, default, new RpcError(ParseError, $"Parse error: invalid UTF-8 at byte {InvalidUtf8Offset(body.Span)}"));
            Calls.WithLabels("", "parse_error").Inc();
            return 500;
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException ex)
        {
            WriteError(writer, default, new RpcError(ParseError, $"Parse error: {ex.Message}"));
            Calls.WithLabels("", "parse_error").Inc();
            return 500;
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
                return await BatchAsync(root, writer).ConfigureAwait(false);

            var (id, hasId, reply) = await CallAsync(root, _single).ConfigureAwait(false);
            if (!hasId && reply.Error is not { Code: InvalidRequest or ParseError })
                return 204;
            WriteReply(writer, id, reply);
            return reply.Error is { } e ? (e.Code > 100 ? e.Code : 500) : 200;
        }
    }

    private static int InvalidUtf8Offset(ReadOnlySpan<byte> text)
    {
        var offset = 0;
        while (offset < text.Length)
        {
            if (Rune.DecodeFromUtf8(text[offset..], out _, out var consumed) != OperationStatus.Done)
                return offset;
            offset += consumed;
        }
        return offset;
    }

    private async Task<int> BatchAsync(JsonElement root, Utf8JsonWriter writer)
    {
        var count = root.GetArrayLength();
        if (count == 0)
        {
            WriteError(writer, default, new RpcError(InvalidRequest, "Invalid Request: empty batch"));
            return 500;
        }
        if (count > _maxBatch)
        {
            WriteError(writer, default, new RpcError(InvalidRequest, $"Invalid Request: batch of {count} calls, the limit is {_maxBatch} (Rpc:MaxBatch)"));
            return 500;
        }
        var sink = WriteSink.ForBatch();
        var calls = new Task<(JsonElement Id, bool HasId, RpcReply Reply)>[count];
        var i = 0;
        foreach (var call in root.EnumerateArray())
        {
            // Consecutive writes are grouped; a read first waits for the writes queued before it,
            // so a batch behaves as if its calls ran in order.
            var groupable = IsGroupableWrite(call);
            if (groupable)
            {
                calls[i++] = CallAsync(call, sink).AsTask();
                continue;
            }
            // Any other call (a read, or a write that is not grouped such as reset or rm by
            // pattern) runs alone: after the writes queued before it, and before the calls after it.
            await sink.FlushAsync().ConfigureAwait(false);
            var done = CallAsync(call, sink).AsTask();
            await done.ConfigureAwait(false);
            calls[i++] = done;
        }
        await sink.FlushAsync().ConfigureAwait(false);

        var any = false;
        foreach (var t in calls)
        {
            var (id, hasId, reply) = await t.ConfigureAwait(false);
            if (!hasId && reply.Error is not { Code: InvalidRequest or ParseError })
                continue;
            if (!any)
            {
                writer.WriteStartArray();
                any = true;
            }
            WriteReply(writer, id, reply);
        }
        if (!any)
            return 204;
        writer.WriteEndArray();
        return 200;
    }

    private bool IsGroupableWrite(JsonElement call)
    {
        try
        {
            return call.ValueKind == JsonValueKind.Object && call.TryGetProperty("method", out var m)
                && RpcJson.TryGetString(m, out var name) && _methods.TryGetValue(name, out var method) && method.GroupableWrite;
        }
        catch (InvalidOperationException ex) when (RpcJson.IsInvalidText(ex))
        {
            return false; // answered as an invalid request when it runs
        }
    }

    private async ValueTask<(JsonElement Id, bool HasId, RpcReply Reply)> CallAsync(JsonElement call, WriteSink sink)
    {
        if (Read(call, out var id, out var hasId, out var name, out var parameters) is { } invalid)
            return (id, hasId, invalid);
        if (!_methods.TryGetValue(name, out var method))
        {
            Calls.WithLabels("unknown", "error").Inc();
            return (id, hasId, RpcReply.Fail(500, "Method Not Found"));
        }
        return (id, hasId, await InvokeAsync(method, parameters, sink).ConfigureAwait(false));
    }

    /// <summary>True when <paramref name="name"/> is a method served here.</summary>
    public bool HasMethod(string name) => _methods.ContainsKey(name);

    /// <summary>
    /// Runs one call for a front other than HTTP JSON-RPC (BINRPC, FIFO): the same handler, the
    /// same answer and errors, counted and timed like any call. An unknown method is the caller's
    /// to answer (<see cref="HasMethod"/>): each front has its own text for it.
    /// </summary>
    public ValueTask<RpcReply> CallAsync(string name, RpcParams parameters)
    {
        if (!_methods.TryGetValue(name, out var method))
            throw new ArgumentException($"no method {name}", nameof(name));
        return InvokeAsync(method, parameters, _single);
    }

    private async ValueTask<RpcReply> InvokeAsync(RpcMethod method, RpcParams parameters, WriteSink sink)
    {
        var name = method.Name;
        RpcReply reply;
        var started = Stopwatch.GetTimestamp();
        try
        {
            if (method.Scans)
                await Task.Yield();
            reply = await method.Handler(parameters, sink).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            reply = RpcReply.Fail(500, "Internal error: the table writer did not answer in time");
        }
        catch (InvalidOperationException ex) when (RpcJson.IsInvalidText(ex))
        {
            // A string parameter with an escape that is not valid Unicode ("\ud800"): the bytes
            // are valid UTF-8, so only reading the string finds it.
            reply = RpcReply.Fail(RpcParams.Errors.InvalidParams, "Invalid params: a string is not valid Unicode (" + ex.Message + ")");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A fault in one call (its partition writer restarts) answers that call only; the node goes on.
            LogCallFailed(_logger, ex, name);
            reply = RpcReply.Fail(-32603, "Internal error: " + ex.Message);
        }
        var (ok, miss, failed, duration) = _counters[name];
        duration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        (reply.Error is null ? ok : reply.IsMiss ? miss : failed).Inc();
        return reply;
    }

    // The request object's members. Comparing member names or "jsonrpc" un-escapes them, and
    // System.Text.Json refuses an escape that is not valid Unicode ("\ud800") with an exception:
    // that is an invalid request like any other. An invalid request is answered whether or not it
    // has an id, so hasId only matters when the call is valid.
    private static RpcReply? Read(JsonElement call, out JsonElement id, out bool hasId, out string name, out RpcParams parameters)
    {
        id = default;
        hasId = false;
        name = "";
        parameters = default;
        try
        {
            if (call.ValueKind != JsonValueKind.Object)
                return RpcReply.Fail(InvalidRequest, "Invalid Request: a call must be a JSON object");
            hasId = call.TryGetProperty("id", out id);
            if (hasId && id.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
            {
                id = default;
                return RpcReply.Fail(InvalidRequest, "Invalid Request: id must be a string, number or null");
            }
            if (hasId && id.ValueKind == JsonValueKind.String && !RpcJson.TryGetString(id, out _))
            {
                id = default;
                return RpcReply.Fail(InvalidRequest, "Invalid Request: id is not valid Unicode (a lone surrogate escape)");
            }
            if (!call.TryGetProperty("jsonrpc", out var version) || version.ValueKind != JsonValueKind.String || !version.ValueEquals("2.0"))
                return RpcReply.Fail(InvalidRequest, "Invalid Request: \"jsonrpc\" must be \"2.0\"");
            if (!call.TryGetProperty("method", out var methodName) || methodName.ValueKind != JsonValueKind.String)
                return RpcReply.Fail(InvalidRequest, "Invalid Request: \"method\" must be a string");
            if (!RpcJson.TryGetString(methodName, out name))
                return RpcReply.Fail(InvalidRequest, "Invalid Request: \"method\" is not valid Unicode (a lone surrogate escape)");
            if (!call.TryGetProperty("params", out var ps))
                parameters = new RpcParams([]);
            else if (ps.ValueKind == JsonValueKind.Array)
                parameters = new RpcParams([.. ps.EnumerateArray()]);
            else if (ps.ValueKind == JsonValueKind.Object)
                parameters = new RpcParams([.. ps.EnumerateObject().Select(p => p.Value)]); // by position, as Kamailio reads them
            else
                return RpcReply.Fail(InvalidRequest, "Invalid Request: \"params\" must be an array or an object");
            return null;
        }
        catch (InvalidOperationException ex) when (RpcJson.IsInvalidText(ex))
        {
            id = default;
            return RpcReply.Fail(InvalidRequest, "Invalid Request: a member name or value is not valid Unicode (a lone surrogate escape)");
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "RPC call {Method} failed")]
    private static partial void LogCallFailed(ILogger logger, Exception exception, string method);

    private ValueTask<RpcReply> Help(RpcParams p, WriteSink sink)
    {
        if (!p.KamString(0, false, out var name) || !_methods.TryGetValue(name, out var m))
            return RpcReply.Fail(400, "command not found").AsTask();
        return RpcReply.Ok(m.Help).AsTask();
    }

    private static void WriteReply(Utf8JsonWriter writer, JsonElement id, RpcReply reply)
    {
        if (reply.Error is { } error)
        {
            WriteError(writer, id, error);
            return;
        }
        writer.WriteStartObject();
        writer.WriteString("jsonrpc", "2.0");
        writer.WritePropertyName("result");
        RpcJson.Write(writer, reply.Result);
        WriteId(writer, id);
        writer.WriteEndObject();
    }

    private static void WriteError(Utf8JsonWriter writer, JsonElement id, RpcError error)
    {
        writer.WriteStartObject();
        writer.WriteString("jsonrpc", "2.0");
        writer.WriteStartObject("error");
        writer.WriteNumber("code", error.Code);
        writer.WriteString("message", error.Message);
        writer.WriteEndObject();
        WriteId(writer, id);
        writer.WriteEndObject();
    }

    private static void WriteId(Utf8JsonWriter writer, JsonElement id)
    {
        writer.WritePropertyName("id");
        if (id.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null)
            id.WriteTo(writer);
        else
            writer.WriteNullValue();
    }
}
