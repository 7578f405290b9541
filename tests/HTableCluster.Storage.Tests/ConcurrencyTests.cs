using System.Globalization;
using System.Text;

namespace HTableCluster.Storage.Tests;

public class ConcurrencyTests
{
    private const int StableKeys = 64;
    private const int Writes = 200_000;

    // Value of write number n for a key: the key, the number, and a filler whose length and
    // character both depend on n, so a value mixed from two writes cannot pass Check.
    private static string ValueFor(string key, int n) =>
        string.Create(CultureInfo.InvariantCulture, $"{key}|{n}|") + new string((char)('a' + (n % 26)), n % 97);

    private static bool Check(string key, string value, int maxWritten)
    {
        var parts = value.Split('|');
        return parts.Length == 3
            && parts[0] == key
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            && n <= maxWritten
            && parts[2] == new string((char)('a' + (n % 26)), n % 97);
    }

    [Fact]
    public void Readers_never_see_missing_or_torn_items_while_one_writer_updates()
    {
        var table = TestTables.Create("t=>size=8", new ManualTime(), partitions: 4);
        var keys = Enumerable.Range(0, StableKeys).Select(i => "stable-" + i).ToArray();
        var keyBytes = keys.Select(Encoding.UTF8.GetBytes).ToArray();
        foreach (var key in keys)
            table.Set(key, ValueFor(key, 0));
        table.SetInt("counter", 0);

        var written = 0;
        var done = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();

        var writer = new Thread(() =>
        {
            for (var n = 1; n <= Writes; n++)
            {
                var key = keys[n % StableKeys];
                // Publish the number first so a reader never sees a value newer than "written".
                Volatile.Write(ref written, n);
                table.Set(key, ValueFor(key, n));
                // Churn other keys so the maps grow, fill with tombstones and rebuild under the readers.
                table.Set("churn-" + n, "x");
                if (n > 50)
                    table.Delete("churn-" + (n - 50));
                if (n % 16 == 0)
                    table.Add("counter", 1);
            }
            Volatile.Write(ref done, 1);
        });

        var readers = Enumerable.Range(0, 2).Select(r => new Thread(() =>
        {
            var i = r;
            long lastCounter = 0;
            while (Volatile.Read(ref done) == 0 || i < 20_000)
            {
                var idx = i++ % StableKeys;
                var max = Volatile.Read(ref written);
                var e = i % 2 == 0 ? table.Get(keys[idx]) : table.Get(keyBytes[idx]);
                if (e is null)
                {
                    failures.Enqueue("missing " + keys[idx]);
                    return;
                }
                if (e.IsInteger || e.Key != keys[idx] || !Check(keys[idx], e.StringValue!, Math.Max(max, Volatile.Read(ref written))))
                {
                    failures.Enqueue($"torn {keys[idx]}: {e.ValueText}");
                    return;
                }
                var c = table.Get("counter");
                if (c is null || !c.IsInteger || c.IntValue < lastCounter || c.IntValue > Writes / 16)
                {
                    failures.Enqueue("counter " + c?.ValueText);
                    return;
                }
                lastCounter = c.IntValue;
            }
        })).ToList();

        readers.ForEach(t => t.Start());
        writer.Start();
        writer.Join();
        readers.ForEach(t => t.Join());

        Assert.Empty(failures);
        foreach (var key in keys)
            Assert.True(Check(key, table.Get(key)!.StringValue!, Writes));
        Assert.Equal(Writes / 16, table.Get("counter")!.IntValue);
        Assert.Equal(StableKeys + 1 + 50, table.RawCount);
    }
}
