using HTableCluster.Storage;
using HTableCluster.Node.Configuration;
using Microsoft.Extensions.Configuration;

namespace HTableCluster.Node.Tests;

public sealed class ConfigurationTests
{
    private static NodeSettings Load(params (string Key, string Value)[] values) =>
        NodeSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(v => v.Key, v => (string?)v.Value)).Build());

    [Fact]
    public void Defaults_give_the_demo_table_and_documented_ports()
    {
        var s = Load();
        Assert.Equal("t", Assert.Single(s.Tables).Name);
        Assert.Equal(7080, s.Node.RpcPort);
        Assert.Equal(4053, s.Node.ClusterPort);
        Assert.Equal("127.0.0.1:4053", s.Node.EffectiveNodeId);
        Assert.Equal(20, s.Htable.TimerInterval);
        Assert.Equal(1, s.Htable.DmqInitSync);
    }

    [Theory]
    [InlineData("Node:RpcPort", "70000", "Node:RpcPort")]
    [InlineData("Node:Partitions", "0", "Node:Partitions")]
    [InlineData("Htable:TimerInterval", "0", "Htable:TimerInterval")]
    [InlineData("Htable:EventMode", "kamailio", "Htable:EventMode")]
    [InlineData("Htable:EventGraceSeconds", "-1", "Htable:EventGraceSeconds")]
    [InlineData("Htable:Webhooks:nosuch", "http://127.0.0.1:9/hook", "Htable:Webhooks:nosuch")]
    [InlineData("Htable:WebhookAttempts", "0", "Htable:WebhookAttempts")]
    [InlineData("Htable:Tables:0", "a=>size=x", "Htable:Tables:0")]
    [InlineData("Cluster:Seeds:0", "akka.tcp://other@h:1", "Cluster:Seeds:0")]
    [InlineData("Htable:Bogus", "1", "Bogus")]
    [InlineData("Node:ClusterPort", "abc", "Node:ClusterPort")]
    [InlineData("Node:RpcBind", "node1", "Node:RpcBind")]
    [InlineData("Node:Host", "0.0.0.0", "Node:PublicHost")]
    [InlineData("FlatStore:Dir", "/nonexistent/htc-acc", "FlatStore:Dir")]
    [InlineData("FlatStore:Flush", "2", "FlatStore:Flush")]
    [InlineData("FlatStore:Enabled", "true", "FlatStore:Enabled")]
    [InlineData("FlatStore:FsyncIntervalMs", "-1", "FlatStore:FsyncIntervalMs")]
    public void Bad_values_name_the_key(string key, string value, string named)
    {
        var ex = Assert.Throws<OptionsException>(() => Load((key, value)));
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Replication_keys_bind_to_the_replication_options_themselves()
    {
        var s = Load(("Replication:RetransmitMiB", "2"), ("Replication:HeadsIntervalMs", "250"), ("Replication:TombstoneGraceSeconds", "60"));
        Assert.Equal(2L * 1024 * 1024, s.Replication.RetransmitBytes);
        Assert.Equal(TimeSpan.FromMilliseconds(250), s.Replication.HeadsInterval);
        Assert.Equal(TimeSpan.FromMinutes(1), s.Replication.TombstoneGrace);
        Assert.Equal(HTable.DefaultTombstoneGrace, Load().Replication.TombstoneGrace);
    }

    [Theory]
    [InlineData("Replication:NodeId")]
    [InlineData("Replication:RetransmitBytes")]
    [InlineData("Replication:InitSync")]
    public void Replication_values_the_node_derives_are_not_keys(string key)
    {
        var ex = Assert.Throws<OptionsException>(() => Load((key, "1")));
        Assert.Contains("Replication", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_table_names_are_refused()
    {
        var ex = Assert.Throws<OptionsException>(() => Load(("Htable:Tables:0", "a=>size=4"), ("Htable:Tables:1", "a=>size=5")));
        Assert.Contains("defined twice", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Kamailio_cfg_import()
    {
        var accDir = Directory.CreateTempSubdirectory("htc-acc-").FullName;
        var r = KamailioCfgImporter.Parse($$"""
            #!KAMAILIO
            loadmodule "htable.so"
            modparam("htable", "htable", "a=>size=8;autoexpire=0;dmqreplicate=1;")
            # modparam("htable", "htable", "commented=>size=4")
            modparam("htable", "htable", "b=>size=4;cols='k,v1,v2';dbtable=t")  // trailing comment
            modparam("htable", "db_url", "postgres://u:p@127.0.0.1/kamailio")
            modparam("htable", "timer_interval", 5)
            modparam("htable", "enable_dmq", 1)
            modparam("htable", "event_callback", "ksr_htable_event")
            modparam("acc", "db_url", "flatstore:{{accDir}}")
            modparam("db_flatstore", "flush", 0)
            modparam("tm", "fr_timer", 30000)
            """, "k.cfg");
        Assert.Equal("a=>size=8;autoexpire=0;dmqreplicate=1;", r.Values["Htable:Tables:0"]);
        Assert.Equal("b=>size=4;cols='k,v1,v2';dbtable=t", r.Values["Htable:Tables:1"]);
        Assert.False(r.Values.ContainsKey("Htable:Tables:2"));
        Assert.Equal("5", r.Values["Htable:TimerInterval"]);
        Assert.Equal("0", r.Values["Htable:DmqInitSync"]);
        Assert.Equal(accDir, r.Values["FlatStore:Dir"]);
        Assert.Equal("0", r.Values["FlatStore:Flush"]);
        // Kamailio flushes for any non-zero flush.
        Assert.Equal("1", KamailioCfgImporter.Parse("modparam(\"db_flatstore\", \"flush\", 7)", "k.cfg").Values["FlatStore:Flush"]);
        Assert.Contains(r.Notes, n => n.Contains("event_callback", StringComparison.Ordinal));

        var settings = NodeSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(r.Values).Build(), r.Notes);
        Assert.Equal(["k", "v1", "v2"], settings.Tables[1].Cols);
        Assert.Equal(accDir, settings.FlatStore.Dir);
        Assert.Equal(0, settings.FlatStore.Flush);
        Directory.Delete(accDir);
        Assert.Contains(settings.Notes, n => n.Contains("event_callback", StringComparison.Ordinal));
    }

    [Fact]
    public void Kamailio_cfg_block_comments_are_not_imported()
    {
        var r = KamailioCfgImporter.Parse("""
            /* disabled:
            modparam("htable", "htable", "old=>size=4")
            */
            modparam("htable", "htable", "new=>size=4") /* trailing */
            modparam("htable", "htable", "quoted=>size=4;dbtable=/*x*/")
            #!ifdef WITH_EXTRA
            modparam("htable", "htable", "extra=>size=4")
            #!endif
            """, "k.cfg");
        Assert.Equal("new=>size=4", r.Values["Htable:Tables:0"]);
        Assert.Equal("quoted=>size=4;dbtable=/*x*/", r.Values["Htable:Tables:1"]);
        // WITH_EXTRA is not defined: the preprocessor leaves the line out, as Kamailio does.
        Assert.False(r.Values.ContainsKey("Htable:Tables:2"));
        Assert.Equal("extra=>size=4", KamailioCfgImporter.Parse("#!define WITH_EXTRA\n" + "#!ifdef WITH_EXTRA\nmodparam(\"htable\", \"htable\", \"extra=>size=4\")\n#!endif\n", "k.cfg").Values["Htable:Tables:0"]);
    }

    [Fact]
    public void Kamailio_cfg_unknown_htable_parameter_is_a_warning()
    {
        var r = KamailioCfgImporter.Parse("modparam(\"htable\", \"hash_size\", 4)", "k.cfg");
        Assert.Contains(r.Notes, n => n.StartsWith(KamailioPreprocessor.WarningPrefix + "k.cfg:1: ", StringComparison.Ordinal) && n.Contains("hash_size", StringComparison.Ordinal));
    }

    [Fact]
    public void Command_line_beats_environment_beats_config_file()
    {
        var file = Path.Combine(Path.GetTempPath(), $"htc-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, """{"Node":{"RpcPort":7001,"ClusterPort":5001,"Host":"127.0.0.2"},"Htable":{"Tables":["f=>size=4","g=>size=4"]}}""");
        Environment.SetEnvironmentVariable("HTABLE_Node__ClusterPort", "5002");
        Environment.SetEnvironmentVariable("HTABLE_Node__RpcPort", "7002");
        try
        {
            var s = ServeCommand.Load(new Dictionary<string, string?> { ["Node:RpcPort"] = "7003", ["Htable:Tables:0"] = "cli=>size=4" },
                null, new FileInfo(file), tablesOnCommandLine: true);
            Assert.Equal(7003, s.Node.RpcPort);
            Assert.Equal(5002, s.Node.ClusterPort);
            Assert.Equal("127.0.0.2", s.Node.Host);
            Assert.Equal("cli", Assert.Single(s.Tables).Name);
        }
        finally
        {
            Environment.SetEnvironmentVariable("HTABLE_Node__ClusterPort", null);
            Environment.SetEnvironmentVariable("HTABLE_Node__RpcPort", null);
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("Replcation:WriteConcern", "Replcation:WriteConcern", "did you mean 'Replication'")]
    [InlineData("FlatStor:Dir", "FlatStor:Dir", "did you mean 'FlatStore'")]
    [InlineData("Nodes:RpcPort", "Nodes:RpcPort", "did you mean 'Node'")]
    [InlineData("Kamailio:Cfg", "Kamailio:Cfg", "the sections are Node, Cluster, Htable, Rpc, Replication, FlatStore, Resp, Admin, Logging")]
    [InlineData("WriteConcern", "'WriteConcern' = '1'", "is not a configuration section")]
    [InlineData("Node_RpcPort", "'Node_RpcPort' = '1'", "two underscores: HTABLE_Node__RpcPort")]
    public void Keys_under_an_unknown_section_are_refused_naming_the_key(string key, string named, string hint)
    {
        var ex = Assert.Throws<OptionsException>(() => Load((key, "1")));
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
        Assert.Contains(hint, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_section_from_the_environment_is_refused()
    {
        // HTABLE_Replcation__WriteConcern=1 used to start a node without write concern, without a word.
        Environment.SetEnvironmentVariable("HTABLE_Replcation__WriteConcern", "1");
        try
        {
            var ex = Assert.Throws<OptionsException>(() => ServeCommand.Load(new Dictionary<string, string?>(), null, null));
            Assert.Contains("'Replcation:WriteConcern' = '1'", ex.Message, StringComparison.Ordinal);
            Assert.Contains("did you mean 'Replication'", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("HTABLE_Replcation__WriteConcern", null);
        }
    }

    [Fact]
    public void Section_names_are_case_insensitive_and_logging_keys_are_accepted()
    {
        var s = Load(("replication:WriteConcern", "1"), ("Logging:LogLevel:Default", "Warning"), ("Logging:LogLevel:Akka", "debug"),
            ("Logging:Console:LogLevel:HTableCluster", "Error"));
        Assert.Equal(1, s.Replication.WriteConcern);
        Assert.Equal("Warning", s.Logging["LogLevel:Default"]);
        Assert.Equal("Error", s.Logging["Console:LogLevel:HTableCluster"]);
        Assert.Equal(Akka.Event.LogLevel.DebugLevel, LogLevels.AkkaLevel(s.Logging));
        Assert.Equal(Akka.Event.LogLevel.InfoLevel, LogLevels.AkkaLevel(Load(("Logging:LogLevel:Default", "Warning")).Logging));
        Assert.Equal(Akka.Event.LogLevel.InfoLevel, LogLevels.AkkaLevel(Load().Logging));
    }

    [Theory]
    [InlineData("Logging:LogLevel:Default", "Verbose")]
    [InlineData("Logging:LogLevel:Akka", "warn")]
    [InlineData("Logging:LogLevel:Default", "2")]
    [InlineData("Logging:Console:LogLevel:Default", "loud")]
    public void Bad_log_levels_are_refused_naming_the_key(string key, string value)
    {
        var ex = Assert.Throws<OptionsException>(() => Load((key, value)));
        Assert.Contains($"'{key}' = '{value}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Information", ex.Message, StringComparison.Ordinal);
    }
}
