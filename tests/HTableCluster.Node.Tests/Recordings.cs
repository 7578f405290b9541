using System.Text.Json;
using System.Text.RegularExpressions;

namespace HTableCluster.Node.Tests;

/// <summary>Loading and comparing the Kamailio recordings under tests/Conformance.</summary>
internal static partial class Recordings
{
    public static JsonElement Load(string file) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Conformance", file))).RootElement;

    public static JsonElement Case(JsonElement recording, string name) =>
        recording.GetProperty("cases").EnumerateArray().First(x => x.GetProperty("name").GetString() == name);

    /// <summary>Names of the recorded cases that are not listed in <paramref name="deviations"/>.</summary>
    public static TheoryData<string> Replayed(JsonElement recording, Func<string, bool> isDeviation)
    {
        var data = new TheoryData<string>();
        foreach (var c in recording.GetProperty("cases").EnumerateArray())
        {
            var name = c.GetProperty("name").GetString()!;
            if (!isDeviation(name))
                data.Add(name);
        }
        return data;
    }

    /// <summary>
    /// First difference between two JSON values (member order counts), or null. With
    /// <paramref name="looseExpire"/> an <c>expire</c> date only has to be a local date.
    /// </summary>
    public static string? Diff(JsonElement expected, JsonElement actual, string path = "$", bool looseExpire = false)
    {
        if (looseExpire && path.EndsWith(".expire", StringComparison.Ordinal) && expected.ValueKind == JsonValueKind.String
            && expected.GetString() != "NEVER")
        {
            return actual.ValueKind == JsonValueKind.String && DateText().IsMatch(actual.GetString()!)
                ? null : $"{path}: expected a local date, got {actual}";
        }
        if (expected.ValueKind != actual.ValueKind)
            return $"{path}: kind {actual.ValueKind}, expected {expected.ValueKind}";
        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                var e = expected.EnumerateObject().Select(p => p.Name).ToList();
                var a = actual.EnumerateObject().Select(p => p.Name).ToList();
                if (!e.SequenceEqual(a))
                    return $"{path}: members [{string.Join(',', a)}], expected [{string.Join(',', e)}]";
                foreach (var p in expected.EnumerateObject())
                {
                    if (Diff(p.Value, actual.GetProperty(p.Name), path + "." + p.Name, looseExpire) is { } d)
                        return d;
                }
                return null;
            case JsonValueKind.Array:
                if (expected.GetArrayLength() != actual.GetArrayLength())
                    return $"{path}: {actual.GetArrayLength()} elements, expected {expected.GetArrayLength()}";
                for (var i = 0; i < expected.GetArrayLength(); i++)
                {
                    if (Diff(expected[i], actual[i], $"{path}[{i}]", looseExpire) is { } d)
                        return d;
                }
                return null;
            case JsonValueKind.String:
                return expected.GetString() == actual.GetString() ? null : $"{path}: {actual.GetRawText()}, expected {expected.GetRawText()}";
            default:
                return expected.GetRawText() == actual.GetRawText() ? null : $"{path}: {actual.GetRawText()}, expected {expected.GetRawText()}";
        }
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")]
    private static partial Regex DateText();
}
