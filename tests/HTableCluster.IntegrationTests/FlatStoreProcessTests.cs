using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace HTableCluster.IntegrationTests;

/// <summary>The accounting files of a real node process: kill -9, SIGHUP rotation, graceful stop with flush=0.</summary>
public sealed class FlatStoreProcessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("htc-flat-proc-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string table) => Path.Combine(_dir, $"{table}_n1.log");

    [Fact]
    public async Task After_kill_9_every_record_acknowledged_with_flush_1_is_in_the_file_once()
    {
        await using var node = await NodeProcess.StartAsync("--node-id", "n1", "--flatstore-dir", _dir);
        var acknowledged = new ConcurrentBag<string>();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
        {
            for (var i = 0; i < 100_000 && !stop.IsCancellationRequested; i++)
            {
                var ids = Enumerable.Range(0, 1 + (i % 3 == 0 ? 49 : 0)).Select(j => $"c{c}-{i}-{j}").ToList();
                var body = ids.Count == 1
                    ? $$"""{"jsonrpc":"2.0","id":1,"method":"flatstore.insert","params":["acc","{{ids[0]}}","payload|x",null]}"""
                    : $$"""{"jsonrpc":"2.0","id":1,"method":"flatstore.insert_batch","params":["acc",[{{string.Join(",", ids.Select(id => $"[\"{id}\",\"payload|x\",null]"))}}]]}""";
                try
                {
                    using var content = new StringContent(body, Encoding.UTF8, "application/json");
                    using var response = await http.PostAsync(new Uri(node.Url), content, stop.Token);
                    var text = await response.Content.ReadAsStringAsync(stop.Token);
                    if (text.Contains("\"result\"", StringComparison.Ordinal))
                    {
                        foreach (var id in ids)
                            acknowledged.Add(id);
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                {
                    return; // the node is gone
                }
            }
        })).ToList();
        for (var i = 0; i < 100 && acknowledged.Count < 20_000; i++)
            await Task.Delay(50);
        await node.KillAsync();
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        Assert.True(acknowledged.Count > 1000, $"only {acknowledged.Count} records were acknowledged");
        var text = await System.IO.File.ReadAllTextAsync(File("acc"));
        var lines = text.Split('\n');
        var seen = new HashSet<string>(StringComparer.Ordinal);
        // Whole records only, each once; a write cut off by the kill (never acknowledged) may leave a torn last line.
        for (var i = 0; i < lines.Length - 1; i++)
        {
            Assert.Matches(@"^c\d-\d+-\d+\|payload%7Cx\|$", lines[i]);
            Assert.True(seen.Add(lines[i][..lines[i].IndexOf('|', StringComparison.Ordinal)]), $"written twice: {lines[i]}");
        }
        Assert.All(acknowledged, id => Assert.Contains(id, seen));
    }

    [Fact]
    public async Task Sighup_rotates_the_files_for_logrotate_and_the_node_keeps_running()
    {
        await using var node = await NodeProcess.StartAsync("--node-id", "n1", "--flatstore-dir", _dir);
        await InsertAsync(node, "before");
        System.IO.File.Move(File("acc"), File("acc") + ".1");
        await InsertAsync(node, "renamed");
        node.Signal(1);
        for (var i = 0; i < 100 && !node.Log.Contains("SIGHUP: flatstore files closed", StringComparison.Ordinal); i++)
            await Task.Delay(50);
        Assert.Contains("SIGHUP: flatstore files closed", node.Log, StringComparison.Ordinal);
        await InsertAsync(node, "after");
        Assert.False(node.HasExited);
        Assert.Equal("before\nrenamed\n", await System.IO.File.ReadAllTextAsync(File("acc") + ".1"));
        Assert.Equal("after\n", await System.IO.File.ReadAllTextAsync(File("acc")));
    }

    [Fact]
    public async Task With_flush_0_a_graceful_stop_writes_every_buffered_record()
    {
        var config = Path.Combine(_dir, "flush0.json");
        await System.IO.File.WriteAllTextAsync(config, """{"FlatStore":{"Flush":0,"BufferFlushIntervalMs":60000}}""");
        await using var node = await NodeProcess.StartAsync("--node-id", "n1", "--flatstore-dir", _dir, "--config", config);
        for (var i = 0; i < 10; i++)
            await InsertAsync(node, i.ToString(CultureInfo.InvariantCulture));
        // Buffered: acknowledged, not yet handed to the OS.
        Assert.False(System.IO.File.Exists(File("acc")) && new FileInfo(File("acc")).Length > 0);
        Assert.Equal(0, await node.TerminateAsync());
        Assert.Equal(string.Concat(Enumerable.Range(0, 10).Select(i => $"{i}\n")), await System.IO.File.ReadAllTextAsync(File("acc")));
    }

    private static async Task InsertAsync(NodeProcess node, string value)
    {
        var reply = await node.CallAsync("flatstore.insert", "acc", value);
        Assert.True(reply.TryGetProperty("result", out var r) && r.GetInt32() == 1, reply.ToString());
    }
}
