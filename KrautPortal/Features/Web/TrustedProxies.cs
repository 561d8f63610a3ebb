using System.Net;
using IPNetwork = System.Net.IPNetwork;
using Microsoft.AspNetCore.HttpOverrides;

namespace KrautPortal.Features.Web;

/// <summary>
/// X-Forwarded-For/-Proto/-Host honoured only from the proxies named in <c>Kraut:TrustedProxies</c> (addresses or
/// CIDRs; none by default): then the session cookie is Secure behind a TLS-terminating proxy and the client's own
/// address (not the proxy's) is what throttling and the audit see. From anyone else the headers are ignored.
/// </summary>
public static class TrustedProxies
{
    public const string Key = "Kraut:TrustedProxies";

    public static IServiceCollection AddTrustedProxies(this IServiceCollection services, IConfiguration config)
    {
        var entries = config.GetSection(Key).Get<string[]>() ?? [];
        var networks = entries.Select(e => Parse(e) ?? throw new InvalidOperationException(
            $"{Key} entry '{e}' is not an IP address or a CIDR such as 10.0.0.0/24.")).ToList();
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            // The defaults trust loopback; here nothing is trusted unless configured.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
#pragma warning disable ASPDEPR005 // the old list still holds loopback by default and is still consulted
            o.KnownNetworks.Clear();
#pragma warning restore ASPDEPR005
            foreach (var network in networks) o.KnownIPNetworks.Add(network);
            // Walk back through every trusted proxy in a chain, stopping at the first address that is not one.
            o.ForwardLimit = null;
        });
        return services;
    }

    /// <summary>
    /// The middleware only when a proxy is configured: with empty lists ASP.NET Core trusts every sender's headers.
    /// </summary>
    public static IApplicationBuilder UseTrustedProxies(this IApplicationBuilder app)
    {
        var options = app.ApplicationServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<ForwardedHeadersOptions>>().Value;
        return options.KnownIPNetworks.Count > 0 ? app.UseForwardedHeaders() : app;
    }

    private static IPNetwork? Parse(string entry)
    {
        entry = entry.Trim();
        if (IPNetwork.TryParse(entry, out var network)) return network;
        if (!IPAddress.TryParse(entry, out var address)) return null;
        return new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
    }
}
