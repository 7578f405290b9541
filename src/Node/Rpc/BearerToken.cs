using System.Security.Cryptography;
using System.Text;

namespace HTableCluster.Node.Rpc;

/// <summary>
/// The optional bearer token of the HTTP endpoint (<c>Rpc:Token</c> or <c>Rpc:TokenFile</c>). A
/// request is let in when its <c>Authorization</c> header is <c>Bearer &lt;token&gt;</c>. The header
/// and the expected value are compared as SHA-256 digests with
/// <see cref="CryptographicOperations.FixedTimeEquals"/>: the time taken tells nothing about how many
/// bytes matched, nor the token's length, and nothing is allocated per request. The health probes
/// stay open (NodeHost); JSON-RPC is refused with a JSON-RPC error, anything else with a JSON body.
/// </summary>
public sealed class BearerToken
{
    /// <summary>JSON-RPC error code of a refused call (the server-error range of JSON-RPC 2.0).</summary>
    public const int UnauthorizedCode = -32001;

    // Longest header hashed on the stack; a longer one is refused without looking at it.
    private const int MaxHeaderBytes = 1024;

    private static readonly byte[] RpcRefusal = Encoding.UTF8.GetBytes(
        "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32001,\"message\":\"Unauthorized: missing or wrong bearer token (Authorization: Bearer <Rpc:Token>)\"},\"id\":null}");

    private static readonly byte[] HttpRefusal = Encoding.UTF8.GetBytes(
        "{\"error\":\"Unauthorized\",\"detail\":\"missing or wrong bearer token (Authorization: Bearer <Rpc:Token>)\"}\n");

    private readonly byte[] _expected;

    /// <summary>Creates the check for <paramref name="token"/> (validated by the configuration).</summary>
    public BearerToken(string token)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        _expected = SHA256.HashData(Encoding.UTF8.GetBytes("Bearer " + token));
    }

    /// <summary>True when the request carries the token.</summary>
    public bool Allows(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var values = request.Headers.Authorization;
        if (values.Count != 1 || values[0] is not { } header)
            return false;
        Span<byte> bytes = stackalloc byte[MaxHeaderBytes];
        if (header.Length > MaxHeaderBytes / 3 && Encoding.UTF8.GetByteCount(header) > MaxHeaderBytes)
            return false;
        var length = Encoding.UTF8.GetBytes(header, bytes);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes[..length], digest);
        return CryptographicOperations.FixedTimeEquals(digest, _expected);
    }

    /// <summary>Answers a JSON-RPC request without the token: 401 with a JSON-RPC error.</summary>
    public static Task RefuseRpcAsync(HttpContext ctx) => RefuseAsync(ctx, RpcRefusal);

    /// <summary>Answers any other request without the token: 401 with a JSON body.</summary>
    public static Task RefuseAsync(HttpContext ctx) => RefuseAsync(ctx, HttpRefusal);

    private static Task RefuseAsync(HttpContext ctx, byte[] body)
    {
        ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
        ctx.Response.Headers.WWWAuthenticate = "Bearer";
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = body.Length;
        return ctx.Response.Body.WriteAsync(body, ctx.RequestAborted).AsTask();
    }
}
