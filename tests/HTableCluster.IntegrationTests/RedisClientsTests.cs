namespace HTableCluster.IntegrationTests;

/// <summary>
/// Real Redis clients against a published node's Redis protocol endpoint, each checked against
/// Debian's redis-server in the same run.
/// </summary>
public sealed class RedisClientsTests
{
    private static string Script => Path.Combine(PublishedNode.RepoRoot, "tests", "HTableCluster.IntegrationTests", "clients", "redis_py_check.py");

    [Fact]
    public async Task Redis_py_passes_the_same_checks_against_a_node_as_against_redis_server()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var dir = Directory.CreateTempSubdirectory("htc-redis-py-");
        try
        {
            var (redis, refPort) = await ReferenceProcess.StartRedisAsync(dir.FullName, cts.Token);
            using var _ = redis;
            // The checks pass against redis-server first: they state what Redis 7.0 answers.
            var reference = await ReferenceProcess.RunAsync(TimeSpan.FromSeconds(60), dir.FullName, "/usr/bin/python3", Script, refPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(reference.Code == 0, "against redis-server: " + reference.Output);

            var respPort = PublishedNode.FreePort();
            var config = Path.Combine(dir.FullName, "node.json");
            await File.WriteAllTextAsync(config, $$"""{ "Resp": { "Port": {{respPort}} } }""", cts.Token);
            await using var node = await NodeProcess.StartAsync("--config", config, "--table", "t=>size=8", "--table", "kv=>size=8");
            var result = await ReferenceProcess.RunAsync(TimeSpan.FromSeconds(60), dir.FullName, "/usr/bin/python3", Script, respPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(result.Code == 0, "against the node: " + result.Output);
            Assert.Contains("ok", result.Output, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
