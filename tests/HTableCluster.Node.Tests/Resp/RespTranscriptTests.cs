namespace HTableCluster.Node.Tests.Resp;

/// <summary>
/// The same scripts against redis-server 7.0 and against the node's handlers, reply by reply. A line
/// starting with <c>sorted:</c> compares its array (or SCAN's key list) sorted: the order of keys
/// is the store's own in both. A line starting with <c>ttl:</c> accepts a positive TTL one second
/// apart (rounding to the nearest second, after a pause on one side).
/// </summary>
public sealed class RespTranscriptTests(RespTestNode node, RedisReplyReference redis) : IClassFixture<RespTestNode>, IClassFixture<RedisReplyReference>
{
    public const string Strings = """
        FLUSHALL
        SET k v
        GET k
        GET nokey
        SET k v2 NX
        SET k v3 XX GET
        SET n1 v XX
        SET n1 v XX GET
        SET k v EX 0
        SET k v EX -1
        SET k v PX abc
        SET k v EX 10 PX 10
        SET k v NX XX
        SET k v KEEPTTL EX 5
        SET k v EX 5 KEEPTTL
        SET k v EX 9999999999999999
        SET k v PX 9223372036854775807
        SET k v EX 10 EX 20
        SET k v EXAT 1
        GET k
        SET k v GET NX
        SET k v NX GET
        SET k v FOO
        SET k v EX
        set k v ex 100
        ttl: TTL k
        SET k v2 KEEPTTL
        ttl: TTL k
        SET k v3
        ttl: TTL k
        SET k v PXAT 99999999999999
        PEXPIRETIME k
        SETNX k x
        SETNX k2 x
        SETEX k3 0 v
        SETEX k3 abc v
        SETEX k3 10 v
        ttl: TTL k3
        PSETEX k4 0 v
        PSETEX k4 1000 v
        GETSET k new
        GETSET nope new
        GETDEL nope2
        GETDEL nope
        GETDEL nope
        GETEX k3 EX 0
        GETEX k3 PERSIST
        ttl: TTL k3
        GETEX k3 EX 20 PX 5
        GETEX k3 EX 20 PERSIST
        GETEX k3 NX
        GETEX k3 EX 30
        ttl: TTL k3
        GETEX k3 PXAT 1
        EXISTS k3
        GETEX nope EX 10
        GETEX k2 FOO
        GETEX k2
        MGET k2 nope k
        MSET a 1 b
        MSET a 1 b 2
        MGET a b
        MSETNX a 1 c 3
        MSETNX c 3 d 4
        MSETNX
        MGET c d
        INCR a
        INCR k2
        INCRBY a abc
        INCRBY a 9223372036854775807
        INCRBY a +1
        INCRBY nn -5
        DECR nn
        DECRBY nn 3
        DECRBY nn -9223372036854775808
        DECRBY nn 9223372036854775807
        SET big 9223372036854775807
        INCR big
        SET small -9223372036854775808
        DECR small
        SET sp " 10"
        INCR sp
        SET z 010
        INCR z
        SET neg -0
        INCR neg
        INCRBYFLOAT f 1.5
        INCRBYFLOAT f abc
        INCRBYFLOAT f 1e400
        GET f
        INCRBYFLOAT k2 1
        INCRBYFLOAT a 0.1
        INCRBYFLOAT a -0.1
        INCR a
        SET fl 3.0
        INCRBYFLOAT fl 1
        INCRBYFLOAT x 1000.1
        INCRBYFLOAT y 0.1
        INCRBYFLOAT y 0.2
        INCRBYFLOAT z2 123456789.123
        INCRBYFLOAT w 1e20
        INCRBYFLOAT v 3.14159e-10
        INCRBYFLOAT u 5.
        INCRBYFLOAT u .5
        INCRBYFLOAT u " 1"
        INCRBYFLOAT u inf
        INCRBYFLOAT u 1e-30
        INCRBYFLOAT u -21.5
        INCRBYFLOAT t -2.5
        INCRBYFLOAT nan nan
        SET s 1.5abc
        INCRBYFLOAT s 1
        APPEND ap hello
        APPEND ap " world"
        STRLEN ap
        STRLEN nope
        STRLEN a
        APPEND a 5
        GET a
        INCR a
        GETRANGE ap 0 4
        GETRANGE ap -5 -1
        GETRANGE ap 5 2
        GETRANGE ap -1 -5
        GETRANGE ap 0 100
        GETRANGE ap -100 2
        GETRANGE nope 0 1
        GETRANGE ap a b
        GETRANGE a 0 0
        SUBSTR ap 0 2
        SETRANGE sr 5 hi
        GET sr
        SETRANGE sr -1 x
        SETRANGE sr 0 ""
        SETRANGE nope2 0 ""
        EXISTS nope2
        SETRANGE sr 536870912 x
        SETRANGE sr abc x
        SETRANGE sr 2 XY
        GET sr
        SET bin "a\x00b\xffc"
        GET bin
        STRLEN bin
        APPEND bin "\x01"
        GETRANGE bin 1 3
        LCS nope1 nope2
        SET la ohmytext
        SET lb mynewtext
        LCS la lb
        LCS la lb LEN
        LCS la lb IDX
        LCS la lb IDX MINMATCHLEN 4
        LCS la lb IDX MINMATCHLEN 4 WITHMATCHLEN
        LCS la lb IDX WITHMATCHLEN
        LCS la lb LEN IDX
        LCS la lb FOO
        LCS la lb MINMATCHLEN
        LCS la lb MINMATCHLEN x
        LCS la lb MINMATCHLEN -3 IDX
        LCS la lb WITHMATCHLEN
        LCS la nope
        LCS la nope IDX
        LCS la
        SET lc "the quick brown fox"
        SET ld "a quick brown dog jumps"
        LCS lc ld IDX WITHMATCHLEN
        INCRBYFLOAT hx 0x10
        INCRBYFLOAT hx 0x1.8p1
        INCRBYFLOAT hx -0X.8P-2
        INCRBYFLOAT hx 0x
        INCRBYFLOAT hx 0x1p
        GET
        SET k
        GETEX
        """;

    public const string Keys = """
        FLUSHALL
        MSET a 1 b 2 c hello
        DEL a nope b
        DEL a
        EXISTS a c c nope
        UNLINK c
        TYPE c
        SET c hello
        TYPE c
        TYPE nope
        RENAME nope x
        RENAME c d
        GET d
        EXISTS c
        RENAME d d
        RENAME nope nope
        SET e 1
        RENAMENX d e
        RENAMENX d f
        RENAMENX nope g
        RENAMENX f f
        GET f
        EXPIRE f 100
        RENAME f h
        ttl: TTL h
        RENAME h f
        COPY f g
        ttl: TTL g
        COPY f g
        SET f other
        COPY f g REPLACE
        GET g
        COPY f g DB 2
        COPY f g DB 2
        COPY f g DB 2 REPLACE
        COPY f g DB 99
        COPY f g DB x
        COPY f g DB
        COPY f g FOO
        COPY f f
        COPY nope g
        COPY nope nope
        TOUCH f g nope
        FLUSHDB
        RANDOMKEY
        DBSIZE
        SET only one
        RANDOMKEY
        DBSIZE
        MSET k1 1 k2 2 user:1 x k10 y
        DBSIZE
        sorted: KEYS k*
        sorted: KEYS *
        KEYS nomatch*
        sorted: KEYS k?
        sorted: KEYS k[0-9]*
        sorted: KEYS k[^1]
        sorted: KEYS user\:*
        KEYS [
        sorted: SCAN 0 COUNT 100 MATCH k?
        SCAN abc
        SCAN 0 COUNT 0
        SCAN 0 COUNT -1
        SCAN 0 COUNT x
        SCAN 0 TYPE string MATCH user*
        SCAN 0 TYPE hash COUNT 100
        SCAN 0 FOO bar
        SCAN 0 COUNT
        SCAN 18446744073709551616
        SCAN -
        OBJECT ENCODING k1
        OBJECT ENCODING user:1
        OBJECT ENCODING nope
        SET long abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz
        OBJECT ENCODING long
        OBJECT FREQ k1
        OBJECT IDLETIME nope
        OBJECT REFCOUNT nope
        OBJECT REFCOUNT k1
        OBJECT REFCOUNT long
        OBJECT FOO k1
        OBJECT
        OBJECT ENCODING
        OBJECT ENCODING a b
        OBJECT HELP
        OBJECT HELP x
        SET n -5
        OBJECT ENCODING n
        SET n 12345678901234567890
        OBJECT ENCODING n
        SET n 9223372036854775807
        OBJECT ENCODING n
        SET n -0
        OBJECT ENCODING n
        FLUSHDB ASYNC
        DBSIZE
        FLUSHDB SYNC
        FLUSHDB FOO
        FLUSHDB SYNC x
        FLUSHALL FOO
        FLUSHALL SYNC
        DBSIZE x
        RANDOMKEY x
        DEL
        EXISTS
        TYPE
        """;

    public const string Expiry = """
        FLUSHALL
        SET k v
        ttl: TTL k
        PTTL k
        TTL nope
        PTTL nope
        EXPIRETIME k
        PEXPIRETIME k
        EXPIRETIME nope
        PEXPIRETIME nope
        EXPIRE k 100
        ttl: TTL k
        EXPIRE k 100 NX
        EXPIRE k 200 XX
        ttl: TTL k
        EXPIRE k 50 GT
        EXPIRE k 500 GT
        ttl: TTL k
        EXPIRE k 600 LT
        EXPIRE k 50 LT
        ttl: TTL k
        EXPIRE k 10 NX XX
        EXPIRE k 10 GT LT
        EXPIRE k 10 NX GT
        EXPIRE k 10 XX GT
        EXPIRE k 10 FOO
        EXPIRE k abc FOO
        EXPIRE k abc
        EXPIRE nope 10
        EXPIRE k 9223372036854775807
        EXPIRE k 92233720368547758
        EXPIRE k -92233720368547758
        PEXPIRE k 9223372036854775807
        EXPIREAT k 9223372036854775807
        PERSIST k
        PERSIST k
        PERSIST nope
        ttl: TTL k
        EXPIRE k 10 XX
        EXPIRE k 10 LT
        ttl: TTL k
        EXPIRE k 5 GT
        EXPIRE k 20 GT
        ttl: TTL k
        PEXPIRE k 5000
        ttl: TTL k
        PEXPIREAT k 99999999999999
        PEXPIRETIME k
        EXPIRETIME k
        EXPIREAT k 4102444800
        EXPIRETIME k
        PEXPIRETIME k
        EXPIREAT k 4102444800 GT
        EXPIREAT k 4102444801 GT
        EXPIRETIME k
        EXPIREAT k 1
        EXISTS k
        SET k v
        EXPIRE k 0
        EXISTS k
        SET k v
        EXPIRE k -5
        SET k v
        PEXPIRE k -1
        EXISTS k
        EXPIRE k 10 GT
        SET k v
        EXPIRE k 10 GT
        ttl: TTL k
        EXPIRE k 10 LT
        ttl: TTL k
        SET k v EX 100
        SET k v2
        ttl: TTL k
        SET n 5
        EXPIRE n 100
        INCR n
        ttl: TTL n
        APPEND n 1
        ttl: TTL n
        INCRBYFLOAT n 1.5
        ttl: TTL n
        SETRANGE n 0 9
        ttl: TTL n
        GETSET n 1
        ttl: TTL n
        EXPIRE
        TTL
        PERSIST
        """;

    [Theory]
    [InlineData("strings", 0)]
    [InlineData("strings", 1)]
    [InlineData("keys", 0)]
    [InlineData("keys", 1)]
    [InlineData("expiry", 0)]
    [InlineData("expiry", 1)]
    public async Task Replies_match_redis_server(string script, int database)
    {
        var text = script switch { "strings" => Strings, "keys" => Keys, _ => Expiry };
        var context = node.Connect(database);
        var differences = new List<string>();
        var lines = 0;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0)
                continue;
            var sorted = line.StartsWith("sorted: ", StringComparison.Ordinal);
            if (sorted)
                line = line["sorted: ".Length..];
            var ttl = line.StartsWith("ttl: ", StringComparison.Ordinal);
            if (ttl)
                line = line["ttl: ".Length..];
            var words = RespText.Words(line);
            var expected = await redis.SendAsync(words);
            var actual = RespText.Show(await RespTestNode.RunAsync(context, words));
            if (sorted)
            {
                expected = RespText.Sorted(expected);
                actual = RespText.Sorted(actual);
            }
            // TTL rounds to the nearest second: a pause of half a second between two commands on
            // either side moves it by one, which is not a difference.
            if (ttl && Seconds(expected) is { } e && Seconds(actual) is { } a && Math.Abs(e - a) <= 1)
                actual = expected;
            if (expected != actual)
                differences.Add($"{line}\n  redis: {expected}\n  node:  {actual}");
            lines++;
        }
        Assert.True(lines > 50);
        Assert.True(differences.Count == 0, $"{differences.Count} of {lines} replies differ:\n" + string.Join("\n", differences));
    }

    private static long? Seconds(string shown) =>
        shown.StartsWith(':') && long.TryParse(shown[1..], System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;

    [Fact]
    public async Task Incrbyfloat_prints_the_same_digits_as_redis_server_for_random_increments()
    {
        var context = node.Connect();
        var random = new Random(22);
        Assert.Equal("+OK", await redis.SendAsync("FLUSHALL"));
        await RespTestNode.RunAsync(context, "FLUSHALL");
        var differences = new List<string>();
        for (var i = 0; i < 300; i++)
        {
            var key = "f" + (i % 7).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var mantissa = random.NextInt64(-99_999_999, 99_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var increment = random.Next(4) switch
            {
                0 => mantissa,
                1 => mantissa.Insert(mantissa.Length - Math.Min(mantissa.Length - 1, random.Next(1, 8)), "."),
                2 => mantissa + "e" + random.Next(-20, 20).ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => "0." + random.Next(0, 1000).ToString("000", System.Globalization.CultureInfo.InvariantCulture),
            };
            var line = $"INCRBYFLOAT {key} {increment}";
            var expected = await redis.SendAsync(line);
            var actual = RespText.Show(await RespTestNode.RunAsync(context, RespText.Words(line)));
            if (expected != actual)
                differences.Add($"{line}: redis {expected}, node {actual}");
        }
        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    [Fact]
    public async Task Glob_patterns_match_the_same_keys_as_redis_server()
    {
        var context = node.Connect();
        var random = new Random(7);
        Assert.Equal("+OK", await redis.SendAsync("FLUSHALL"));
        await RespTestNode.RunAsync(context, "FLUSHALL");
        var mset = new List<string> { "MSET" };
        for (var i = 0; i < 40; i++)
        {
            var key = new string(Enumerable.Range(0, random.Next(1, 6)).Select(_ => "abc-^"[random.Next(5)]).ToArray());
            mset.AddRange([key, "v"]);
        }
        var words = mset.Select(w => (ReadOnlyMemory<byte>)System.Text.Encoding.UTF8.GetBytes(w)).ToArray();
        Assert.Equal("+OK", await redis.SendAsync(words));
        Assert.Equal("+OK", RespText.Show(await RespTestNode.RunAsync(context, words)));
        var differences = new List<string>();
        for (var i = 0; i < 300; i++)
        {
            var pattern = new string(Enumerable.Range(0, random.Next(1, 7)).Select(_ => "abc*?[]^-\\"[random.Next(10)]).ToArray());
            ReadOnlyMemory<byte>[] keys = [System.Text.Encoding.UTF8.GetBytes("KEYS"), System.Text.Encoding.UTF8.GetBytes(pattern)];
            var expected = RespText.Sorted(await redis.SendAsync(keys));
            var actual = RespText.Sorted(RespText.Show(await RespTestNode.RunAsync(context, keys)));
            if (expected != actual)
                differences.Add($"KEYS {pattern}: redis {expected}, node {actual}");
        }
        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }
}
