using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace HTableCluster.IntegrationTests;

/// <summary>
/// A bounded load (a fixed number of operations at a bounded rate) of sets, deletes, incs (table <c>r</c>) and flatstore inserts from writers bound
/// to one node each. Every key has one writer issuing its operations in order, so the final state
/// is known exactly from the acknowledged operations. An operation that was not acknowledged (an
/// error reply, a timeout, a refused connection) may or may not have been applied: its key is then
/// left alone (the writer goes on with a fresh key) and may end in either state.
/// </summary>
public sealed class ChaosLoad(string prefix, int writers, int keysPerWriter = 6)
{
    /// <summary>Each writer starts at most one operation per this interval (a bounded rate).</summary>
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(5);

    private const string FlatTable = "acc";
    private readonly ConcurrentDictionary<string, string?[]> _expected = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<(int Node, string Id)> _lines = [];
    private readonly ConcurrentQueue<string> _anomalies = new();
    private int _acknowledged;
    private int _unacknowledged;

    /// <summary>The flatstore table the load writes to.</summary>
    public static string Flat => FlatTable;

    /// <summary>Operations acknowledged (for a delete: applied or "not found").</summary>
    public int Acknowledged => _acknowledged;

    /// <summary>Operations that got an error or no answer (their outcome is open).</summary>
    public int Unacknowledged => _unacknowledged;

    /// <summary>Replies that contradict the acknowledged history (an inc's new value, a delete's "not found").</summary>
    public IReadOnlyCollection<string> Anomalies => _anomalies;

    /// <summary>Flatstore records acknowledged, by node.</summary>
    public IReadOnlyCollection<(int Node, string Id)> Lines => _lines;

    /// <summary>Runs until <paramref name="stop"/> or <paramref name="opsPerWriter"/> operations each.</summary>
    public Task RunAsync(int opsPerWriter, CancellationToken stop)
    {
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        var all = Enumerable.Range(0, writers).Select(w => Task.Run(() => WriterAsync(http, w, opsPerWriter, stop), CancellationToken.None));
        return Task.WhenAll(all).ContinueWith(_ => http.Dispose(), TaskScheduler.Default);
    }

    /// <summary>
    /// Keys of this load whose value on <paramref name="dump"/> is not one the acknowledged
    /// operations allow (null: every key is as expected).
    /// </summary>
    public string? Mismatch(IReadOnlyDictionary<string, string> dump)
    {
        var bad = new StringBuilder();
        foreach (var (key, allowed) in _expected)
        {
            var actual = dump.TryGetValue(key, out var v) ? v : null;
            if (!allowed.Contains(actual))
                bad.Append(CultureInfo.InvariantCulture, $"{key}={actual ?? "(absent)"} expected {string.Join(" or ", allowed.Select(a => a ?? "(absent)"))}; ");
        }
        foreach (var key in dump.Keys.Where(k => k.StartsWith(prefix + "-", StringComparison.Ordinal) && !_expected.ContainsKey(k)))
            bad.Append(CultureInfo.InvariantCulture, $"{key}={dump[key]} never written; ");
        return bad.Length == 0 ? null : bad.ToString();
    }

    /// <summary>Keys whose value on <paramref name="dump"/> contradicts an acknowledged write (lost writes).</summary>
    public int Lost(IReadOnlyDictionary<string, string> dump) =>
        _expected.Count(e => !e.Value.Contains(dump.TryGetValue(e.Key, out var v) ? v : null));

    private async Task WriterAsync(HttpClient http, int w, int ops, CancellationToken stop)
    {
        var node = w % 3 + 1;
        var url = new Uri(ChaosCluster.Url(node));
        var rnd = new Random(w * 7919 + prefix.Length);
        var gen = new int[keysPerWriter];
        var value = new string?[keysPerWriter];
        var counterGen = 0;
        var counter = 0L;
        string Key(int j) => $"{prefix}-w{w}-k{j}.{gen[j]}";
        string CounterKey() => $"{prefix}-w{w}-c.{counterGen}";
        var started = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < ops && !stop.IsCancellationRequested; i++)
        {
            var due = Pace * i - started.Elapsed;
            if (due > TimeSpan.Zero)
                await Task.Delay(due, CancellationToken.None);
            var r = rnd.Next(100);
            var j = rnd.Next(keysPerWriter);
            if (r < 45)
            {
                var v = "v" + i.ToString(CultureInfo.InvariantCulture);
                var (ok, _) = await CallAsync(http, url, "htable.sets", ChaosCluster.Table, Key(j), v);
                if (ok == Outcome.Acknowledged)
                {
                    value[j] = v;
                    _expected[Key(j)] = [v];
                }
                else
                {
                    Abandon(Key(j), value[j], v, () => { gen[j]++; value[j] = null; });
                }
            }
            else if (r < 60)
            {
                var (ok, _) = await CallAsync(http, url, "htable.delete", ChaosCluster.Table, Key(j));
                if (ok == Outcome.NotFound && value[j] is not null)
                    _anomalies.Enqueue($"delete {Key(j)} on node {node}: not found, but {value[j]} was acknowledged");
                if (ok is Outcome.Acknowledged or Outcome.NotFound)
                {
                    value[j] = null;
                    _expected[Key(j)] = [null];
                }
                else
                {
                    Abandon(Key(j), value[j], null, () => { gen[j]++; value[j] = null; });
                }
            }
            else if (r < 85)
            {
                var delta = 1 + rnd.Next(5);
                var (ok, result) = await CallAsync(http, url, "htable.inc", ChaosCluster.Table, CounterKey(), delta);
                if (ok == Outcome.Acknowledged)
                {
                    counter += delta;
                    if (result != counter.ToString(CultureInfo.InvariantCulture))
                        _anomalies.Enqueue($"inc {CounterKey()} on node {node} returned {result}, acknowledged incs sum to {counter}");
                    _expected[CounterKey()] = [counter.ToString(CultureInfo.InvariantCulture)];
                }
                else
                {
                    var before = counter == 0 ? null : counter.ToString(CultureInfo.InvariantCulture);
                    Abandon(CounterKey(), before, (counter + delta).ToString(CultureInfo.InvariantCulture), () => { counterGen++; counter = 0; });
                }
            }
            else
            {
                var id = $"{prefix}-w{w}-f{i}";
                var (ok, _) = await CallAsync(http, url, "flatstore.insert", FlatTable, id, "x", null);
                if (ok == Outcome.Acknowledged)
                    _lines.Add((node, id));
                else
                    Interlocked.Increment(ref _unacknowledged);
            }
        }
    }

    /// <summary>
    /// An operation on <paramref name="key"/> was not acknowledged: the key may hold
    /// <paramref name="before"/> or <paramref name="attempted"/>; the writer moves on to a fresh key.
    /// </summary>
    private void Abandon(string key, string? before, string? attempted, Action next)
    {
        Interlocked.Increment(ref _unacknowledged);
        _expected[key] = [before, attempted];
        next();
    }

    private async Task<(Outcome Outcome, string? Result)> CallAsync(HttpClient http, Uri url, string method, params object?[] parameters)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, object?> { ["jsonrpc"] = "2.0", ["method"] = method, ["params"] = parameters, ["id"] = 1 });
        try
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(url, content);
            var reply = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            if (reply.TryGetProperty("result", out var result))
            {
                Interlocked.Increment(ref _acknowledged);
                return (Outcome.Acknowledged, result.ToString());
            }
            if (method == "htable.delete" && reply.TryGetProperty("error", out var e) && e.TryGetProperty("code", out var c) && c.GetInt32() == 404)
            {
                Interlocked.Increment(ref _acknowledged);
                return (Outcome.NotFound, null);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or IOException)
        {
        }
        await Task.Delay(100); // an unreachable or failing node: do not spin
        return (Outcome.Failed, null);
    }

    private enum Outcome
    {
        Acknowledged,
        NotFound,
        Failed,
    }
}
