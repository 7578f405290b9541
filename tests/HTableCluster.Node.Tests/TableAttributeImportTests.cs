using HTableCluster.Node.Configuration;

namespace HTableCluster.Node.Tests;

/// <summary>Table attributes of newer Kamailio versions in an imported kamailio.cfg and in our own configuration.</summary>
public sealed class TableAttributeImportTests
{
    private static NodeSettings LoadCfg(string cfg, IDictionary<string, string?>? commandLine = null, bool tablesOnCommandLine = false)
    {
        var file = Path.Combine(Path.GetTempPath(), $"htc-{Guid.NewGuid():N}.cfg");
        File.WriteAllText(file, cfg);
        try
        {
            return ServeCommand.Load(commandLine ?? new Dictionary<string, string?>(), new FileInfo(file), null, tablesOnCommandLine);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void An_imported_definition_with_reloadat_and_an_unknown_attribute_loads_with_a_warning_naming_it()
    {
        var s = LoadCfg("""
            loadmodule "htable.so"
            modparam("htable", "htable", "a=>size=4;dbtable=htable_a;reloadat=60;shiny=5;")
            modparam("htable", "htable", "b=>size=5")
            """);

        Assert.Equal(["a", "b"], s.Tables.Select(t => t.Name));
        Assert.Equal(60, s.Tables[0].ReloadAt);
        Assert.Equal("htable_a", s.Tables[0].DbTable);
        var warning = Assert.Single(s.Warnings);
        Assert.Contains("table a", warning, StringComparison.Ordinal);
        Assert.Contains("'shiny=5'", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void An_imported_definition_with_a_bad_value_of_a_known_attribute_is_still_refused()
    {
        // Refused naming the file and line it came from (the OptionsException inside names the key).
        var ex = Assert.Throws<FormatException>(() => LoadCfg("""modparam("htable", "htable", "a=>size=4;reloadat=soon")"""));
        Assert.Contains(".cfg:1: invalid configuration 'Htable:Tables:0'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("attribute 'reloadat'", ex.Message, StringComparison.Ordinal);
        Assert.IsType<OptionsException>(ex.InnerException);
    }

    [Fact]
    public void On_our_own_command_line_an_unknown_attribute_is_an_error_naming_it()
    {
        var ex = Assert.Throws<OptionsException>(() => LoadCfg(
            """modparam("htable", "htable", "a=>size=4;shiny=5")""",
            new Dictionary<string, string?> { ["Htable:Tables:0"] = "c=>size=4;autoexpir=60" },
            tablesOnCommandLine: true));
        Assert.Contains("Htable:Tables:0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("unknown attribute 'autoexpir'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Imported_and_command_line_tables_merge_by_index_each_with_its_own_rule()
    {
        // The imported definitions are merged by index with the command line's when it has no list.
        var s = LoadCfg("""modparam("htable", "htable", "a=>size=4;shiny=5")""",
            new Dictionary<string, string?> { ["Htable:Tables:1"] = "c=>size=4;reloadat=5" });
        Assert.Equal(["a", "c"], s.Tables.Select(t => t.Name));
        Assert.Equal(5, s.Tables[1].ReloadAt);
        Assert.Single(s.Warnings);
    }
}
