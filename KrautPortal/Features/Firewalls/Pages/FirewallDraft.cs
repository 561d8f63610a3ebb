using KrautPortal.Features.Store;

namespace KrautPortal.Features.Firewalls.Pages;

/// <summary>One rule as the rules table edits it: lists as the text people type ("80, 443"), turned into a rule on save.</summary>
public sealed class RuleRow
{
    /// <summary>Picked here, not by the server, so a new row keeps its counters and its errors across saves.</summary>
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public RuleDirection Direction { get; set; } = RuleDirection.Inbound;
    public RuleAction Action { get; set; } = RuleAction.Allow;
    public RuleProtocol Protocol { get; set; } = RuleProtocol.Tcp;
    public string Ports { get; set; } = "";
    public string Sources { get; set; } = "";
    public string Destinations { get; set; } = "";
    public string? SourceSelector { get; set; }
    public string? DestinationSelector { get; set; }
    public int? NewConnectionsPerSecond { get; set; }
    public int? Burst { get; set; }
    public long? PacketsPerSecond { get; set; }
    public long? BytesPerSecond { get; set; }
    public string? Comment { get; set; }
    public bool Enabled { get; set; } = true;

    public static RuleRow From(FirewallRule rule) => new()
    {
        Id = rule.Id == Guid.Empty ? Guid.CreateVersion7() : rule.Id,
        Direction = rule.Direction,
        Action = rule.Action,
        Protocol = rule.Protocol,
        Ports = string.Join(", ", rule.Ports),
        Sources = string.Join(", ", rule.Sources),
        Destinations = string.Join(", ", rule.Destinations),
        SourceSelector = rule.SourceSelector,
        DestinationSelector = rule.DestinationSelector,
        NewConnectionsPerSecond = rule.RateLimit?.NewConnectionsPerSecond,
        Burst = rule.RateLimit?.Burst,
        PacketsPerSecond = rule.RateLimit?.PacketsPerSecond,
        BytesPerSecond = rule.RateLimit?.BytesPerSecond,
        Comment = rule.Comment,
        Enabled = rule.Enabled,
    };

    public FirewallRule ToRule() => new()
    {
        Id = Id,
        Direction = Direction,
        Action = Action,
        Protocol = Protocol,
        Ports = FirewallDraft.Items(Ports),
        Sources = FirewallDraft.Items(Sources),
        Destinations = FirewallDraft.Items(Destinations),
        SourceSelector = FirewallDraft.OrNull(SourceSelector),
        DestinationSelector = FirewallDraft.OrNull(DestinationSelector),
        RateLimit = NewConnectionsPerSecond is null && Burst is null && PacketsPerSecond is null && BytesPerSecond is null ? null : new RateLimitSpec
        {
            NewConnectionsPerSecond = NewConnectionsPerSecond,
            Burst = Burst,
            PacketsPerSecond = PacketsPerSecond,
            BytesPerSecond = BytesPerSecond,
        },
        Comment = FirewallDraft.OrNull(Comment),
        Enabled = Enabled,
    };
}

/// <summary>One port forward as the forwards table edits it.</summary>
public sealed class ForwardRow
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public RuleProtocol Protocol { get; set; } = RuleProtocol.Tcp;
    public int? UpstreamPort { get; set; }
    public Guid? VmId { get; set; }
    public int? Port { get; set; }
    public string? Comment { get; set; }
    public bool Enabled { get; set; } = true;

    public static ForwardRow From(PortForward forward) => new()
    {
        Id = forward.Id == Guid.Empty ? Guid.CreateVersion7() : forward.Id,
        Protocol = forward.Protocol,
        UpstreamPort = forward.UpstreamPort,
        VmId = forward.VmId,
        Port = forward.Port,
        Comment = forward.Comment,
        Enabled = forward.Enabled,
    };

    public PortForward ToForward() => new()
    {
        Id = Id,
        Protocol = Protocol,
        UpstreamPort = UpstreamPort ?? 0,
        VmId = VmId ?? Guid.Empty,
        Port = Port ?? UpstreamPort ?? 0,
        Comment = FirewallDraft.OrNull(Comment),
        Enabled = Enabled,
    };
}

/// <summary>What the firewall page edits before it is reviewed and applied: the whole spec, rows in table order.</summary>
public sealed class FirewallDraft
{
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public List<Guid> NetworkIds { get; set; } = [];
    public RuleAction DefaultInbound { get; set; } = RuleAction.Deny;
    public RuleAction DefaultOutbound { get; set; } = RuleAction.Allow;
    public List<RuleRow> Rules { get; } = [];
    public List<ForwardRow> Forwards { get; } = [];

    public static FirewallDraft From(string name, FirewallSpec spec)
    {
        var draft = new FirewallDraft
        {
            Name = name,
            Description = spec.Description,
            NetworkIds = [.. spec.NetworkIds],
            DefaultInbound = spec.Defaults.Inbound,
            DefaultOutbound = spec.Defaults.Outbound,
        };
        draft.Rules.AddRange(spec.Rules.Select(RuleRow.From));
        draft.Forwards.AddRange(spec.Forwards.Select(ForwardRow.From));
        return draft;
    }

    public FirewallSpec ToSpec() => new()
    {
        NetworkIds = [.. NetworkIds],
        Defaults = new DefaultPolicies { Inbound = DefaultInbound, Outbound = DefaultOutbound },
        Rules = Rules.Select(r => r.ToRule()).ToList(),
        Forwards = Forwards.Select(f => f.ToForward()).ToList(),
        Description = OrNull(Description),
    };

    /// <summary>Moves the rule at <paramref name="from"/> to <paramref name="to"/>; out-of-range moves do nothing.</summary>
    public void Move(int from, int to)
    {
        if (from < 0 || from >= Rules.Count || to < 0 || to >= Rules.Count || from == to) return;
        var rule = Rules[from];
        Rules.RemoveAt(from);
        Rules.Insert(to, rule);
    }

    /// <summary>"80, 443 8080" → ["80", "443", "8080"]: commas or spaces separate, as people type them.</summary>
    public static IReadOnlyList<string> Items(string? text) =>
        (text ?? "").Split([',', ' ', '\n', '\t', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static string? OrNull(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>What create and replace take.</summary>
    public ResourceInput<FirewallSpec> ToInput(System.Text.Json.Nodes.JsonObject metadata) => new(Name.Trim(), metadata, ToSpec());
}
