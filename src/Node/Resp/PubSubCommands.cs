using System.Text;

namespace HTableCluster.Node.Resp;

/// <summary>
/// Redis's pub/sub on this node's connections (<see cref="RespPubSub"/>): SUBSCRIBE, PSUBSCRIBE,
/// UNSUBSCRIBE, PUNSUBSCRIBE, PUBLISH and PUBSUB, with Redis 7.0's replies (push messages in RESP3,
/// arrays in RESP2), and the <c>notify-keyspace-events</c> parameter that switches keyspace
/// notifications. A command that confirms several channels sends all but the last confirmation
/// through <see cref="RespContext.Push"/> and answers with the last, so they arrive in order.
/// </summary>
public static class PubSubCommands
{
    private const RespCommandFlags Subscribing = RespCommandFlags.PubSub | RespCommandFlags.Loading;

    private static readonly RespReply SubscribeWord = RespReply.Bulk("subscribe");
    private static readonly RespReply UnsubscribeWord = RespReply.Bulk("unsubscribe");
    private static readonly RespReply PSubscribeWord = RespReply.Bulk("psubscribe");
    private static readonly RespReply PUnsubscribeWord = RespReply.Bulk("punsubscribe");

    private static readonly RespReply Help = new RespArray(
    [
        new RespSimple("PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"),
        new RespSimple("CHANNELS [<pattern>]"),
        new RespSimple("    Return the currently active channels matching a <pattern> (default: '*')."),
        new RespSimple("NUMPAT"),
        new RespSimple("    Return number of subscriptions to patterns."),
        new RespSimple("NUMSUB [<channel> ...]"),
        new RespSimple("    Return the number of subscribers for the specified channels, excluding"),
        new RespSimple("    pattern subscriptions(default: no channels)."),
        new RespSimple("SHARDCHANNELS [<pattern>]"),
        new RespSimple("    Return the currently active shard level channels matching a <pattern> (default: '*')."),
        new RespSimple("SHARDNUMSUB [<shardchannel> ...]"),
        new RespSimple("    Return the number of subscribers for the specified shard level channel(s)"),
        new RespSimple("HELP"),
        new RespSimple("    Prints this help."),
    ]);

    /// <summary>Adds the pub/sub commands and the <c>notify-keyspace-events</c> parameter.</summary>
    public static void Register(RespCommandTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        table.Add(new("subscribe", -2, Subscribing, 0, 0, 0, Subscribe));
        table.Add(new("psubscribe", -2, Subscribing, 0, 0, 0, PSubscribe));
        table.Add(new("unsubscribe", -1, Subscribing, 0, 0, 0, Unsubscribe));
        table.Add(new("punsubscribe", -1, Subscribing, 0, 0, 0, PUnsubscribe));
        // Redis lists PUBLISH and PUBSUB as "pubsub" commands too, but a subscribed RESP2 client may
        // not run them (the gate this flag stands for here).
        table.Add(new("publish", 3, RespCommandFlags.Loading | RespCommandFlags.Fast, 0, 0, 0, Publish));
        table.Add(new("pubsub", -2, RespCommandFlags.Loading, 0, 0, 0, PubSub));
        table.AddParameter(new(RespPubSub.NotifyParameter, "", KeyspaceEvents.Normalize));
    }

    private static RespReply Confirmation(RespReply word, RespReply channel, int count) =>
        new RespPush([word, channel, RespReply.Integer(count)]);

    // All confirmations but the last go out through Push; the last is the command's reply.
    private static RespReply Confirm(RespContext context, RespReply word, ReadOnlyMemory<byte>[] args, Func<ReadOnlyMemory<byte>, int> change)
    {
        RespReply? last = null;
        for (var i = 1; i < args.Length; i++)
        {
            if (last is not null)
                context.Push(last);
            last = Confirmation(word, RespReply.Bulk(args[i].ToArray()), change(args[i]));
        }
        return last!;
    }

    private static RespReply ConfirmAll(RespContext context, RespReply word, List<byte[]> names, Func<ReadOnlyMemory<byte>, int> change)
    {
        if (names.Count == 0)
            return Confirmation(word, RespReply.Nil, context.Subscriptions);
        RespReply? last = null;
        foreach (var name in names)
        {
            if (last is not null)
                context.Push(last);
            last = Confirmation(word, RespReply.Bulk(name), change(name));
        }
        return last!;
    }

    private static ValueTask<RespReply> Subscribe(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        var pubSub = context.Server.PubSub;
        return new(Confirm(context, SubscribeWord, args, c => pubSub.Subscribe(context, c.Span)));
    }

    private static ValueTask<RespReply> PSubscribe(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        var pubSub = context.Server.PubSub;
        return new(Confirm(context, PSubscribeWord, args, p => pubSub.PSubscribe(context, p.Span)));
    }

    private static ValueTask<RespReply> Unsubscribe(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        var pubSub = context.Server.PubSub;
        Func<ReadOnlyMemory<byte>, int> change = c => pubSub.Unsubscribe(context, c.Span);
        return new(args.Length > 1
            ? Confirm(context, UnsubscribeWord, args, change)
            : ConfirmAll(context, UnsubscribeWord, pubSub.ChannelsOf(context), change));
    }

    private static ValueTask<RespReply> PUnsubscribe(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        var pubSub = context.Server.PubSub;
        Func<ReadOnlyMemory<byte>, int> change = p => pubSub.PUnsubscribe(context, p.Span);
        return new(args.Length > 1
            ? Confirm(context, PUnsubscribeWord, args, change)
            : ConfirmAll(context, PUnsubscribeWord, pubSub.PatternsOf(context), change));
    }

    private static ValueTask<RespReply> Publish(RespContext context, ReadOnlyMemory<byte>[] args) =>
        new(RespReply.Integer(context.Server.PubSub.Publish(args[1].Span, args[2])));

    private static ValueTask<RespReply> PubSub(RespContext context, ReadOnlyMemory<byte>[] args)
    {
        var pubSub = context.Server.PubSub;
        var sub = args[1].Span;
        if (Ascii.EqualsIgnoreCase(sub, "help"u8) && args.Length == 2)
            return new(Help);
        if (Ascii.EqualsIgnoreCase(sub, "channels"u8) && args.Length is 2 or 3)
        {
            var found = pubSub.ActiveChannels(args.Length == 3 ? args[2].Span : default, all: args.Length == 2);
            return new(Bulks(found));
        }
        if (Ascii.EqualsIgnoreCase(sub, "shardchannels"u8) && args.Length is 2 or 3)
            return new(RespReply.EmptyArray);
        if (Ascii.EqualsIgnoreCase(sub, "numsub"u8) || Ascii.EqualsIgnoreCase(sub, "shardnumsub"u8))
        {
            var shard = sub.Length > 6;
            var items = new RespReply[(args.Length - 2) * 2];
            for (var i = 2; i < args.Length; i++)
            {
                items[(i - 2) * 2] = RespReply.Bulk(args[i].ToArray());
                items[((i - 2) * 2) + 1] = RespReply.Integer(shard ? 0 : pubSub.SubscribersOf(args[i].Span));
            }
            return new(new RespArray(items));
        }
        if (Ascii.EqualsIgnoreCase(sub, "numpat"u8) && args.Length == 2)
            return new(RespReply.Integer(pubSub.PatternCount));
        if (Ascii.EqualsIgnoreCase(sub, "help"u8) || Ascii.EqualsIgnoreCase(sub, "channels"u8)
            || Ascii.EqualsIgnoreCase(sub, "shardchannels"u8) || Ascii.EqualsIgnoreCase(sub, "numpat"u8))
        {
            return new(RespReply.Error($"ERR unknown subcommand or wrong number of arguments for '{RespErrors.Printable(sub)}'. Try PUBSUB HELP."));
        }
        return new(RespErrors.UnknownSubcommand("pubsub", sub));
    }

    private static RespArray Bulks(List<byte[]> names)
    {
        var items = new RespReply[names.Count];
        for (var i = 0; i < items.Length; i++)
            items[i] = RespReply.Bulk(names[i]);
        return new RespArray(items);
    }
}
