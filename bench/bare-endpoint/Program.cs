// The "ceiling" for bench/run-rpc-bench.sh: the least an ASP.NET Core JSON-RPC endpoint can do per call.
// POST /RPC parses the body with System.Text.Json, looks params[1] up in a Dictionary<string,string>
// preloaded with k0..k999 = value0..value999 (read-only after start, so no lock) and replies
// {"jsonrpc":"2.0","result":{"item":{"name":...,"value":...}},"id":...} (the shape of htable.get).
// No batches, no writes, no tables. Listens on 127.0.0.1:7090 unless --urls says otherwise.
using System.Globalization;
using System.Text.Json;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
if (builder.Configuration["urls"] is null)
    builder.WebHost.UseUrls("http://127.0.0.1:7090");

var data = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 0; i < 1000; i++)
    data["k" + i.ToString(CultureInfo.InvariantCulture)] = "value" + i.ToString(CultureInfo.InvariantCulture);

var app = builder.Build();
app.MapPost("/RPC", async ctx =>
{
    using var doc = await JsonDocument.ParseAsync(ctx.Request.Body, default, ctx.RequestAborted);
    var root = doc.RootElement;
    ctx.Response.ContentType = "application/json";
    await using (var w = new Utf8JsonWriter(ctx.Response.BodyWriter))
    {
        w.WriteStartObject();
        w.WriteString("jsonrpc", "2.0");
        string? key = null;
        if (root.ValueKind == JsonValueKind.Object
            && root.TryGetProperty("params", out var ps) && ps.ValueKind == JsonValueKind.Array && ps.GetArrayLength() >= 2
            && ps[1].ValueKind == JsonValueKind.String)
            key = ps[1].GetString();
        if (key is not null && data.TryGetValue(key, out var value))
        {
            w.WriteStartObject("result");
            w.WriteStartObject("item");
            w.WriteString("name", key);
            w.WriteString("value", value);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        else
        {
            w.WriteStartObject("error");
            w.WriteNumber("code", 500);
            w.WriteString("message", "Key name doesn't exist in htable.");
            w.WriteEndObject();
        }
        w.WritePropertyName("id");
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("id", out var id))
            id.WriteTo(w);
        else
            w.WriteNullValue();
        w.WriteEndObject();
    }
    await ctx.Response.BodyWriter.FlushAsync(ctx.RequestAborted);
});
await app.RunAsync();
