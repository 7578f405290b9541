using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace HTableCluster.Node;

/// <summary>
/// <c>htcluster rpc [--url URL] METHOD [ARGS...]</c>, the kamcmd of this project. Arguments that
/// look like integers are sent as JSON numbers (prefix <c>s:</c> forces a string, <c>i:</c> an
/// integer). Prints the result as JSON (<c>cluster.members</c> as tables, <see cref="ClusterMembersText"/>);
/// on a JSON-RPC error prints the message and exits 1.
/// </summary>
public static class RpcCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "Node endpoint", DefaultValueFactory = _ => "http://127.0.0.1:7080/RPC" };
        var method = new Argument<string>("method") { Description = "Method, e.g. htable.get" };
        var args = new Argument<string[]>("args") { Description = "Parameters", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("rpc", "Call a JSON-RPC method on a node") { url, method, args };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var parameters = new JsonArray();
            foreach (var a in parse.GetValue(args) ?? [])
                parameters.Add(ToJson(a));
            var request = new JsonObject { ["jsonrpc"] = "2.0", ["method"] = parse.GetValue(method), ["params"] = parameters, ["id"] = 1 };
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            HttpResponseMessage response;
            try
            {
                using var content = new StringContent(request.ToJsonString(), Encoding.UTF8);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                response = await http.PostAsync(parse.GetValue(url), content, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or UriFormatException or InvalidOperationException)
            {
                await Console.Error.WriteLineAsync($"htcluster rpc: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                JsonNode? reply;
                try
                {
                    reply = JsonNode.Parse(text);
                }
                catch (JsonException)
                {
                    await Console.Error.WriteLineAsync($"htcluster rpc: HTTP {(int)response.StatusCode}: {text}").ConfigureAwait(false);
                    return 2;
                }
                if (reply?["error"] is JsonObject error)
                {
                    await Console.Error.WriteLineAsync($"error {error["code"]}: {error["message"]}").ConfigureAwait(false);
                    return 1;
                }
                if (parse.GetValue(method) == "cluster.members" && ClusterMembersText.Format(reply?["result"]) is { } readable)
                    Console.Write(readable);
                else
                    Console.WriteLine(reply?["result"]?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? "null");
                return 0;
            }
        });
        return command;
    }

    private static JsonNode ToJson(string arg)
    {
        if (arg.StartsWith("s:", StringComparison.Ordinal))
            return JsonValue.Create(arg[2..]);
        if (arg.StartsWith("i:", StringComparison.Ordinal) && long.TryParse(arg[2..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var forced))
            return JsonValue.Create(forced);
        return long.TryParse(arg, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? JsonValue.Create(n) : JsonValue.Create(arg);
    }
}
