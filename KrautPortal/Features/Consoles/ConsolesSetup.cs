using KrautPortal.Features.Tokens;

namespace KrautPortal.Features.Consoles;

/// <summary>Consoles plug in above VMs: tickets, sessions, the serial hub, the VNC relay, and the token verb <c>console</c>.</summary>
public static class ConsolesSetup
{
    public static IServiceCollection AddKrautConsoles(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<ConsoleOptions>(config.GetSection("Consoles"));
        services.AddSingleton<ConsoleTicketStore>();
        services.AddScoped<ConsoleTickets>();
        services.AddSingleton<ConsoleSessions>();
        services.AddSingleton<ISerialConsoleSource, LibvirtSerialConsoleSource>();
        services.AddSingleton<SerialConsoleHub>();
        services.AddSingleton<VncRelay>();
        services.AddSingleton<ITokenActions, ConsoleTokenActions>();
        services.AddHostedService<ConsoleAccessWatch>();
        return services;
    }
}
