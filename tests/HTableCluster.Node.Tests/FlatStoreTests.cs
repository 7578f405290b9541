using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Akka.Actor;
using HTableCluster.FlatStore;
using HTableCluster.Node.Accounting;
using Microsoft.Extensions.DependencyInjection;

namespace HTableCluster.Node.Tests;

[CollectionDefinition(nameof(FlatStoreTests))]
public sealed class FlatStoreCollection;

/// <summary>A node with a flatstore directory: flatstore.insert, the batch form, rotation, bad input, /metrics.</summary>
[Collection(nameof(FlatStoreTests))]
public sealed class FlatStoreTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("htc-flat-node-").FullName;
    private FlatNode _node = null!;

    private string File(string table) => Path.Combine(_dir, $"{table}_n1.log");

    public async Task InitializeAsync()
    {
        _node = new FlatNode(_dir);
        await _node.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Inserts_over_rpc_write_exact_lines_and_files_appear_at_the_first_record()
    {
        Assert.Empty(Directory.GetFiles(_dir));
        Assert.Equal(1, (await _node.ResultAsync("flatstore.insert", "acc", "INVITE", "a|b", null, 200, 1.5)).GetInt32());
        Assert.Equal(2, (await _node.ResultAsync("flatstore.insert_batch", "acc", new object?[] { new object?[] { "BYE", "x\ny" }, new object?[] { null } })).GetInt32());
        Assert.Equal(1, (await _node.ResultAsync("flatstore.insert", "missed")).GetInt32());
        // A JSON-RPC batch of inserts is written in order.
        var (status, body) = await _node.PostAsync("""
            [{"jsonrpc":"2.0","id":1,"method":"flatstore.insert","params":["acc","b1"]},
             {"jsonrpc":"2.0","id":2,"method":"flatstore.insert","params":["acc","b2"]},
             {"jsonrpc":"2.0","id":3,"method":"htable.get","params":["a","nokey"]},
             {"jsonrpc":"2.0","id":4,"method":"flatstore.insert","params":["acc","b3"]}]
            """);
        Assert.Equal(200, status);
        Assert.Equal(4, body!.Value.GetArrayLength());

        Assert.Equal("INVITE|a%7Cb||200|1.5\nBYE|x%0Ay\n\nb1\nb2\nb3\n", await System.IO.File.ReadAllTextAsync(File("acc")));
        Assert.Equal("\n", await System.IO.File.ReadAllTextAsync(File("missed")));
        Assert.Equal(["acc_n1.log", "missed_n1.log"], Directory.GetFiles(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Rotation_after_a_rename_opens_a_new_file_at_the_next_record_through_every_alias()
    {
        await _node.ResultAsync("flatstore.insert", "acc", "1");
        var n = 1;
        foreach (var method in new[] { "flatstore.k_rotate", "flatstore.rotate", "flat_rotate" })
        {
            System.IO.File.Move(File("acc"), File("acc") + "." + n);
            // Until the rotation the renamed file keeps taking records (as in Kamailio).
            await _node.ResultAsync("flatstore.insert", "acc", $"{n}b");
            // Kamailio 5.6.3 answers both of its rotate methods with an empty object and ignores
            // parameters (flat_rotate is the older name, which 5.6 no longer has).
            var reply = await _node.CallAsync(method, "ignored");
            Assert.Equal("{}", reply.GetProperty("result").GetRawText());
            Assert.False(System.IO.File.Exists(File("acc")));
            n++;
            await _node.ResultAsync("flatstore.insert", "acc", n.ToString(CultureInfo.InvariantCulture));
        }
        Assert.Equal("1\n1b\n", await System.IO.File.ReadAllTextAsync(File("acc") + ".1"));
        Assert.Equal("2\n2b\n", await System.IO.File.ReadAllTextAsync(File("acc") + ".2"));
        Assert.Equal("3\n3b\n", await System.IO.File.ReadAllTextAsync(File("acc") + ".3"));
        Assert.Equal("4\n", await System.IO.File.ReadAllTextAsync(File("acc")));
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("/etc/x")]
    [InlineData("")]
    [InlineData("a\0b")]
    [InlineData("..")]
    public async Task Table_names_that_try_path_tricks_are_refused_and_counted(string table)
    {
        var before = await MetricAsync("htcluster_flatstore_records_refused_total");
        var (code, message) = await _node.ErrorAsync("flatstore.insert", table, "x");
        Assert.Equal(-32602, code);
        Assert.StartsWith("flatstore table refused: ", message, StringComparison.Ordinal);
        Assert.Equal(before + 1, await MetricAsync("htcluster_flatstore_records_refused_total"));
        Assert.Empty(Directory.GetFiles(_dir));
        Assert.Empty(Directory.GetFiles(Path.GetTempPath(), "x_n1.log"));
        // The node keeps serving.
        Assert.Equal(1, (await _node.ResultAsync("flatstore.insert", "acc", "ok")).GetInt32());
    }

    [Fact]
    public async Task A_very_long_table_name_and_wrong_types_are_refused()
    {
        Assert.Equal(-32602, (await _node.ErrorAsync("flatstore.insert", new string('t', 200), "x")).Code);
        Assert.Contains("must be a string, a number or null, got a boolean", (await _node.ErrorAsync("flatstore.insert", "acc", true)).Message, StringComparison.Ordinal);
        Assert.Contains("got an object", (await _node.ErrorAsync("flatstore.insert", "acc", new { a = 1 })).Message, StringComparison.Ordinal);
        Assert.Contains("missing parameter 1 (table)", (await _node.ErrorAsync("flatstore.insert")).Message, StringComparison.Ordinal);
        Assert.Contains("row 2 of parameter 2 (rows) must be an array", (await _node.ErrorAsync("flatstore.insert_batch", "acc", new object[] { new[] { "a" }, "b" })).Message, StringComparison.Ordinal);
        Assert.Contains("must be an array of arrays", (await _node.ErrorAsync("flatstore.insert_batch", "acc", "x")).Message, StringComparison.Ordinal);
        Assert.Contains("longer than 65536 bytes", (await _node.ErrorAsync("flatstore.insert", "acc", new string('v', 65537))).Message, StringComparison.Ordinal);
        // Nothing of a refused batch is written.
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public async Task A_removed_directory_fails_the_write_without_acknowledging_it_and_a_recreated_one_works()
    {
        await _node.ResultAsync("flatstore.insert", "acc", "before");
        var saved = await System.IO.File.ReadAllTextAsync(File("acc"));
        Directory.Delete(_dir, recursive: true);
        await _node.ResultAsync("flatstore.k_rotate");
        var (code, message) = await _node.ErrorAsync("flatstore.insert", "acc", "lost");
        Assert.Equal(500, code);
        Assert.StartsWith("flatstore write failed, the records were not written: ", message, StringComparison.Ordinal);
        Assert.True(await MetricAsync("htcluster_flatstore_records_failed_total{table=\"acc\"}") >= 1);
        Assert.Equal("before\n", saved);

        Directory.CreateDirectory(_dir);
        await _node.ResultAsync("flatstore.insert", "acc", "after");
        Assert.Equal("after\n", await System.IO.File.ReadAllTextAsync(File("acc")));
    }

    [Fact]
    public async Task A_directory_the_node_may_not_write_into_fails_the_write_with_an_error()
    {
        // The suite runs as root, which file modes do not stop: the immutable flag does.
        await RunAsync("chattr", "+i", _dir);
        try
        {
            var (code, message) = await _node.ErrorAsync("flatstore.insert", "acc", "denied");
            Assert.Equal(500, code);
            Assert.Contains("flatstore write failed", message, StringComparison.Ordinal);
        }
        finally
        {
            await RunAsync("chattr", "-i", _dir);
        }
        await _node.ResultAsync("flatstore.insert", "acc", "allowed");
        Assert.Equal("allowed\n", await System.IO.File.ReadAllTextAsync(File("acc")));
    }

    [Fact]
    public async Task The_embedded_api_writes_the_same_lines()
    {
        var flat = _node.Node.FlatStore;
        Assert.True(flat.Enabled);
        // The counters are the process's (other tests' nodes write "acc" too): a table of its own.
        var before = await MetricAsync("htcluster_flatstore_records_written_total{table=\"embedded\"}");
        await flat.InsertAsync("embedded", "INVITE", null, "200");
        await flat.InsertManyAsync("embedded", [["a", "b"], ["c|d"]]);
        await Assert.ThrowsAsync<ArgumentException>(() => flat.InsertAsync("../embedded", "x"));
        Assert.Equal("INVITE||200\na|b\nc%7Cd\n", await System.IO.File.ReadAllTextAsync(File("embedded")));
        Assert.Equal(before + 3, await MetricAsync("htcluster_flatstore_records_written_total{table=\"embedded\"}"));
    }

    private async Task<double> MetricAsync(string series)
    {
        var text = await _node.Http.GetStringAsync(new Uri(_node.RpcUrl, "/metrics"));
        var m = Regex.Match(text, "^" + Regex.Escape(series) + " (\\S+)$", RegexOptions.Multiline);
        return m.Success ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var error = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {error}");
    }

    private sealed class FlatNode(string dir) : NodeFixture
    {
        protected override IReadOnlyList<string> Tables => ["a=>size=4"];

        protected override IDictionary<string, string?> Extra => new Dictionary<string, string?>
        {
            ["Node:NodeId"] = "n1",
            ["FlatStore:Dir"] = dir,
            ["Rpc:MaxValueBytes"] = "65536",
        };
    }
}

/// <summary>
/// The flatstore actors in front of the files while actor systems come and go: records sent while
/// one stops and the next starts are written once each, and every acknowledged record is there.
/// </summary>
[Collection(nameof(FlatStoreTests))]
public sealed class FlatStoreClientTests
{
    [Fact]
    public async Task Records_inserted_while_the_actor_system_is_replaced_are_all_written_once()
    {
        var dir = Directory.CreateTempSubdirectory("htc-flat-rebuild-").FullName;
        try
        {
            await using var files = new FlatStoreFiles(new FlatStoreOptions { Directory = dir, NodeId = "n1" });
            var client = new FlatStoreClient(files);
            var system = ActorSystem.Create("flat1");
            client.Attach(system);
            using var stop = new CancellationTokenSource();
            var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();
            var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < 200_000 && !stop.IsCancellationRequested; i++)
                {
                    var id = $"w{w}-{i}";
                    if (i % 10 == 0)
                        await client.InsertManyAsync("acc", [[id, "a"], [id, "b"]]);
                    else
                        await client.InsertAsync("acc", id, "a");
                    acknowledged.Add(id);
                }
            })).ToList();
            for (var round = 0; round < 3; round++)
            {
                await Task.Delay(150);
                // As a downing does it: the shutdown phase detaches, then the system goes.
                await client.DetachAsync(system);
                await system.Terminate();
                await Task.Delay(50);
                system = ActorSystem.Create("flat" + (round + 2));
                client.Attach(system);
            }
            await Task.Delay(150);
            await stop.CancelAsync();
            await Task.WhenAll(writers);
            await client.DetachAsync(system);
            await system.Terminate();
            await files.DisposeAsync();

            Assert.True(client.WrittenDirectly > 0, "no record was written while no actor system was attached");
            var lines = await File.ReadAllLinesAsync(Path.Combine(dir, "acc_n1.log"));
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var line in lines)
            {
                Assert.Matches("^w\\d-\\d+\\|[ab]$", line);
                seen[line] = seen.GetValueOrDefault(line) + 1;
            }
            Assert.All(seen, kv => Assert.Equal(1, kv.Value));
            var ids = lines.Select(l => l[..l.IndexOf('|', StringComparison.Ordinal)]).ToHashSet(StringComparer.Ordinal);
            Assert.All(acknowledged, id => Assert.Contains(id, ids));
            Assert.Equal(files.Written, lines.Length);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
