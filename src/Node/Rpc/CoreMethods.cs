using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;

namespace HTableCluster.Node.Rpc;

/// <summary>
/// Kamailio's <c>core.version</c> and <c>core.uptime</c>, which Kamailio's tools and monitoring call
/// first, in Kamailio 5.6's shapes with this product's name, version and uptime. Recorded from
/// 5.6.3: <c>"kamailio 5.6.3 (x86_64/linux) "</c> and
/// <c>{"now":"Fri Dec  4 01:01:55 2026","up_since":"Fri Dec  4 01:01:53 2026","uptime":2}</c>
/// (C's <c>ctime</c> in local time, whole seconds).
/// </summary>
public sealed class CoreMethods
{
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _started;

    /// <summary>Starts counting the uptime now.</summary>
    public CoreMethods(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _started = time.GetUtcNow();
    }

    /// <summary>The version string: name, version, architecture and OS, with Kamailio's trailing space.</summary>
    public static string VersionText { get; } =
        $"htcluster {ProductVersion()} ({Architecture()}/{OperatingSystemName()}) ";

    /// <summary>The methods.</summary>
    public IEnumerable<RpcMethod> Methods()
    {
        yield return new("core.version", "Returns the version string of the server.", false, (_, _) => RpcReply.Ok(VersionText).AsTask());
        yield return new("core.uptime", "Returns uptime of SIP server.", false, Uptime);
    }

    /// <summary>C's <c>ctime</c> layout without its newline, e.g. <c>Fri Dec  4 01:01:55 2026</c>.</summary>
    public static string CTime(DateTime local) =>
        string.Create(CultureInfo.InvariantCulture, $"{local:ddd MMM} {local.Day,2} {local:HH:mm:ss yyyy}");

    private ValueTask<RpcReply> Uptime(RpcParams p, WriteSink sink)
    {
        var now = _time.GetUtcNow();
        var zone = _time.LocalTimeZone;
        var result = new RpcObject()
            .With("now", CTime(TimeZoneInfo.ConvertTime(now, zone).DateTime))
            .With("up_since", CTime(TimeZoneInfo.ConvertTime(_started, zone).DateTime))
            .With("uptime", (long)(now - _started).TotalSeconds);
        return RpcReply.Ok(result).AsTask();
    }

    private static string ProductVersion()
    {
        var info = typeof(CoreMethods).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = info.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? info : info[..plus];
    }

    private static string OperatingSystemName() =>
        OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsMacOS() ? "darwin" : OperatingSystem.IsWindows() ? "windows" : "unknown";

    // Kamailio names the machine as uname does.
    private static string Architecture() => RuntimeInformation.ProcessArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "x86_64",
        System.Runtime.InteropServices.Architecture.X86 => "i386",
        System.Runtime.InteropServices.Architecture.Arm64 => "aarch64",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        var other => other.ToString().ToLowerInvariant(),
    };
}
