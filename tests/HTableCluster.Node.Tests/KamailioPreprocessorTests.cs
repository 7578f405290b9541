using HTableCluster.Node.Configuration;

namespace HTableCluster.Node.Tests;

/// <summary>
/// The kamailio.cfg preprocessor as Kamailio 5.6 reads its directives (checked against
/// <c>kamailio --cfg-print</c> where the behaviour is surprising), through the importer's output.
/// </summary>
public sealed class KamailioPreprocessorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("htc-kcfg-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private KamailioCfgImporter.Result Import(string text, params string[] defines) =>
        KamailioCfgImporter.Import(Write("kamailio.cfg", text), defines.Select(d => d.Split('=', 2) is var p && p.Length == 2
            ? new KeyValuePair<string, string?>(p[0], p[1])
            : new KeyValuePair<string, string?>(d, null)));

    // A note without its warning prefix (configs here often have no loadmodule, which adds one).
    private static string Plain(string note) =>
        note.StartsWith(KamailioPreprocessor.WarningPrefix, StringComparison.Ordinal) ? note[KamailioPreprocessor.WarningPrefix.Length..] : note;

    private static string[] Tables(KamailioCfgImporter.Result r) =>
        [.. r.Values.Where(kv => kv.Key.StartsWith("Htable:Tables:", StringComparison.Ordinal)).OrderBy(kv => int.Parse(kv.Key["Htable:Tables:".Length..], System.Globalization.CultureInfo.InvariantCulture)).Select(kv => kv.Value!)];

    [Fact]
    public void Defined_names_are_replaced_as_whole_names_outside_strings()
    {
        var r = Import("""
            #!define DBURL "postgres://u:p@127.0.0.1/kamailio"
            #!def SIZE 8
            #!define EMPTY
            #!define NAME_ALIAS DBURL
            loadmodule "htable.so"
            modparam("htable", "db_url", NAME_ALIAS)
            modparam("htable", "htable", "DBURL=>size=4")
            modparam("htable", "fetch_rows", SIZE)
            modparam("htable", "timer_interval", EMPTY 7)
            """);
        Assert.Equal("postgres://u:p@127.0.0.1/kamailio", r.Values["Htable:DbUrl"]);
        Assert.Equal(["DBURL=>size=4"], Tables(r));
        Assert.Equal("8", r.Values["Htable:FetchRows"]);
        Assert.Equal("7", r.Values["Htable:TimerInterval"]);
        Assert.Equal("kamailio.cfg:6 (NAME_ALIAS, defined at kamailio.cfg:4; DBURL, defined at kamailio.cfg:1)", r.Origins["Htable:DbUrl"]);
    }

    [Fact]
    public void Trydef_redefine_undef_and_define_twice()
    {
        var r = Import("""
            #!trydef A "first"
            #!trydef A "second"
            #!define B "b1"
            #!redefine B "b2"
            #!define C "c"
            #!undef C
            #!ifdef C
            modparam("htable", "htable", "c=>size=4")
            #!endif
            modparam("htable", "key_name_column", A)
            modparam("htable", "key_type_column", B)
            """);
        Assert.Equal("first", r.Values["Htable:KeyNameColumn"]);
        Assert.Equal("b2", r.Values["Htable:KeyTypeColumn"]);
        Assert.Empty(Tables(r));

        var ifexp = Assert.Throws<FormatException>(() => Import("#!ifexp A == 1\n#!endif\n"));
        Assert.StartsWith("kamailio.cfg:1: #!ifexp (an expression directive of Kamailio master) is not supported", ifexp.Message, StringComparison.Ordinal);
        // In a skipped region it nests, so its #!endif does not end the outer region.
        Assert.Empty(Tables(Import("#!ifdef NOPE\n#!ifexp A == 1\n#!endif\nmodparam(\"htable\", \"htable\", \"x=>size=4\")\n#!endif\n")));

        var undef = Assert.Throws<FormatException>(() => Import("#!tryundef NOPE\n#!undef NOPE\n"));
        Assert.StartsWith("kamailio.cfg:2: NOPE is not defined, cannot #!undef it", undef.Message, StringComparison.Ordinal);

        var self = Assert.Throws<FormatException>(() => Import("#!define A A A\nmodparam(\"htable\", \"db_url\", A)\n"));
        Assert.StartsWith("kamailio.cfg:2: A expands into itself", self.Message, StringComparison.Ordinal);

        var ex = Assert.Throws<FormatException>(() => Import("#!define A 1\n\n#!define A 2\n"));
        Assert.StartsWith("kamailio.cfg:3: A is already defined (at kamailio.cfg:1)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nested_conditions_with_else_and_command_line_defines()
    {
        const string Cfg = """
            #!ifdef WITH_A
              #!ifndef WITH_B
            modparam("htable", "htable", "a_not_b=>size=4")
              #!else
            modparam("htable", "htable", "a_and_b=>size=4")
                #!ifdef WITH_C
            modparam("htable", "htable", "never=>size=4")
                #!endif
              #!endif
            #!else
            modparam("htable", "htable", "not_a=>size=4")
            #!endif
            #!ifdef KAMAILIO_5_6
            modparam("htable", "htable", "v56=>size=4")
            #!endif
            """;
        Assert.Equal(["not_a=>size=4", "v56=>size=4"], Tables(Import(Cfg)));
        Assert.Equal(["a_not_b=>size=4", "v56=>size=4"], Tables(Import(Cfg, "WITH_A")));
        Assert.Equal(["a_and_b=>size=4", "v56=>size=4"], Tables(Import(Cfg, "WITH_A", "WITH_B=1")));
    }

    [Fact]
    public void An_unclosed_ifdef_is_an_error_and_text_after_endif_makes_a_comment_as_in_kamailio()
    {
        var ex = Assert.Throws<FormatException>(() => Import("\n#!ifdef X\nmodparam(\"htable\", \"htable\", \"a=>size=4\")\n"));
        Assert.StartsWith("kamailio.cfg:2: #!ifdef X has no #!endif", ex.Message, StringComparison.Ordinal);

        // kamailio --cfg-print shows "#!else # note" kept as a comment: both branches are read.
        var r = Import("""
            #!ifdef X
            #!else # note
            modparam("htable", "htable", "b=>size=4")
            #!endif
            """, "X");
        Assert.Equal(["b=>size=4"], Tables(r));
        Assert.Contains(r.Notes, n => n.StartsWith(KamailioPreprocessor.WarningPrefix + "kamailio.cfg:2: text after #!else", StringComparison.Ordinal));
    }

    [Fact]
    public void Subst_applies_to_later_strings_and_substdef_defines_the_name()
    {
        var r = Import("""
            modparam("htable", "key_value_column", "DBHOST")
            #!subst "/DBHOST/db.example.org/g"
            #!substdef "/TBLSIZE/6/"
            #!substdefs "/COLNAME/key_id/"
            #!subst "/^(t)([0-9])$/\2\1/"
            modparam("htable", "db_url", "postgres://u:p@DBHOST:5432/DBHOST")
            modparam("htable", "htable", "t=>size=TBLSIZE")
            modparam("htable", "fetch_rows", TBLSIZE)
            modparam("htable", "key_name_column", COLNAME)
            modparam("htable", "key_type_column", "t7")
            """);
        Assert.Equal("DBHOST", r.Values["Htable:KeyValueColumn"]);
        Assert.Equal("postgres://u:p@db.example.org:5432/db.example.org", r.Values["Htable:DbUrl"]);
        Assert.Equal(["t=>size=6"], Tables(r));
        Assert.Equal("6", r.Values["Htable:FetchRows"]);
        Assert.Equal("key_id", r.Values["Htable:KeyNameColumn"]);
        Assert.Equal("7t", r.Values["Htable:KeyTypeColumn"]);

        var ex = Assert.Throws<FormatException>(() => Import("\n#!subst \"/a/b/x\"\n"));
        Assert.StartsWith("kamailio.cfg:2: unknown flag 'x'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Includes_resolve_beside_the_including_file_and_errors_name_the_file_that_holds_the_line()
    {
        Write("conf/tables.cfg", """
            # tables
            modparam("htable", "htable", "inc=>size=4")
            include_file "more/deeper.cfg"
            """);
        Write("conf/more/deeper.cfg", "#!define DEEP \"deep\"\nmodparam(\"htable\", \"key_name_column\", DEEP)\n");
        var r = Import("""
            import_file "absent-local.cfg"
            #!include_file "conf/tables.cfg"
            modparam("htable", "key_type_column", DEEP)
            """);
        Assert.Equal(["inc=>size=4"], Tables(r));
        Assert.Equal("deep", r.Values["Htable:KeyNameColumn"]);
        Assert.Equal("deep", r.Values["Htable:KeyTypeColumn"]);
        Assert.Contains(r.Notes, n => n.StartsWith("kamailio.cfg:1: import_file absent-local.cfg not found", StringComparison.Ordinal));
        Assert.Contains(r.Notes, n => Plain(n).StartsWith("conf/tables.cfg:2: modparam(\"htable\", \"htable\", \"inc=>size=4\"): read as Htable:Tables:0", StringComparison.Ordinal));
        Assert.Contains(r.Notes, n => Plain(n).StartsWith("conf/more/deeper.cfg:2: ", StringComparison.Ordinal));

        var missing = Assert.Throws<FormatException>(() => Import("\ninclude_file \"absent.cfg\"\n"));
        Assert.StartsWith("kamailio.cfg:2: cannot open included file absent.cfg", missing.Message, StringComparison.Ordinal);

        Write("conf/bad.cfg", "\n\nmodparam(\"htable\", \"db_url\", NOT_DEFINED)\n");
        var undefined = Assert.Throws<FormatException>(() => Import("include_file \"conf/bad.cfg\"\n"));
        Assert.StartsWith("conf/bad.cfg:3: modparam(\"htable\", \"db_url\", NOT_DEFINED): 'NOT_DEFINED' is not defined", undefined.Message, StringComparison.Ordinal);

        Write("loop.cfg", "include_file \"loop.cfg\"\n");
        var loop = Assert.Throws<FormatException>(() => Import("include_file \"loop.cfg\"\n"));
        Assert.Contains("too many nested includes", loop.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Statements_span_lines_strings_join_and_numbers_take_kamailio_forms()
    {
        var r = Import("""
            /* modparam("htable", "htable", "commented=>size=4")
               /* nested */ still comment */
            modparam("htable",
                "htable",
                "long=>size=4;"
                "autoexpire=60")  // trailing comment
            modparam("htable", "fetch_rows", 0x10) modparam("htable", "enable_dmq", yes)
            modparam("htable", "db_expires", off); modparam("htable", "timer_interval", 010)
            modparam("db_flatstore", "flush", -1)
            modparam("htable", "htable", 'single=>size=4')
            """);
        Assert.Equal(["long=>size=4;autoexpire=60", "single=>size=4"], Tables(r));
        Assert.Equal("16", r.Values["Htable:FetchRows"]);
        Assert.Equal("1", r.Values["Htable:EnableDmq"]);
        Assert.Equal("0", r.Values["Htable:DbExpires"]);
        Assert.Equal("8", r.Values["Htable:TimerInterval"]);
        Assert.Equal("1", r.Values["FlatStore:Flush"]);
        Assert.Contains(r.Notes, n => Plain(n).StartsWith("kamailio.cfg:3: modparam(\"htable\", \"htable\", \"long=>size=4;autoexpire=60\")", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_modparam_of_the_four_modules_is_noted_once_and_unknown_htable_parameters_warn()
    {
        var r = Import("""
            loadmodule "htable.so"
            loadmodule "acc.so"
            loadmodule "dmq.so"
            modparam("htable", "htable", "a=>size=4")
            modparam("htable", "timer_procs", 2)
            modparam("htable", "dmq_peer_id", "htable_6.1.1")
            modparam("htable", "future_param", "x")
            modparam("acc", "db_url", "mysql://k:secret@localhost/k")
            modparam("acc", "log_flag", 1)
            modparam("dmq", "server_address", "sip:127.0.0.1:5090")
            modparam("tm", "fr_timer", 30000)
            modparam("db_flatstore", "flush", 1)
            """);
        var modNotes = r.Notes.Where(n => n.Contains("modparam(", StringComparison.Ordinal)).ToList();
        Assert.Equal(8, modNotes.Count);
        Assert.Equal(8, modNotes.Select(n => Plain(n).Split(": ")[0]).Distinct().Count());
        Assert.Contains(modNotes, n => n.StartsWith("kamailio.cfg:6: ", StringComparison.Ordinal) && n.Contains("dmq_peer_id", StringComparison.Ordinal)
            && n.Contains("Cluster:Seeds", StringComparison.Ordinal) && n.Contains("htable:<table>", StringComparison.Ordinal));
        Assert.Contains(modNotes, n => n.StartsWith(KamailioPreprocessor.WarningPrefix + "kamailio.cfg:7: ", StringComparison.Ordinal) && n.Contains("unknown htable parameter 'future_param'", StringComparison.Ordinal));
        Assert.Contains(modNotes, n => n.StartsWith("kamailio.cfg:8: ", StringComparison.Ordinal) && n.Contains("k:***@", StringComparison.Ordinal) && !n.Contains("secret", StringComparison.Ordinal));
        Assert.Contains(modNotes, n => n.StartsWith("kamailio.cfg:10: modparam(\"dmq\"", StringComparison.Ordinal));
        // db_flatstore was not loaded: Kamailio would stop there.
        Assert.Contains(modNotes, n => n.StartsWith(KamailioPreprocessor.WarningPrefix + "kamailio.cfg:12: ", StringComparison.Ordinal) && n.Contains("no loadmodule \"db_flatstore.so\"", StringComparison.Ordinal));
        Assert.DoesNotContain(r.Notes, n => n.Contains("fr_timer", StringComparison.Ordinal));
        Assert.False(r.Values.ContainsKey("FlatStore:Dir"));
    }

    [Fact]
    public void A_dbtable_table_without_db_url_warns()
    {
        var r = Import("""
            modparam("htable", "htable", "plain=>size=4")
            modparam("htable", "htable", "fromdb=>size=4;dbtable=location")
            """);
        var warning = Assert.Single(r.Notes, n => n.StartsWith(KamailioPreprocessor.WarningPrefix, StringComparison.Ordinal) && n.Contains("dbtable", StringComparison.Ordinal) && n.Contains("db_url", StringComparison.Ordinal));
        Assert.StartsWith(KamailioPreprocessor.WarningPrefix + "kamailio.cfg:2: this table has a dbtable", warning, StringComparison.Ordinal);
        Assert.DoesNotContain(Import("""
            #!define DBURL "postgres://u@h/db"
            modparam("htable", "db_url", DBURL)
            modparam("htable", "htable", "fromdb=>size=4;dbtable=location")
            """).Notes, n => n.Contains("has a dbtable", StringComparison.Ordinal));
    }

    [Fact]
    public void Mangled_configs_give_a_format_error_or_a_result_never_another_exception()
    {
        var original = File.ReadAllText("/etc/kamailio/kamailio.cfg");
        string[] pieces = ["\"", "'", "#!", "#!ifdef X\n", "#!endif\n", "#!else\n", "/*", "*/", "$(", "(", ")", "\\\n", "#!define D D\n",
            "#!subst \"/a/b/\"\n", "include_file \"x.cfg\"\n", "import_file \"kamailio.cfg\"\n", "modparam(\"htable\", \"htable\", D)", "\n", "0x", "#!trydef DBURL \"s\"\n"];
        var random = new Random(20261207);
        var outcomes = new Dictionary<string, int>();
        for (var i = 0; i < 300; i++)
        {
            var text = original;
            for (var edits = random.Next(1, 6); edits > 0; edits--)
            {
                var at = random.Next(text.Length);
                text = random.Next(3) == 0 ? text.Remove(at, Math.Min(random.Next(1, 40), text.Length - at)) : text.Insert(at, pieces[random.Next(pieces.Length)]);
            }
            var path = Write("kamailio.cfg", text);
            string outcome;
            try
            {
                KamailioCfgImporter.Import(path, [new("WITH_ANTIFLOOD", null), new("WITH_MYSQL", null)]);
                outcome = "imported";
            }
            catch (FormatException ex)
            {
                Assert.Matches(@"^[^\n]+$", ex.Message); // one line
                outcome = "refused";
            }
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }
        // Both outcomes occur: the mangling reaches the preprocessor's error paths and leaves some files usable.
        Assert.True(outcomes.GetValueOrDefault("imported") > 0 && outcomes.GetValueOrDefault("refused") > 0, string.Join(", ", outcomes));
    }

    [Fact]
    public void A_malformed_modparam_names_file_and_line()
    {
        var ex = Assert.Throws<FormatException>(() => Import("\nmodparam(\"htable\", \"htable\" \"a=>size=4\")\n"));
        Assert.StartsWith("kamailio.cfg:2: modparam: ", ex.Message, StringComparison.Ordinal);
        var unterminated = Assert.Throws<FormatException>(() => Import("\n\nmodparam(\"htable\", \"htable\", \"a=>size=4)\n"));
        Assert.StartsWith("kamailio.cfg:3: string not closed", unterminated.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Kamailio_define_option_needs_kamailio_cfg_and_defines_names()
    {
        var path = Write("k.cfg", "#!ifdef WITH_T\nmodparam(\"htable\", \"htable\", T)\n#!endif\n");
        var s = ServeCommand.Load(new Dictionary<string, string?>(), new FileInfo(path), null, kamailioDefines: ["WITH_T", "T=\"t=>size=5;autoexpire=9\""]);
        var t = Assert.Single(s.Tables);
        Assert.Equal(("t", 5, 9), (t.Name, t.Size, t.AutoExpire));
        Assert.Throws<OptionsException>(() => ServeCommand.Load(new Dictionary<string, string?>(), null, null, kamailioDefines: ["WITH_T"]));
        var bad = Assert.Throws<FormatException>(() => ServeCommand.Load(new Dictionary<string, string?>(), new FileInfo(path), null, kamailioDefines: ["1X"]));
        Assert.Contains("--kamailio-define '1X'", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_value_from_the_cfg_is_reported_at_its_line()
    {
        var path = Write("k.cfg", "\n\nmodparam(\"htable\", \"htable\", \"a=>size=x\")\n");
        var ex = Assert.Throws<FormatException>(() => ServeCommand.Load(new Dictionary<string, string?>(), new FileInfo(path), null));
        Assert.StartsWith("k.cfg:3: invalid configuration 'Htable:Tables:0'", ex.Message, StringComparison.Ordinal);
    }
}
