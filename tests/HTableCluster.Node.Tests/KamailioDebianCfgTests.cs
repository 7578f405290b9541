using System.Diagnostics;
using System.Text.RegularExpressions;
using HTableCluster.Node.Configuration;
using Npgsql;

namespace HTableCluster.Node.Tests;

/// <summary>
/// The kamailio.cfg that Debian's kamailio package installs (/etc/kamailio/kamailio.cfg, copied as
/// is into a temporary directory; test.sh installs the package) imported with the preprocessor, and
/// compared with what Kamailio's own preprocessor (<c>kamailio --cfg-print</c>) keeps of it.
/// </summary>
public sealed partial class KamailioDebianCfgTests : IDisposable
{
    private const string DebianCfg = "/etc/kamailio/kamailio.cfg";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly string _dir = Directory.CreateTempSubdirectory("htc-debian-cfg-").FullName;
    private readonly string _cfg;

    public KamailioDebianCfgTests()
    {
        Assert.True(File.Exists(DebianCfg), $"{DebianCfg} is missing: install Debian's kamailio package (test.sh does)");
        _cfg = Path.Combine(_dir, "kamailio.cfg");
        File.Copy(DebianCfg, _cfg);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private NodeSettings Load(params string[] defines) =>
        ServeCommand.Load(new Dictionary<string, string?>(), new FileInfo(_cfg), null, kamailioDefines: defines);

    // The line of the Debian file that holds text (the file's layout is Debian's, not ours).
    private static int LineOf(string path, string text) =>
        Array.FindIndex(File.ReadAllLines(path), l => l.Contains(text, StringComparison.Ordinal)) + 1;

    private static async Task<ClusterNode> StartAsync(string nodeId, NodeSettings settings, KamailioCfgImporter.Result imported)
    {
        // The node takes the imported keys as they are; its tables are the parsed ones.
        var values = imported.Values.Where(kv => !kv.Key.StartsWith("Htable:Tables:", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        return await ClusterNode.StartAsync(nodeId, [.. settings.Tables.Select(t => t.ToDefinition())], settings: values);
    }

    [Fact]
    public async Task With_antiflood_the_ipban_table_comes_up_with_size_8_and_autoexpire_300()
    {
        var settings = Load("WITH_ANTIFLOOD");
        var ipban = Assert.Single(settings.Tables);
        Assert.Equal(("ipban", 8, 300), (ipban.Name, ipban.Size, ipban.AutoExpire));
        Assert.Contains(settings.Notes, n => n.StartsWith($"kamailio.cfg:{LineOf(_cfg, "import_file")}: import_file kamailio-local.cfg not found", StringComparison.Ordinal));
        Assert.Contains(settings.Notes, n => n.StartsWith($"kamailio.cfg:{LineOf(_cfg, "\"ipban=>")}: modparam(\"htable\", \"htable\", \"ipban=>size=8;autoexpire=300;\"): read as Htable:Tables:0", StringComparison.Ordinal));
        // acc's parameters are each noted with their line (log_extra spans three lines: noted at its first).
        Assert.Contains(settings.Notes, n => n.StartsWith($"kamailio.cfg:{LineOf(_cfg, "\"log_extra\"")}: modparam(\"acc\", \"log_extra\", \"src_user=$fU;src_domain=$fd;src_ip=$si;dst_ouser", StringComparison.Ordinal));

        await using var node = await StartAsync("deb-antiflood", settings, KamailioCfgImporter.Import(_cfg, [new("WITH_ANTIFLOOD", null)]));
        await node.WaitReadyAsync(Wait);
        var list = await node.ResultAsync("htable.listTables");
        var t = Assert.Single(list.EnumerateArray());
        Assert.Equal("ipban", t.GetProperty("name").GetString());
        Assert.Equal(1 << 8, t.GetProperty("size").GetInt32()); // slots, as Kamailio lists them
        Assert.Equal(300, t.GetProperty("expire").GetInt32());
    }

    [Fact]
    public void Without_defines_no_table_is_imported()
    {
        var settings = Load();
        // No htable line is active: the node falls back to its demo table.
        Assert.Equal("t", Assert.Single(settings.Tables).Name);
        Assert.Contains(settings.Notes, n => n.EndsWith("imported 0 htable definition(s)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_local_cfg_defining_a_postgres_dburl_preloads_its_dbtable_table()
    {
        var cs = new NpgsqlConnectionStringBuilder(await SharedPostgres.DatabaseAsync());
        var url = $"postgres://{Uri.EscapeDataString(cs.Username!)}:{Uri.EscapeDataString(cs.Password ?? "")}@{cs.Host}:{cs.Port}/{cs.Database}";
        await File.WriteAllTextAsync(Path.Combine(_dir, "kamailio-local.cfg"), $$"""
            #!define DBURL "{{url}}"
            modparam("htable", "db_url", DBURL)
            modparam("htable", "htable", "kdb=>size=8;dbtable=htable;")
            """);
        var settings = Load("WITH_ANTIFLOOD");
        Assert.Equal(["kdb", "ipban"], settings.Tables.Select(t => t.Name));
        Assert.Equal(url, settings.Htable.DbUrl);
        // Real Kamailio refuses modparam lines before their loadmodule; the note says so.
        Assert.Contains(settings.Notes, n => n.StartsWith(KamailioPreprocessor.WarningPrefix + "kamailio-local.cfg:2: modparam(\"htable\", \"db_url\", \"postgres://", StringComparison.Ordinal)
            && n.Contains("(DBURL, defined at kamailio-local.cfg:1)", StringComparison.Ordinal) && n.Contains("no loadmodule \"htable.so\"", StringComparison.Ordinal));

        await using var node = await StartAsync("deb-local", settings, KamailioCfgImporter.Import(_cfg, [new("WITH_ANTIFLOOD", null)]));
        await node.WaitReadyAsync(Wait);
        var kdb = node.Node.Table("kdb");
        Assert.Equal("hello", kdb.Get("s1")!.StringValue);
        Assert.Equal(42, kdb.Get("n1")!.IntValue);
        Assert.Equal(3, kdb.Get("arr::size")!.IntValue);
    }

    [Fact]
    public void With_mysql_the_mysql_dburl_is_refused_naming_file_and_line()
    {
        // The local file holds the table; the db_url line goes where Kamailio allows it, after the
        // module section, and takes DBURL from Debian's "#!ifdef WITH_MYSQL / #!trydef DBURL".
        File.WriteAllText(Path.Combine(_dir, "kamailio-local.cfg"), "modparam(\"htable\", \"htable\", \"kdb=>size=8;dbtable=htable;\")\n");
        File.AppendAllText(_cfg, "\nmodparam(\"htable\", \"db_url\", DBURL)\n");
        var line = File.ReadAllLines(_cfg).Length;
        var ex = Assert.Throws<FormatException>(() => Load("WITH_MYSQL"));
        Assert.StartsWith($"kamailio.cfg:{line} (DBURL, defined at kamailio.cfg:{LineOf(_cfg, "#!trydef DBURL")}): ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("db_url scheme 'mysql' is not supported", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("kamailiorw", ex.Message, StringComparison.Ordinal);

        // In the local file the name is used before Debian's file defines it: an error at that line.
        File.WriteAllText(Path.Combine(_dir, "kamailio-local.cfg"), "\nmodparam(\"htable\", \"db_url\", DBURL)\n");
        var early = Assert.Throws<FormatException>(() => Load("WITH_MYSQL"));
        Assert.StartsWith("kamailio-local.cfg:2: modparam(\"htable\", \"db_url\", DBURL): 'DBURL' is not defined", early.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string[]> DefineSets => new()
    {
        Array.Empty<string>(),
        new[] { "WITH_ANTIFLOOD" },
        new[] { "WITH_MYSQL", "WITH_AUTH", "WITH_IPAUTH", "WITH_USRLOCDB", "WITH_ACCDB", "WITH_NAT", "WITH_RTPENGINE" },
        new[] { "WITH_DEBUG", "WITH_TLS", "WITH_PRESENCE", "WITH_ALIASDB", "WITH_SPEEDDIAL", "WITH_MULTIDOMAIN", "WITH_JSONRPC" },
    };

    [Theory]
    [MemberData(nameof(DefineSets))]
    public async Task The_modparam_lines_kept_are_those_kamailio_keeps(string[] defines)
    {
        var args = new List<string> { "--cfg-print", "-f", _cfg };
        foreach (var d in defines)
            args.AddRange(["-A", d]);
        var printed = await RunKamailioAsync(args);
        var expected = printed.Split('\n').Select(l => ModParamStart().Match(l)).Where(m => m.Success)
            .Select(m => $"{m.Groups[1].Value}/{m.Groups[2].Value}").ToList();
        Assert.NotEmpty(expected);

        var tokens = new KamailioPreprocessor(defines.Select(d => new KeyValuePair<string, string?>(d, null))).Run(_cfg);
        var actual = new List<string>();
        for (var i = 0; i + 4 < tokens.Count; i++)
        {
            if (tokens[i].Kind == CfgToken.TokenKind.Name && tokens[i].Text == "modparam" && tokens[i + 1].Is('('))
                actual.Add($"{tokens[i + 2].Text}/{tokens[i + 4].Text}");
        }
        Assert.Equal(expected, actual);
    }

    private static async Task<string> RunKamailioAsync(IEnumerable<string> args)
    {
        var exe = File.Exists("/usr/sbin/kamailio") ? "/usr/sbin/kamailio" : "kamailio";
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = p.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = p.StandardError.ReadToEndAsync(cts.Token);
        await p.WaitForExitAsync(cts.Token);
        Assert.True(p.ExitCode == 0, $"kamailio {string.Join(' ', psi.ArgumentList)} exited {p.ExitCode}: {await stderr}");
        return await stdout;
    }

    [GeneratedRegex("""^\s*modparam\s*\(\s*"([^"]+)"\s*,\s*"([^"]+)"\s*,""")]
    private static partial Regex ModParamStart();
}
