using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace HTableCluster.Node.Resp;

/// <summary>
/// Redis's server commands: INFO, CONFIG GET/SET/RESETSTAT/HELP, COMMAND (COUNT, INFO, DOCS, LIST,
/// bare), TIME, LASTSAVE, with Redis 7.0's replies and error texts, and the CONFIG parameters that
/// clients ask for at connect. INFO reports the node's own figures: its tables as databases in
/// keyspace, the other cluster members as replicas in replication.
/// </summary>
public static class ServerCommands
{
    private static readonly string[] DefaultSections = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats", "cluster", "keyspace"];
    private static readonly string[] Policies = ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"];
    private static readonly long ProcessId = Environment.ProcessId;

    /// <summary>Adds the server commands and their CONFIG parameters.</summary>
    public static void Register(RespCommandTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        table.Add(new("info", -1, RespCommandFlags.Loading, 0, 0, 0, Info));
        table.Add(new("config", -2, RespCommandFlags.Admin | RespCommandFlags.Loading, 0, 0, 0, Config));
        table.Add(new("command", -1, RespCommandFlags.Loading, 0, 0, 0, Command));
        table.Add(new("time", 1, RespCommandFlags.Fast | RespCommandFlags.Loading, 0, 0, 0, Time));
        table.Add(new("lastsave", 1, RespCommandFlags.Fast | RespCommandFlags.Loading, 0, 0, 0, LastSave));
        // What clients read at connect. The node keeps no snapshot or append-only file and evicts
        // nothing (tables have their own size and expiry): these values are accepted and reported only.
        table.AddParameter(new("save", "", Save));
        table.AddParameter(new("appendonly", "no", YesNo));
        table.AddParameter(new("maxmemory", "0", Memory));
        table.AddParameter(new("maxmemory-policy", "noeviction", Policy));
        table.AddParameter(new("timeout", "0", NonNegative));
        table.AddParameter(new("replica-read-only", "yes", YesNo));
        table.AddParameter(new("slave-read-only", "yes", YesNo));
        table.AddParameter(new("cluster-enabled", "no", ReadOnly: true));
    }

    // CONFIG GET names computed from the endpoint (read-only).
    private static string? Computed(RespServer server, string name) => name switch
    {
        "databases" => server.Databases.Count.ToString(CultureInfo.InvariantCulture),
        _ => null,
    };

    private static readonly string[] ComputedNames = ["databases"];

    private static string YesNo(string value) =>
        value.ToLowerInvariant() is "yes" or "no" ? value.ToLowerInvariant() : throw new FormatException("argument must be 'yes' or 'no'");

    private static string NonNegative(string value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n >= 0 ? n.ToString(CultureInfo.InvariantCulture) : throw new FormatException("argument must be between 0 and 2147483647 inclusive")
            : throw new FormatException("argument couldn't be parsed into an integer");

    private static string Memory(string value)
    {
        var text = value.ToLowerInvariant();
        var (digits, unit) = text.EndsWith("gb", StringComparison.Ordinal) ? (text[..^2], 1L << 30)
            : text.EndsWith("mb", StringComparison.Ordinal) ? (text[..^2], 1L << 20)
            : text.EndsWith("kb", StringComparison.Ordinal) ? (text[..^2], 1L << 10)
            : text.EndsWith('g') ? (text[..^1], 1_000_000_000L)
            : text.EndsWith('m') ? (text[..^1], 1_000_000L)
            : text.EndsWith('k') ? (text[..^1], 1000L)
            : text.EndsWith('b') ? (text[..^1], 1L)
            : (text, 1L);
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > long.MaxValue / unit)
            throw new FormatException("argument must be a memory value");
        return (n * unit).ToString(CultureInfo.InvariantCulture);
    }

    private static string Policy(string value) =>
        Array.IndexOf(Policies, value.ToLowerInvariant()) >= 0
            ? value.ToLowerInvariant()
            : throw new FormatException("argument(s) must be one of the following: " + string.Join(", ", Policies));

    private static string Save(string value)
    {
        var words = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length % 2 != 0 || words.Any(w => !long.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            throw new FormatException("Invalid save parameters");
        return string.Join(' ', words);
    }

    private static ValueTask<RespReply> Time(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        var ticks = DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks;
        var micros = ticks / 10;
        return new(new RespArray(
        [
            RespReply.Bulk((micros / 1_000_000).ToString(CultureInfo.InvariantCulture)),
            RespReply.Bulk((micros % 1_000_000).ToString(CultureInfo.InvariantCulture)),
        ]));
    }

    private static ValueTask<RespReply> LastSave(RespContext context, ReadOnlyMemory<byte>[] args) =>
        new(RespReply.Integer(context.Server.StartedAtSeconds));

    // ---- CONFIG ----

    private static ValueTask<RespReply> Config(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        var sub = args[1].Span;
        if (sub.EqualsIgnoreCase("GET"u8))
            return new(args.Length < 3 ? RespErrors.WrongArity("config|get") : ConfigGet(context.Server, args));
        if (sub.EqualsIgnoreCase("SET"u8))
            return new(args.Length < 4 || args.Length % 2 != 0 ? RespErrors.WrongArity("config|set") : ConfigSet(context.Server, args));
        if (sub.EqualsIgnoreCase("RESETSTAT"u8))
            return new(args.Length != 2 ? RespErrors.WrongArity("config|resetstat") : RespReply.Ok);
        if (sub.EqualsIgnoreCase("HELP"u8))
        {
            return new(args.Length != 2 ? RespErrors.WrongArity("config|help") : new RespArray(
            [
                new RespSimple("CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"),
                new RespSimple("GET <pattern>"),
                new RespSimple("    Return parameters matching the glob-like <pattern> and their values."),
                new RespSimple("SET <directive> <value>"),
                new RespSimple("    Set the configuration <directive> to <value>."),
                new RespSimple("RESETSTAT"),
                new RespSimple("    Reset statistics reported by the INFO command."),
                new RespSimple("HELP"),
                new RespSimple("    Prints this help."),
            ]));
        }
        return new(RespErrors.UnknownSubcommand("config", sub));
    }

    private static RespReply ConfigGet(RespServer server, ReadOnlyMemory<byte>[] args)
    {
        var pairs = new List<KeyValuePair<RespReply, RespReply>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var names = new List<string>(server.Commands.Parameters.Keys);
        names.AddRange(ComputedNames);
        for (var i = 2; i < args.Length; i++)
        {
            var pattern = Encoding.UTF8.GetString(args[i].Span);
            // A name without glob characters is looked up as it is and answered with the name as
            // the client wrote it (Redis does the same).
            if (pattern.AsSpan().IndexOfAny("[*?") < 0)
            {
                var known = names.Find(n => string.Equals(n, pattern, StringComparison.OrdinalIgnoreCase));
                if (known is not null && seen.Add(pattern))
                    pairs.Add(new(RespReply.Bulk(pattern), RespReply.Bulk(Computed(server, known) ?? server.ConfigValue(known) ?? "")));
                continue;
            }
            foreach (var name in names)
            {
                if (seen.Contains(name) || !GlobMatch(pattern, name))
                    continue;
                seen.Add(name);
                var value = Computed(server, name) ?? server.ConfigValue(name) ?? "";
                pairs.Add(new(RespReply.Bulk(name), RespReply.Bulk(value)));
            }
        }
        return new RespMap(pairs);
    }

    private static RespReply ConfigSet(RespServer server, ReadOnlyMemory<byte>[] args)
    {
        // All or nothing, as Redis: every pair is checked before any is stored.
        var values = new List<(string Name, string Value)>();
        for (var i = 2; i < args.Length; i += 2)
        {
            var name = Encoding.UTF8.GetString(args[i].Span).ToLowerInvariant();
            var value = Encoding.UTF8.GetString(args[i + 1].Span);
            if (Array.IndexOf(ComputedNames, name) >= 0)
                return SetFailed(name, "can't set immutable config");
            if (!server.Commands.Parameters.TryGetValue(name, out var parameter))
                return RespReply.Error($"ERR Unknown option or number of arguments for CONFIG SET - '{RespErrors.Printable(args[i].Span)}'");
            if (values.Exists(v => v.Name == parameter.Name))
                return SetFailed(name, "duplicate parameter");
            if (parameter.ReadOnly)
                return SetFailed(name, "can't set immutable config");
            try
            {
                values.Add((parameter.Name, parameter.Normalize is { } normalize ? normalize(value) : value));
            }
            catch (FormatException ex)
            {
                return SetFailed(name, ex.Message);
            }
        }
        foreach (var (name, value) in values)
            server.SetConfigValue(name, value);
        return RespReply.Ok;
    }

    private static RespReply SetFailed(string name, string reason) =>
        RespReply.Error($"ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}");

    /// <summary>Redis's stringmatch, without regard to case (CONFIG GET): <c>*</c>, <c>?</c>, <c>[...]</c>, <c>\</c>.</summary>
    public static bool GlobMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        while (pattern.Length > 0)
        {
            switch (pattern[0])
            {
                case '*':
                    while (pattern.Length > 1 && pattern[1] == '*')
                        pattern = pattern[1..];
                    if (pattern.Length == 1)
                        return true;
                    for (var i = 0; i <= text.Length; i++)
                    {
                        if (GlobMatch(pattern[1..], text[i..]))
                            return true;
                    }
                    return false;
                case '?':
                    if (text.Length == 0)
                        return false;
                    text = text[1..];
                    break;
                case '[':
                    {
                        if (text.Length == 0)
                            return false;
                        var p = pattern[1..];
                        var not = p.Length > 0 && p[0] == '^';
                        if (not)
                            p = p[1..];
                        var match = false;
                        var c = char.ToLowerInvariant(text[0]);
                        while (p.Length > 0 && p[0] != ']')
                        {
                            if (p[0] == '\\' && p.Length >= 2)
                            {
                                p = p[1..];
                                match |= char.ToLowerInvariant(p[0]) == c;
                            }
                            else if (p.Length >= 3 && p[1] == '-')
                            {
                                var (lo, hi) = (char.ToLowerInvariant(p[0]), char.ToLowerInvariant(p[2]));
                                if (lo > hi)
                                    (lo, hi) = (hi, lo);
                                match |= c >= lo && c <= hi;
                                p = p[2..];
                            }
                            else
                            {
                                match |= char.ToLowerInvariant(p[0]) == c;
                            }
                            p = p[1..];
                        }
                        if (not)
                            match = !match;
                        if (!match)
                            return false;
                        pattern = p; // at the closing bracket (or the end of an unclosed class)
                        text = text[1..];
                        break;
                    }
                case '\\' when pattern.Length >= 2:
                    pattern = pattern[1..];
                    goto default;
                default:
                    if (text.Length == 0 || char.ToLowerInvariant(pattern[0]) != char.ToLowerInvariant(text[0]))
                        return false;
                    text = text[1..];
                    break;
            }
            if (pattern.Length > 0)
                pattern = pattern[1..];
        }
        return text.Length == 0;
    }

    // ---- COMMAND ----

    private static ValueTask<RespReply> Command(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        var commands = context.Server.Commands;
        if (args.Length == 1)
            return new(new RespArray([.. Sorted(commands).Select(Describe)]));
        var sub = args[1].Span;
        if (sub.EqualsIgnoreCase("COUNT"u8))
            return new(args.Length != 2 ? RespErrors.WrongArity("command|count") : RespReply.Integer(commands.All.Count()));
        if (sub.EqualsIgnoreCase("LIST"u8))
            return new(args.Length != 2 ? RespErrors.Syntax : new RespArray([.. Sorted(commands).Select(c => RespReply.Bulk(c.Name))]));
        if (sub.EqualsIgnoreCase("INFO"u8))
        {
            var infos = args.Length == 2
                ? Sorted(commands).Select(Describe).ToList()
                : args.Skip(2).Select(a => commands.Find(a.Span) is { } c ? Describe(c) : RespReply.NilArray).ToList();
            return new(new RespArray(infos));
        }
        if (sub.EqualsIgnoreCase("DOCS"u8))
        {
            var docs = new List<KeyValuePair<RespReply, RespReply>>();
            IEnumerable<RespCommand> wanted = args.Length == 2 ? Sorted(commands) : args.Skip(2).Select(a => commands.Find(a.Span)).OfType<RespCommand>();
            foreach (var c in wanted)
                docs.Add(new(RespReply.Bulk(c.Name), Docs(c)));
            return new(new RespMap(docs));
        }
        if (sub.EqualsIgnoreCase("GETKEYS"u8))
            return new(args.Length < 4 ? RespErrors.WrongArity("command|getkeys") : GetKeys(commands, args));
        if (sub.EqualsIgnoreCase("HELP"u8))
        {
            return new(new RespArray(
            [
                new RespSimple("COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"),
                new RespSimple("(no subcommand)"),
                new RespSimple("    Return details about all Redis commands."),
                new RespSimple("COUNT"),
                new RespSimple("    Return the total number of commands in this Redis server."),
                new RespSimple("LIST"),
                new RespSimple("    Return a list of all commands in this Redis server."),
                new RespSimple("INFO [<command-name> ...]"),
                new RespSimple("    Return details about multiple Redis commands."),
                new RespSimple("    If no command names are given, documentation details for all"),
                new RespSimple("    commands are returned."),
                new RespSimple("DOCS [<command-name> ...]"),
                new RespSimple("    Return documentation details about multiple Redis commands."),
                new RespSimple("    If no command names are given, documentation details for all"),
                new RespSimple("    commands are returned."),
                new RespSimple("GETKEYS <full-command>"),
                new RespSimple("    Return the keys from a full Redis command."),
                new RespSimple("HELP"),
                new RespSimple("    Prints this help."),
            ]));
        }
        return new(RespErrors.UnknownSubcommand("command", sub));
    }

    private static List<RespCommand> Sorted(RespCommandTable commands)
    {
        var list = commands.All.ToList();
        list.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return list;
    }

    private static RespReply GetKeys(RespCommandTable commands, ReadOnlyMemory<byte>[] args)
    {
        var command = commands.Find(args[2].Span);
        if (command is null)
            return RespReply.Error("ERR Invalid command specified");
        var argc = args.Length - 2;
        if ((command.Arity > 0 && command.Arity != argc) || argc < -command.Arity)
            return RespReply.Error("ERR Invalid number of arguments specified for command");
        if (command.FirstKey == 0)
            return RespReply.Error("ERR The command has no key arguments");
        var keys = new List<RespReply>();
        var last = command.LastKey < 0 ? argc + command.LastKey : command.LastKey;
        for (var i = command.FirstKey; i <= last && i < argc; i += Math.Max(1, command.Step))
            keys.Add(RespReply.Bulk(args[2 + i]));
        return new RespArray(keys);
    }

    /// <summary>COMMAND INFO's entry: name, arity, flags, first key, last key, step, ACL categories, tips, key specs, subcommands.</summary>
    public static RespReply Describe(RespCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var flags = new List<RespReply>();
        void Flag(RespCommandFlags f, string name)
        {
            if ((command.Flags & f) != 0)
                flags.Add(new RespSimple(name));
        }
        Flag(RespCommandFlags.Write, "write");
        Flag(RespCommandFlags.ReadOnly, "readonly");
        Flag(RespCommandFlags.DenyOom, "denyoom");
        Flag(RespCommandFlags.Admin, "admin");
        Flag(RespCommandFlags.PubSub, "pubsub");
        Flag(RespCommandFlags.Loading, "loading");
        Flag(RespCommandFlags.Loading, "stale");
        Flag(RespCommandFlags.Fast, "fast");
        Flag(RespCommandFlags.NoAuth, "no_auth");
        return new RespArray(
        [
            RespReply.Bulk(command.Name),
            RespReply.Integer(command.Arity),
            new RespSet(flags),
            RespReply.Integer(command.FirstKey),
            RespReply.Integer(command.LastKey),
            RespReply.Integer(command.Step),
            new RespSet([]),
            new RespSet([]),
            RespReply.EmptyArray,
            RespReply.EmptyArray,
        ]);
    }

    private static RespReply Docs(RespCommand command) => new RespMap(
    [
        new(RespReply.Bulk("summary"), RespReply.Bulk("")),
        new(RespReply.Bulk("since"), RespReply.Bulk("1.0.0")),
        new(RespReply.Bulk("group"), RespReply.Bulk("generic")),
    ]);

    // ---- INFO ----

    private static ValueTask<RespReply> Info(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        var wanted = new List<string>();
        var everything = false;
        if (args.Length == 1)
        {
            wanted.AddRange(DefaultSections);
        }
        else
        {
            for (var i = 1; i < args.Length; i++)
            {
                var s = Encoding.UTF8.GetString(args[i].Span).ToLowerInvariant();
                if (s is "all" or "everything")
                    everything = true;
                else if (s == "default")
                    wanted.AddRange(DefaultSections);
                else
                    wanted.Add(s);
            }
        }
        if (everything)
            wanted = [.. DefaultSections];
        var text = new StringBuilder();
        foreach (var section in DefaultSections)
        {
            if (!wanted.Contains(section))
                continue;
            var body = Section(context, section);
            if (body is null)
                continue;
            if (text.Length > 0)
                text.Append("\r\n");
            text.Append(body);
        }
        return new(new RespVerbatim("txt", text.ToString()));
    }

    private static string? Section(RespContext context, string name)
    {
        var server = context.Server;
        var s = new StringBuilder();
        void Line(string key, object value) => s.Append(key).Append(':').Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append("\r\n");
        var now = DateTimeOffset.UtcNow;
        switch (name)
        {
            case "server":
                {
                    s.Append("# Server\r\n");
                    Line("redis_version", ConnectionCommands.RedisVersion);
                    Line("redis_mode", "standalone");
                    Line("os", System.Runtime.InteropServices.RuntimeInformation.OSDescription);
                    Line("arch_bits", IntPtr.Size * 8);
                    Line("process_id", ProcessId);
                    Line("tcp_port", context.LocalAddress.Length > 0 && int.TryParse(context.LocalAddress[(context.LocalAddress.LastIndexOf(':') + 1)..], out var port) ? port : 0);
                    Line("server_time_usec", now.ToUnixTimeMilliseconds() * 1000);
                    var uptime = now.ToUnixTimeSeconds() - server.StartedAtSeconds;
                    Line("uptime_in_seconds", uptime);
                    Line("uptime_in_days", uptime / 86_400);
                    Line("executable", Environment.ProcessPath ?? "");
                    Line("htcluster_version", typeof(ServerCommands).Assembly.GetName().Version?.ToString(3) ?? "");
                    if (server.ClusterInfo?.Invoke() is { } cluster)
                        Line("htcluster_node_id", cluster.NodeId);
                    break;
                }
            case "clients":
                s.Append("# Clients\r\n");
                Line("connected_clients", server.Clients.Count);
                Line("cluster_connections", 0);
                Line("maxclients", server.MaxClients);
                Line("blocked_clients", 0);
                Line("tracking_clients", 0);
                Line("clients_in_timeout_table", 0);
                break;
            case "memory":
                {
                    s.Append("# Memory\r\n");
                    var used = GC.GetTotalMemory(forceFullCollection: false);
                    using var process = Process.GetCurrentProcess();
                    Line("used_memory", used);
                    Line("used_memory_human", Human(used));
                    Line("used_memory_rss", process.WorkingSet64);
                    Line("used_memory_rss_human", Human(process.WorkingSet64));
                    Line("used_memory_peak", process.PeakWorkingSet64);
                    Line("used_memory_peak_human", Human(process.PeakWorkingSet64));
                    var maxmemory = long.TryParse(server.ConfigValue("maxmemory"), out var m) ? m : 0;
                    Line("maxmemory", maxmemory);
                    Line("maxmemory_human", Human(maxmemory));
                    Line("maxmemory_policy", server.ConfigValue("maxmemory-policy") ?? "noeviction");
                    Line("mem_allocator", "dotnet-gc");
                    break;
                }
            case "persistence":
                s.Append("# Persistence\r\n");
                Line("loading", server.Node.IsStarted ? 0 : 1);
                Line("async_loading", 0);
                Line("rdb_changes_since_last_save", 0);
                Line("rdb_bgsave_in_progress", 0);
                Line("rdb_last_save_time", server.StartedAtSeconds);
                Line("aof_enabled", 0);
                Line("aof_rewrite_in_progress", 0);
                break;
            case "stats":
                s.Append("# Stats\r\n");
                Line("total_connections_received", server.ConnectionsReceived);
                Line("total_commands_processed", server.CommandsProcessed);
                Line("rejected_connections", server.RejectedConnections);
                Line("pubsub_channels", 0);
                break;
            case "replication":
                {
                    s.Append("# Replication\r\n");
                    Line("role", "master");
                    var cluster = server.ClusterInfo?.Invoke();
                    var peers = cluster?.Peers ?? [];
                    Line("connected_slaves", peers.Count);
                    for (var i = 0; i < peers.Count; i++)
                    {
                        var peer = peers[i];
                        var colon = peer.LastIndexOf(':');
                        Line("slave" + i.ToString(CultureInfo.InvariantCulture), $"ip={peer[..Math.Max(0, colon)]},port={peer[(colon + 1)..]},state=online,offset=0,lag=0");
                    }
                    Line("master_failover_state", "no-failover");
                    Line("master_replid", ReplicationId(cluster?.NodeId ?? ""));
                    Line("master_replid2", new string('0', 40));
                    Line("master_repl_offset", 0);
                    Line("second_repl_offset", -1);
                    Line("repl_backlog_active", 0);
                    Line("htcluster_members_up", peers.Count + 1);
                    Line("htcluster_ready", cluster is null || cluster.Ready ? 1 : 0);
                    break;
                }
            case "cpu":
                {
                    s.Append("# CPU\r\n");
                    using var process = Process.GetCurrentProcess();
                    Line("used_cpu_sys", process.PrivilegedProcessorTime.TotalSeconds.ToString("F6", CultureInfo.InvariantCulture));
                    Line("used_cpu_user", process.UserProcessorTime.TotalSeconds.ToString("F6", CultureInfo.InvariantCulture));
                    break;
                }
            case "modules":
                s.Append("# Modules\r\n");
                break;
            case "errorstats":
                s.Append("# Errorstats\r\n");
                break;
            case "cluster":
                s.Append("# Cluster\r\n");
                Line("cluster_enabled", 0);
                break;
            case "keyspace":
                {
                    s.Append("# Keyspace\r\n");
                    var databases = server.Databases;
                    var nowMs = now.ToUnixTimeMilliseconds();
                    for (var i = 0; i < databases.Count; i++)
                    {
                        long keys = 0, expires = 0, ttlSum = 0;
                        foreach (var entry in databases[i].Table.Items())
                        {
                            keys++;
                            if (entry.ExpiresAtMs != 0)
                            {
                                expires++;
                                ttlSum += Math.Max(0, entry.ExpiresAtMs - nowMs);
                            }
                        }
                        Line("db" + i.ToString(CultureInfo.InvariantCulture), $"keys={keys},expires={expires},avg_ttl={(expires == 0 ? 0 : ttlSum / expires)}");
                    }
                    break;
                }
            default:
                return null;
        }
        return s.ToString();
    }

    private static string ReplicationId(string nodeId) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(Encoding.UTF8.GetBytes(nodeId)));

    // Redis's bytesToHuman: B, K, M, G with two decimals.
    private static string Human(long n) => n switch
    {
        < 1024 => n.ToString(CultureInfo.InvariantCulture) + "B",
        < 1024 * 1024 => (n / 1024.0).ToString("F2", CultureInfo.InvariantCulture) + "K",
        < 1024L * 1024 * 1024 => (n / 1048576.0).ToString("F2", CultureInfo.InvariantCulture) + "M",
        _ => (n / 1073741824.0).ToString("F2", CultureInfo.InvariantCulture) + "G",
    };
}
