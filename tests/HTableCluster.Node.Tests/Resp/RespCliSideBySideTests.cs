namespace HTableCluster.Node.Tests.Resp;

/// <summary>
/// One redis-cli script over every string, key and expiry command, run against redis-server 7.0 and
/// against a node's endpoint: the printed lines must be the same (RESP2 and RESP3).
/// </summary>
public sealed class RespCliSideBySideTests(RespNodeFixture node) : IClassFixture<RespNodeFixture>
{
    public const string Script = """
        FLUSHALL
        SET k v
        GET k
        GET missing
        SET k v2 NX
        SET k v3 XX GET
        SET k v EX 0
        SET k v PX abc
        SET k v KEEPTTL EX 5
        SET k v EX 100
        TTL k
        SET k v2 KEEPTTL
        TTL k
        SET k v3
        TTL k
        SETNX k x
        SETNX k2 x
        SETEX k3 10 v
        SETEX k3 0 v
        PSETEX k4 100000 v
        PSETEX k4 abc v
        GETSET k new
        GETSET missing2 new
        GETDEL missing2
        GETDEL missing2
        GETEX k3 PERSIST
        GETEX k3 EX 20 PX 5
        GETEX k3 EX 30
        TTL k3
        MSET a 1 b 2 c hello
        MSET a 1 b
        MGET a b missing c
        MSETNX a 1 d 4
        MSETNX d 4 e 5
        INCR a
        INCRBY a 10
        INCRBY a abc
        DECR a
        DECRBY a 5
        DECRBY a -9223372036854775808
        INCR c
        SET big 9223372036854775807
        INCR big
        INCRBYFLOAT f 1.5
        INCRBYFLOAT f 1000.1
        INCRBYFLOAT f abc
        INCRBYFLOAT c 1
        APPEND ap hello
        APPEND ap " world"
        STRLEN ap
        STRLEN a
        STRLEN missing
        GETRANGE ap 0 4
        GETRANGE ap -5 -1
        GETRANGE ap 5 2
        SUBSTR ap 0 2
        SETRANGE sr 5 hi
        GET sr
        SETRANGE sr -1 x
        SETRANGE sr 2 XY
        GET sr
        SET la ohmytext
        SET lb mynewtext
        LCS la lb
        LCS la lb LEN
        LCS la lb IDX
        LCS la lb IDX MINMATCHLEN 4 WITHMATCHLEN
        LCS la lb LEN IDX
        DEL a missing b
        UNLINK c
        EXISTS a b c d d
        TYPE d
        TYPE missing
        RENAME d dd
        RENAME missing x
        RENAMENX dd e
        RENAMENX dd f
        COPY f g
        COPY f g
        COPY f g REPLACE
        COPY f g DB 1
        COPY f f
        TOUCH f g missing
        EXPIRE f 100
        PEXPIRE g 100000
        TTL f
        TTL g
        PTTL missing
        PTTL f2
        EXPIRE f 50 GT
        EXPIRE f 500 GT
        EXPIRE f 10 NX XX
        EXPIRE f 10 FOO
        EXPIREAT g 4102444800
        EXPIRETIME g
        PEXPIREAT g 4102444800123
        PEXPIRETIME g
        EXPIRETIME missing
        PEXPIRETIME f2
        PERSIST g
        PERSIST g
        TTL g
        EXPIRE g -1
        EXISTS g
        OBJECT ENCODING f
        OBJECT ENCODING la
        OBJECT ENCODING missing
        OBJECT FREQ f
        OBJECT FOO f
        OBJECT HELP
        FLUSHDB
        DBSIZE
        RANDOMKEY
        SET only 1
        RANDOMKEY
        KEYS o*
        KEYS x*
        SCAN 0
        SCAN 0 MATCH x* COUNT 5
        SCAN 0 TYPE string
        SCAN abc
        DBSIZE
        FLUSHDB ASYNC
        DBSIZE
        FLUSHALL SYNC
        FLUSHALL FOO
        """ + "\n";

    [Fact]
    public async Task The_string_key_and_expiry_commands_print_as_redis_server_prints_them() =>
        await node.Redis.AssertSameAsync(node.RespPort, Script);

    [Fact]
    public async Task They_print_the_same_in_resp3() =>
        await node.Redis.AssertSameAsync(node.RespPort, Script, "-3");
}
