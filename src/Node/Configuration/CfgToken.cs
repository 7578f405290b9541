using System.Globalization;

namespace HTableCluster.Node.Configuration;

/// <summary>
/// One token of a kamailio.cfg as Kamailio's lexer sees it after preprocessing (comments, skipped
/// <c>#!ifdef</c> regions and directives removed, defined names replaced by their values, string
/// literals joined and unescaped). <see cref="File"/> and <see cref="Line"/> are where the token was
/// read: the file that holds the line (an included file too), or for a token that came from a
/// defined name's value, where that name was used.
/// </summary>
/// <param name="Kind">What the token is.</param>
/// <param name="Text">A name, the value of a string literal, a number in decimal, or the source text of anything else.</param>
/// <param name="File">The file, relative to the directory of the file the import started from.</param>
/// <param name="Line">The 1-based line in <paramref name="File"/>.</param>
/// <param name="Via">When the token came from a defined name: that name and where it was defined.</param>
public readonly record struct CfgToken(CfgToken.TokenKind Kind, string Text, string File, int Line, string? Via = null)
{
    /// <summary>Token kinds; only what the importer looks at is told apart.</summary>
    public enum TokenKind
    {
        /// <summary>An identifier that is not a defined name (e.g. <c>modparam</c>, an undefined <c>DBURL</c>).</summary>
        Name,

        /// <summary>A string literal ("..." joined with adjacent ones, or '...'), after <c>#!subst</c>.</summary>
        String,

        /// <summary>A number (decimal, 0x hex, 0 octal, b binary, yes/no/on/off/true/false/enable/disable).</summary>
        Number,

        /// <summary>One punctuation character.</summary>
        Symbol,

        /// <summary>Anything else (pseudo-variables, names starting with a digit).</summary>
        Other,
    }

    /// <summary><c>file:line</c>.</summary>
    public string Where => string.Create(CultureInfo.InvariantCulture, $"{File}:{Line}");

    /// <summary>True for the one-character symbol <paramref name="c"/>.</summary>
    public bool Is(char c) => Kind == TokenKind.Symbol && Text.Length == 1 && Text[0] == c;
}
