namespace HTableCluster.Node.Resp;

/// <summary>
/// Redis's connection commands: PING, ECHO, QUIT, HELLO, AUTH, SELECT, RESET, with Redis 7.0's
/// replies. The password is the node's token (<c>Rpc:Token</c>); the only user is <c>default</c>.
/// HELLO names the server <c>redis</c> version <see cref="RedisVersion"/>: clients choose the
/// commands they send by that version, and this endpoint answers Redis 7.0's commands.
/// </summary>
public static class ConnectionCommands
{
    private static readonly RespReply PongWord = RespReply.Bulk("pong");
    private static readonly RespReply EmptyBulk = RespReply.Bulk(ReadOnlyMemory<byte>.Empty);

    /// <summary>The Redis version HELLO and INFO report (the command set served is Redis 7.0's).</summary>
    public const string RedisVersion = "7.0.15";

    private static readonly RespReply WrongPass = RespReply.Error("WRONGPASS invalid username-password pair or user is disabled.");
    private static readonly RespReply NoPasswordSet = RespReply.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
    private static readonly RespReply HelloNoAuth = RespReply.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
    private static readonly RespReply ResetReply = new RespSimple("RESET");

    /// <summary>Adds the connection commands.</summary>
    public static void Register(RespCommandTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        const RespCommandFlags Always = RespCommandFlags.Fast | RespCommandFlags.Loading;
        table.Add(new("ping", -1, Always | RespCommandFlags.PubSub, 0, 0, 0, Ping));
        table.Add(new("echo", 2, Always, 0, 0, 0, Echo));
        table.Add(new("quit", -1, Always | RespCommandFlags.NoAuth | RespCommandFlags.PubSub, 0, 0, 0, Quit));
        table.Add(new("hello", -1, Always | RespCommandFlags.NoAuth, 0, 0, 0, Hello));
        table.Add(new("auth", -2, Always | RespCommandFlags.NoAuth, 0, 0, 0, Auth));
        table.Add(new("select", 2, Always, 0, 0, 0, Select));
        table.Add(new("reset", 1, Always | RespCommandFlags.NoAuth | RespCommandFlags.PubSub, 0, 0, 0, Reset));
    }

    // PING takes at most one argument; a subscribed RESP2 client gets ["pong", argument or ""].
    private static ValueTask<RespReply> Ping(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        if (args.Length > 2)
            return new(RespErrors.WrongArity("ping"));
        if (context.Protocol == 2 && context.Subscriptions > 0)
            return new(new RespArray([PongWord, args.Length == 2 ? RespReply.Bulk(args[1]) : EmptyBulk]));
        return new(args.Length == 2 ? RespReply.Bulk(args[1]) : RespReply.Pong);
    }

    private static ValueTask<RespReply> Echo(RespContext context, ReadOnlyMemory<byte>[] args) => new(RespReply.Bulk(args[1]));

    // Redis 7.0 answers QUIT (with any arguments) with +OK and closes the connection after it.
    private static ValueTask<RespReply> Quit(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        context.CloseAfterReply = true;
        return new(RespReply.Ok);
    }

    private static ValueTask<RespReply> Hello(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        var version = 0L;
        var next = 1;
        if (args.Length >= 2)
        {
            if (!RespNumbers.TryParseInt64(args[1].Span, out version))
                return new(RespReply.Error("ERR Protocol version is not an integer or out of range"));
            if (version is < 2 or > 3)
                return new(RespReply.Error("NOPROTO unsupported protocol version"));
            next = 2;
        }
        ReadOnlyMemory<byte>? user = null, password = null, name = null;
        for (var j = next; j < args.Length; j++)
        {
            var more = args.Length - 1 - j;
            var option = args[j].Span;
            if (option.EqualsIgnoreCase("AUTH"u8) && more >= 2)
            {
                user = args[j + 1];
                password = args[j + 2];
                j += 2;
            }
            else if (option.EqualsIgnoreCase("SETNAME"u8) && more >= 1)
            {
                name = args[j + 1];
                j++;
            }
            else
            {
                return new(RespReply.Error($"ERR Syntax error in HELLO option '{RespErrors.Printable(option)}'"));
            }
        }
        if (user is { } u && password is { } p)
        {
            if (!Authenticate(context, u.Span, p.Span))
                return new(WrongPass);
        }
        if (!context.Authenticated)
            return new(HelloNoAuth);
        if (name is { } n && SetName(context, n.Span) is { } error)
            return new(error);
        if (version != 0)
            context.Protocol = (int)version;
        return new(HelloReply(context));
    }

    /// <summary>HELLO's answer: the server's identity and this connection's protocol and id.</summary>
    public static RespReply HelloReply(RespContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new RespMap(
        [
            new(RespReply.Bulk("server"), RespReply.Bulk("redis")),
            new(RespReply.Bulk("version"), RespReply.Bulk(RedisVersion)),
            new(RespReply.Bulk("proto"), RespReply.Integer(context.Protocol)),
            new(RespReply.Bulk("id"), RespReply.Integer(context.ClientId)),
            new(RespReply.Bulk("mode"), RespReply.Bulk("standalone")),
            new(RespReply.Bulk("role"), RespReply.Bulk("master")),
            new(RespReply.Bulk("modules"), RespReply.EmptyArray),
        ]);
    }

    private static ValueTask<RespReply> Auth(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        if (args.Length > 3)
            return new(RespErrors.Syntax);
        if (args.Length == 2)
        {
            if (context.Server.Password is null)
                return new(NoPasswordSet);
            return new(Authenticate(context, "default"u8, args[1].Span) ? RespReply.Ok : WrongPass);
        }
        return new(Authenticate(context, args[1].Span, args[2].Span) ? RespReply.Ok : WrongPass);
    }

    // The one user is "default"; without a password it takes any password (Redis's nopass).
    private static bool Authenticate(RespContext context, ReadOnlySpan<byte> user, ReadOnlySpan<byte> password)
    {
        if (!user.SequenceEqual("default"u8))
            return false;
        if (context.Server.Password is { } expected)
        {
            var want = System.Text.Encoding.UTF8.GetBytes(expected);
            if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(want, password))
                return false;
        }
        context.Authenticated = true;
        return true;
    }

    /// <summary>
    /// CLIENT SETNAME's rule: printable ASCII without spaces (an empty name clears it); null when
    /// set, else Redis's error.
    /// </summary>
    public static RespReply? SetName(RespContext context, ReadOnlySpan<byte> name)
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (var b in name)
        {
            if (b is < (byte)'!' or > (byte)'~')
                return RespReply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
        }
        context.ClientName = name.Length == 0 ? null : System.Text.Encoding.ASCII.GetString(name);
        return null;
    }

    private static ValueTask<RespReply> Select(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        if (!RespNumbers.TryParseInt64(args[1].Span, out var index) || index is < int.MinValue or > int.MaxValue)
            return new(RespErrors.NotInteger);
        if (index < 0 || index >= context.Server.Databases.Count)
            return new(RespReply.Error("ERR DB index is out of range"));
        context.Database = (int)index;
        return new(RespReply.Ok);
    }

    private static ValueTask<RespReply> Reset(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        // RESET drops the subscriptions without the unsubscribe confirmations (as Redis does).
        if (context.Subscriptions > 0)
        {
            var pubSub = context.Server.PubSub;
            foreach (var channel in pubSub.ChannelsOf(context))
                pubSub.Unsubscribe(context, channel);
            foreach (var pattern in pubSub.PatternsOf(context))
                pubSub.PUnsubscribe(context, pattern);
        }
        context.Reset();
        return new(ResetReply);
    }
}
