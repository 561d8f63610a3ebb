namespace KrautPortal.Features.Firewalls.Pages;

/// <summary>Rules people ask for most, one click away; they land in the table like any rule and can be edited there.</summary>
public static class RuleTemplates
{
    /// <summary>"Web server": HTTP and HTTPS from anywhere upstream.</summary>
    public static IReadOnlyList<RuleRow> WebServer() =>
        [new RuleRow { Protocol = RuleProtocol.Tcp, Ports = "80, 443", Comment = "Web server" }];

    /// <summary>"SSH from my office": port 22, only from the office's address or range.</summary>
    public static IReadOnlyList<RuleRow> SshFrom(string officeCidr) =>
        [new RuleRow { Protocol = RuleProtocol.Tcp, Ports = "22", Sources = officeCidr.Trim(), Comment = "SSH from my office" }];

    /// <summary>"Ping": echo and friends over both IP families.</summary>
    public static IReadOnlyList<RuleRow> Ping() =>
    [
        new RuleRow { Protocol = RuleProtocol.Icmp, Comment = "Ping (IPv4)" },
        new RuleRow { Protocol = RuleProtocol.Icmpv6, Comment = "Ping (IPv6)" },
    ];
}
