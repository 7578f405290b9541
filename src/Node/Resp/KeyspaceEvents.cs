namespace HTableCluster.Node.Resp;

/// <summary>
/// Redis's <c>notify-keyspace-events</c> flags: the class letters, their parsing and validation,
/// and the canonical text CONFIG GET shows (Redis 7.0's <c>keyspaceEventsStringToFlags</c> and
/// <c>keyspaceEventsFlagsToString</c>).
/// </summary>
public static class KeyspaceEvents
{
    /// <summary><c>K</c>: <c>__keyspace@db__:key</c> messages.</summary>
    public const int Keyspace = 1 << 0;

    /// <summary><c>E</c>: <c>__keyevent@db__:event</c> messages.</summary>
    public const int Keyevent = 1 << 1;

    /// <summary><c>g</c>: generic commands (DEL, EXPIRE, RENAME...).</summary>
    public const int Generic = 1 << 2;

    /// <summary><c>$</c>: string commands.</summary>
    public const int String = 1 << 3;

    /// <summary><c>l</c>: list commands.</summary>
    public const int List = 1 << 4;

    /// <summary><c>s</c>: set commands.</summary>
    public const int Set = 1 << 5;

    /// <summary><c>h</c>: hash commands.</summary>
    public const int Hash = 1 << 6;

    /// <summary><c>z</c>: sorted set commands.</summary>
    public const int ZSet = 1 << 7;

    /// <summary><c>x</c>: expired events.</summary>
    public const int Expired = 1 << 8;

    /// <summary><c>e</c>: evicted events.</summary>
    public const int Evicted = 1 << 9;

    /// <summary><c>t</c>: stream commands.</summary>
    public const int Stream = 1 << 10;

    /// <summary><c>m</c>: key misses.</summary>
    public const int KeyMiss = 1 << 11;

    /// <summary><c>d</c>: module key types.</summary>
    public const int Module = 1 << 13;

    /// <summary><c>n</c>: new keys.</summary>
    public const int New = 1 << 14;

    /// <summary><c>A</c>: <c>g$lshzxetd</c>.</summary>
    public const int All = Generic | String | List | Set | Hash | ZSet | Expired | Evicted | Stream | Module;

    /// <summary>CONFIG SET's reason for a letter Redis does not know.</summary>
    public const string InvalidClass = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

    /// <summary>The flags of a class text, or -1 when it holds a letter Redis does not know.</summary>
    public static int Parse(string classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        var flags = 0;
        foreach (var c in classes)
        {
            var f = c == 'A' ? All : c switch { 'K' => Keyspace, 'E' => Keyevent, 'm' => KeyMiss, _ => ClassOf(c) };
            if (f == 0)
                return -1;
            flags |= f;
        }
        return flags;
    }

    /// <summary>The flag of an event class letter as <see cref="RespServer.Notify"/> gets it (0: none).</summary>
    public static int ClassOf(char kind) => kind switch
    {
        'g' => Generic,
        '$' => String,
        'l' => List,
        's' => Set,
        'h' => Hash,
        'z' => ZSet,
        'x' => Expired,
        'e' => Evicted,
        't' => Stream,
        'd' => Module,
        'n' => New,
        _ => 0,
    };

    /// <summary>The canonical text of flags, as CONFIG GET shows it.</summary>
    public static string Format(int flags)
    {
        var sb = new System.Text.StringBuilder();
        if ((flags & All) == All)
        {
            sb.Append('A');
        }
        else
        {
            foreach (var c in "g$lshzxetdn")
            {
                if ((flags & ClassOf(c)) != 0)
                    sb.Append(c);
            }
        }
        if ((flags & Keyspace) != 0)
            sb.Append('K');
        if ((flags & Keyevent) != 0)
            sb.Append('E');
        if ((flags & KeyMiss) != 0)
            sb.Append('m');
        return sb.ToString();
    }

    /// <summary>
    /// CONFIG SET's check: the canonical text, or <see cref="FormatException"/> with Redis's reason.
    /// </summary>
    public static string Normalize(string classes)
    {
        var flags = Parse(classes);
        return flags < 0 ? throw new FormatException(InvalidClass) : Format(flags);
    }
}
