using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using HTableCluster.Node.Configuration;
using HTableCluster.Node.Tables;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HTableCluster.Node.Tests;

/// <summary>An in-process node on free loopback ports, driven over real HTTP.</summary>
public class NodeFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public ManualTime Time { get; } = new();

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public Uri RpcUrl { get; private set; } = null!;

    public HTableNode Node { get; private set; } = null!;

    public IServiceProvider Services => _app!.Services;

    /// <summary>The database the node preloads from (null when it has no dbtable).</summary>
    public string? DbConnectionString { get; private set; }

    protected virtual IReadOnlyList<string> Tables =>
    [
        "a=>size=8;autoexpire=0;dmqreplicate=1",
        "e=>size=8;autoexpire=5;dmqreplicate=1",
        "i=>size=4;initval=7;dmqreplicate=1",
        "db=>size=8;dbtable=htable;dbmode=1",
    ];

    protected virtual IDictionary<string, string?> Extra => new Dictionary<string, string?>
    {
        ["Rpc:MaxKeyBytes"] = "1024",
        ["Rpc:MaxValueBytes"] = "65536",
        ["Rpc:MaxBodyBytes"] = "1048576",
        ["Rpc:MaxBatch"] = "1000",
    };

    public async Task InitializeAsync()
    {
        var values = new Dictionary<string, string?>(Extra)
        {
            ["Node:ClusterPort"] = "0",
            ["Node:RpcPort"] = "0",
            ["Node:Partitions"] = "4",
            ["Htable:TimerInterval"] = "1",
            // Test nodes share one process heap; MemoryCompactorTests covers the compactor.
            ["Node:CompactAfterMiB"] = "0",
        };
        for (var i = 0; i < Tables.Count; i++)
            values[$"Htable:Tables:{i}"] = Tables[i];
        // A table with a dbtable preloads from a real PostgreSQL (a database of this node's own).
        if (!values.ContainsKey("Htable:DbUrl") && Tables.Any(t => t.Contains("dbtable=", StringComparison.Ordinal)))
            values["Htable:DbUrl"] = DbConnectionString = await SharedPostgres.DatabaseAsync();
        var settings = NodeSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        _app = NodeHost.Build(settings, Time);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        RpcUrl = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/RPC");
        Node = _app.Services.GetRequiredService<HTableNode>();
        await Node.Started.WaitAsync(TimeSpan.FromSeconds(30));
        // The fixture's own database is up: the node is initialized once its preload is in.
        if (DbConnectionString is not null)
        {
            var events = _app.Services.GetRequiredService<TableEvents>();
            for (var i = 0; i < 600 && !events.Initialized; i++)
                await Task.Delay(50);
            Assert.True(events.Initialized, "the preload did not finish within 30 s");
        }
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>Posts a raw body; returns HTTP status and parsed body (null when empty).</summary>
    public async Task<(int Status, JsonElement? Body)> PostAsync(string body, string path = "/RPC")
    {
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await Http.PostAsync(new Uri(RpcUrl, path), content);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Calls a method; returns the whole reply object.</summary>
    public async Task<JsonElement> CallAsync(string method, params object?[] parameters)
    {
        var request = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["jsonrpc"] = "2.0",
            ["method"] = method,
            ["params"] = parameters,
            ["id"] = 1,
        });
        var (_, body) = await PostAsync(request);
        return body!.Value;
    }

    /// <summary>Calls a method and returns its result; fails the test on an error reply.</summary>
    public async Task<JsonElement> ResultAsync(string method, params object?[] parameters)
    {
        var reply = await CallAsync(method, parameters);
        Assert.False(reply.TryGetProperty("error", out var error), $"{method} failed: {error}");
        return reply.GetProperty("result");
    }

    /// <summary>Calls a method that must fail; returns (code, message).</summary>
    public async Task<(int Code, string Message)> ErrorAsync(string method, params object?[] parameters)
    {
        var reply = await CallAsync(method, parameters);
        Assert.True(reply.TryGetProperty("error", out var error), $"{method} should fail but answered {reply}");
        return (error.GetProperty("code").GetInt32(), error.GetProperty("message").GetString()!);
    }
}
