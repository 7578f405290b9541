using System.Diagnostics;
using HTableCluster.Node.Configuration;

namespace HTableCluster.Node.Tests;

/// <summary>
/// Tricky preprocessor input judged by the real Kamailio 5.6 (<c>kamailio -c</c>, installed by
/// test.sh): each config holds one <c>modparam("nosuchmod", ...)</c> line, which Kamailio refuses
/// when it reads it and ignores when the preprocessor drops it. The preprocessor here must keep
/// that line exactly when Kamailio reads it.
/// </summary>
public sealed class KamailioPreprocessorOracleTests : IDisposable
{
    private const string Marker = "modparam(\"nosuchmod\", \"x\", 1)";
    private readonly string _dir = Directory.CreateTempSubdirectory("htc-kcfg-oracle-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, string> Cases => new()
    {
        { "text after the name of #!ifdef", $"#!define A\n#!ifdef A trailing words\n{Marker}\n#!endif\n" },
        { "text after #!else makes it a comment", $"#!define A\n#!ifdef A\n#!else # note\n{Marker}\n#!endif\n" },
        { "#!endif inside a block comment of a skipped region", $"#!ifdef NOPE\n/* #!endif */\n{Marker}\n#!endif\n" },
        { "#!endif inside a line comment of a skipped region", $"#!ifdef NOPE\n# #!endif\n{Marker}\n" },
        { "#!ifdef inside a block comment", $"/* #!ifdef NOPE */\n{Marker}\n" },
        { "!! as #!", $"!!ifdef NOPE\n{Marker}\n!!endif\n" },
        { "nested regions in a skipped one", $"#!define X\n#!ifdef NOPE\n#!ifdef X\n#!else\n{Marker}\n#!endif\n#!endif\n" },
        { "nested #!ifndef with #!else", $"#!define X\n#!ifndef NOPE\n#!ifndef X\n#!else\n{Marker}\n#!endif\n#!endif\n" },
        { "MOD_ name after loadmodule", $"loadmodule \"htable.so\"\n#!ifdef MOD_htable\n{Marker}\n#!endif\n" },
        { "MOD_ name before loadmodule", $"#!ifdef MOD_htable\n{Marker}\n#!endif\nloadmodule \"htable.so\"\n" },
        { "KAMAILIO_5_6 is defined", $"#!ifdef KAMAILIO_5_6\n{Marker}\n#!endif\n" },
        { "#!trydef leaves a name defined without value defined", $"#!define A\n#!trydef A 1\n#!ifdef A\n{Marker}\n#!endif\n" },
        { "a define whose value is a string", $"#!define M \"nosuchmod\"\nmodparam(M, \"x\", 1)\n" },
        { "a define's value through another name", $"#!define M \"nosuchmod\"\n#!define N M\nmodparam(N, \"x\", 1)\n" },
        { "substdef changes later strings", $"#!substdef \"/MODNAME/nosuchmod/\"\nmodparam(\"MODNAME\", \"x\", 1)\n" },
        { "subst does not change earlier strings", "loadmodule \"htable.so\"\nmodparam(\"htable\", \"fetch_rows\", 100)\n#!subst \"/htable/nosuchmod/\"\n" },
        { "an include of a skipped region is not read", $"#!ifdef NOPE\ninclude_file \"marker.cfg\"\n#!endif\n" },
        { "an include is read", "include_file \"marker.cfg\"\n" },
        { "adjacent strings join", "modparam(\"nosuch\" \"mod\", \"x\", 1)\n" },
        { "a define continued on the next line", $"#!define M \"nosuch\" \\\n \"mod\"\nmodparam(M, \"x\", 1)\n" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_marker_is_kept_exactly_when_kamailio_reads_it(string name, string body)
    {
        _ = name;
        await File.WriteAllTextAsync(Path.Combine(_dir, "marker.cfg"), Marker + "\n");
        var cfg = Path.Combine(_dir, "k.cfg");
        await File.WriteAllTextAsync(cfg, "#!KAMAILIO\n" + body + "\nrequest_route { exit; }\n");

        var kamailioReadsIt = (await RunKamailioAsync(cfg)).Contains("No module matching <nosuchmod>", StringComparison.Ordinal);
        var tokens = new KamailioPreprocessor().Run(cfg);
        var keptHere = tokens.Any(t => t.Kind == CfgToken.TokenKind.String && t.Text == "nosuchmod");
        Assert.Equal(kamailioReadsIt, keptHere);
    }

    private static async Task<string> RunKamailioAsync(string cfg)
    {
        var exe = File.Exists("/usr/sbin/kamailio") ? "/usr/sbin/kamailio" : "kamailio";
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-c", "-f", cfg })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = p.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = p.StandardError.ReadToEndAsync(cts.Token);
        await p.WaitForExitAsync(cts.Token);
        var output = await stdout + await stderr;
        // Anything but our marker's refusal or success means the case itself is not valid Kamailio input.
        Assert.True(output.Contains("config file ok", StringComparison.Ordinal) || output.Contains("nosuchmod", StringComparison.Ordinal), output);
        return output;
    }
}
