using System.Globalization;
using System.Text;

namespace HTableCluster.Node.Resp;

/// <summary>
/// Redis's CLIENT command: ID, GETNAME, SETNAME, SETINFO (Redis 7.2's, which client libraries send
/// at connect), INFO, LIST (TYPE, ID) and HELP, with Redis 7.0's replies. CLIENT INFO and LIST
/// give Redis's fields; the memory and buffer fields are 0 (the node does not measure them per client).
/// </summary>
public static class ClientCommand
{
    private static readonly RespReply Help = new RespArray(
    [
        new RespSimple("CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"),
        new RespSimple("GETNAME"),
        new RespSimple("    Return the name of the current connection."),
        new RespSimple("ID"),
        new RespSimple("    Return the ID of the current connection."),
        new RespSimple("INFO"),
        new RespSimple("    Return information about the current client connection."),
        new RespSimple("LIST [options ...]"),
        new RespSimple("    Return information about client connections. Options:"),
        new RespSimple("    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)"),
        new RespSimple("      Return clients of specified type."),
        new RespSimple("SETNAME <name>"),
        new RespSimple("    Assign the name <name> to the current connection."),
        new RespSimple("SETINFO <option> <value>"),
        new RespSimple("    Set client meta attr. Options are:"),
        new RespSimple("    * LIB-NAME: the client lib name."),
        new RespSimple("    * LIB-VER: the client lib version."),
        new RespSimple("HELP"),
        new RespSimple("    Prints this help."),
    ]);

    /// <summary>Adds CLIENT.</summary>
    public static void Register(RespCommandTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        table.Add(new("client", -2, RespCommandFlags.Loading, 0, 0, 0, Client));
    }

    private static ValueTask<RespReply> Client(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        var sub = args[1].Span;
        var n = args.Length;
        if (sub.EqualsIgnoreCase("ID"u8))
            return new(n == 2 ? RespReply.Integer(context.ClientId) : RespErrors.WrongArity("client|id"));
        if (sub.EqualsIgnoreCase("GETNAME"u8))
            return new(n != 2 ? RespErrors.WrongArity("client|getname") : context.ClientName is { } name ? RespReply.Bulk(name) : RespReply.Nil);
        if (sub.EqualsIgnoreCase("SETNAME"u8))
            return new(n != 3 ? RespErrors.WrongArity("client|setname") : ConnectionCommands.SetName(context, args[2].Span) ?? RespReply.Ok);
        if (sub.EqualsIgnoreCase("SETINFO"u8))
            return new(n != 4 ? RespErrors.WrongArity("client|setinfo") : SetInfo(context, args[2].Span, args[3].Span));
        if (sub.EqualsIgnoreCase("INFO"u8))
            return new(n != 2 ? RespErrors.WrongArity("client|info") : new RespVerbatim("txt", Describe(context) + "\n"));
        if (sub.EqualsIgnoreCase("LIST"u8))
            return new(List(context, args));
        if (sub.EqualsIgnoreCase("HELP"u8))
            return new(n != 2 ? RespErrors.WrongArity("client|help") : Help);
        return new(RespErrors.UnknownSubcommand("client", sub));
    }

    private static RespReply SetInfo(RespContext context, ReadOnlySpan<byte> attribute, ReadOnlySpan<byte> value)
    {
        var isName = attribute.EqualsIgnoreCase("LIB-NAME"u8);
        if (!isName && !attribute.EqualsIgnoreCase("LIB-VER"u8))
            return RespReply.Error($"ERR Unrecognized option '{RespErrors.Printable(attribute)}'");
        foreach (var b in value)
        {
            if (b is < (byte)'!' or > (byte)'~')
                return RespReply.Error($"ERR {(isName ? "lib-name" : "lib-ver")} cannot contain spaces, newlines or special characters.");
        }
        var text = value.Length == 0 ? null : Encoding.ASCII.GetString(value);
        if (isName)
            context.LibName = text;
        else
            context.LibVersion = text;
        return RespReply.Ok;
    }

    private static RespReply List(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        string? type = null;
        HashSet<long>? ids = null;
        if (args.Length == 4 && args[2].Span.EqualsIgnoreCase("TYPE"u8))
        {
            type = Encoding.ASCII.GetString(args[3].Span).ToLowerInvariant();
            if (type is "slave")
                type = "replica";
            if (type is not ("normal" or "master" or "replica" or "pubsub"))
                return RespReply.Error($"ERR Unknown client type '{RespErrors.Printable(args[3].Span)}'");
        }
        else if (args.Length > 3 && args[2].Span.EqualsIgnoreCase("ID"u8))
        {
            ids = [];
            for (var i = 3; i < args.Length; i++)
            {
                if (!RespNumbers.TryParseInt64(args[i].Span, out var id))
                    return RespReply.Error("ERR Invalid client ID");
                ids.Add(id);
            }
        }
        else if (args.Length != 2)
        {
            return RespErrors.Syntax;
        }
        var clients = context.Server.Clients.Values.ToList();
        clients.Sort((a, b) => a.ClientId.CompareTo(b.ClientId));
        var text = new StringBuilder();
        foreach (var client in clients)
        {
            if (ids is not null && !ids.Contains(client.ClientId))
                continue;
            var pubsub = client.Subscriptions > 0;
            if (type is "master" or "replica" || (type is "pubsub" && !pubsub) || (type is "normal" && pubsub))
                continue;
            text.Append(Describe(client)).Append('\n');
        }
        return new RespVerbatim("txt", text.ToString());
    }

    /// <summary>One client as CLIENT INFO and CLIENT LIST describe it (Redis's fields, in its order).</summary>
    public static string Describe(RespContext client)
    {
        ArgumentNullException.ThrowIfNull(client);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var flags = client.Subscriptions > 0 ? "P" : "N";
        return string.Create(CultureInfo.InvariantCulture,
            $"id={client.ClientId} addr={client.RemoteAddress} laddr={client.LocalAddress} fd=-1 name={client.ClientName} " +
            $"age={(now - client.ConnectedAtMs) / 1000} idle={(now - client.LastCommandAtMs) / 1000} flags={flags} db={client.Database} " +
            $"sub={client.Subscriptions} psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 " +
            $"events=r cmd={client.LastCommand} user=default redir=-1 resp={client.Protocol} lib-name={client.LibName} lib-ver={client.LibVersion}");
    }
}
