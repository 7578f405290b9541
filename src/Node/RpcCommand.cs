using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace HTableCluster.Node;

/// <summary>
/// <c>htcluster rpc [--url URL] [--raw] METHOD [ARGS...]</c>, the kamcmd of this project. Arguments
/// are typed as kamcmd types them (integers as JSON numbers, <c>s:</c> forces a string, <c>i:</c> an
/// integer) plus <c>j:JSON</c> for any JSON value and <c>null</c>, so arrays, objects and null can be
/// sent (paging <c>htable.iterate</c>, <c>flatstore.insert_batch</c>). Prints the result as JSON, or
/// with <c>--raw</c> the whole reply (<c>cluster.members</c> as tables, <see cref="ClusterMembersText"/>);
/// exit codes in <see cref="Help"/>.
/// </summary>
public static class RpcCommand
{
    /// <summary>The call succeeded.</summary>
    public const int Succeeded = 0;

    /// <summary>The node answered with a JSON-RPC error.</summary>
    public const int ErrorReply = 1;

    /// <summary>No usable answer: the node cannot be reached, timed out, or did not answer JSON-RPC.</summary>
    public const int NoAnswer = 2;

    /// <summary>Bad command line (sysexits' EX_USAGE), also for an argument that does not parse.</summary>
    public const int Usage = 64;

    private const string Help = """
        Call a JSON-RPC method on a node (the kamcmd of htcluster) and print its result as JSON.

        Arguments are typed as kamcmd types them, plus JSON:
          15          an integer (an argument that parses as a 64-bit integer)
          null        JSON null
          text        a string (anything else)
          s:TEXT      a string whatever it looks like: s:15 is "15", s:null is "null"
          i:N         an integer (refused when N is not one)
          j:JSON      any JSON value: j:[1,2]  j:'{"a":1}'  j:true  j:1.5  j:'"x"'  j:null

        A node with Rpc:Token set needs --token TOKEN (or the environment variable HTCLUSTER_TOKEN).

        Examples:
          htcluster rpc htable.iterate t null 1000      first page; pass the reply's cursor back (s:CURSOR)
          htcluster rpc flatstore.insert_batch acc 'j:[["a","b"],["c",null]]'

        Exit codes:
          0   the call succeeded; the result is printed (with --raw the whole reply)
          1   the node answered with a JSON-RPC error: 'error CODE: MESSAGE' on stderr
              (with --raw the whole reply on stdout)
              (a missing or wrong token is error -32001)
          2   no usable answer: the node cannot be reached, timed out, or did not answer JSON-RPC
          64  bad command line: unknown option, missing METHOD, an argument that does not parse
        """;

    /// <summary>Environment variable with the bearer token, when <c>--token</c> is not given.</summary>
    public const string TokenVariable = "HTCLUSTER_TOKEN";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "Node endpoint", DefaultValueFactory = _ => "http://127.0.0.1:7080/RPC" };
        var raw = new Option<bool>("--raw") { Description = "Print the whole JSON-RPC reply as received (also on an error) instead of the result" };
        var token = new Option<string>("--token") { Description = "Bearer token of a node that requires one (Rpc:Token); default: the environment variable " + TokenVariable };
        var method = new Argument<string>("method") { Description = "Method, e.g. htable.get" };
        var args = new Argument<string[]>("args") { Description = "Parameters (typed: see above)", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("rpc", Help) { url, raw, token, method, args };
        command.SetAction((parse, cancellationToken) => CallAsync(parse.GetValue(url)!, parse.GetValue(method)!, parse.GetValue(args) ?? [],
            parse.GetValue(raw), Console.Out, Console.Error, parse.GetValue(token) ?? Environment.GetEnvironmentVariable(TokenVariable), cancellationToken));
        return command;
    }

    /// <summary>
    /// Sends one call and prints its outcome; returns the exit code. A non-empty <paramref name="token"/>
    /// is sent as <c>Authorization: Bearer TOKEN</c>.
    /// </summary>
    public static async Task<int> CallAsync(string url, string method, IReadOnlyList<string> args, bool raw,
        TextWriter output, TextWriter error, string? token = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var parameters = new JsonArray();
        for (var i = 0; i < args.Count; i++)
        {
            if (!TryParseArgument(args[i], out var value, out var problem))
            {
                await error.WriteLineAsync($"htcluster rpc: argument {i + 1} '{args[i]}': {problem}").ConfigureAwait(false);
                return Usage;
            }
            parameters.Add(value);
        }
        var request = new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method, ["params"] = parameters, ["id"] = 1 };
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        if (!string.IsNullOrEmpty(token))
        {
            try
            {
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
            catch (FormatException)
            {
                await error.WriteLineAsync("htcluster rpc: --token: not a valid bearer token (printable ASCII without spaces)").ConfigureAwait(false);
                return Usage;
            }
        }
        HttpResponseMessage response;
        try
        {
            using var content = new StringContent(request.ToJsonString(), Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            response = await http.PostAsync(url, content, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or UriFormatException or InvalidOperationException)
        {
            await error.WriteLineAsync($"htcluster rpc: {url}: {ex.Message}").ConfigureAwait(false);
            return NoAnswer;
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            JsonObject? reply;
            try
            {
                reply = JsonNode.Parse(text) as JsonObject;
            }
            catch (JsonException)
            {
                reply = null;
            }
            if (reply is null || !(reply.ContainsKey("result") || reply["error"] is JsonObject))
            {
                await error.WriteLineAsync($"htcluster rpc: {url}: HTTP {(int)response.StatusCode}, not a JSON-RPC reply: {Shorten(text)}").ConfigureAwait(false);
                return NoAnswer;
            }
            if (raw)
                await output.WriteLineAsync(text).ConfigureAwait(false);
            if (reply["error"] is JsonObject failure)
            {
                if (!raw)
                    await error.WriteLineAsync($"error {failure["code"]}: {failure["message"]}").ConfigureAwait(false);
                return ErrorReply;
            }
            if (raw)
                return Succeeded;
            // cluster.members reads better as tables (ClusterMembersText).
            if (method == "cluster.members" && ClusterMembersText.Format(reply["result"]) is { } readable)
                await output.WriteAsync(readable).ConfigureAwait(false);
            else
                await output.WriteLineAsync(reply["result"]?.ToJsonString(Indented) ?? "null").ConfigureAwait(false);
            return Succeeded;
        }
    }

    /// <summary>Types one command-line argument (see <see cref="Help"/>); false with the reason when it does not parse.</summary>
    public static bool TryParseArgument(string arg, out JsonNode? value, out string problem)
    {
        ArgumentNullException.ThrowIfNull(arg);
        problem = "";
        value = null;
        if (arg.StartsWith("s:", StringComparison.Ordinal))
        {
            value = JsonValue.Create(arg[2..]);
            return true;
        }
        if (arg.StartsWith("i:", StringComparison.Ordinal))
        {
            if (long.TryParse(arg.AsSpan(2), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var forced))
            {
                value = JsonValue.Create(forced);
                return true;
            }
            problem = "i: needs a 64-bit integer";
            return false;
        }
        if (arg.StartsWith("j:", StringComparison.Ordinal))
        {
            try
            {
                value = JsonNode.Parse(arg[2..]);
                return true;
            }
            catch (JsonException ex)
            {
                problem = "j: needs one JSON value: " + ex.Message;
                return false;
            }
        }
        if (arg == "null")
            return true;
        value = long.TryParse(arg, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? JsonValue.Create(n) : JsonValue.Create(arg);
        return true;
    }

    private static string Shorten(string text) => text.Length <= 200 ? text.TrimEnd() : text[..200] + "...";
}
