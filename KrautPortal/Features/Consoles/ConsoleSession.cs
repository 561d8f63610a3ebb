using KrautPortal.Features.Store;

namespace KrautPortal.Features.Consoles;

/// <summary>One open console WebSocket: who, which VM, from where, how much went each way, and how to end it with a reason.</summary>
public sealed class ConsoleSession(Guid id, ConsoleTicket ticket, string vmName, string? remoteAddress, DateTime openedAt) : IDisposable
{
    private readonly CancellationTokenSource _closing = new();
    private long _bytesIn;
    private long _bytesOut;
    private string? _reason;

    public Guid Id { get; } = id;
    public Guid VmId => ticket.VmId;
    public string VmName { get; } = vmName;
    public string Type => ticket.Type;
    public Actor Actor => ticket.Actor;
    public string? Origin => ticket.Origin;
    public string? RemoteAddress { get; } = remoteAddress;
    public DateTime OpenedAt { get; } = openedAt;

    /// <summary>The person the per-user cap counts: a token's maker, or the signed-in user.</summary>
    public string Person => Actor.Scope?.Person ?? Actor.Name;

    /// <summary>Keystrokes (and for VNC, the client's RFB stream) into the guest.</summary>
    public long BytesIn => Interlocked.Read(ref _bytesIn);

    /// <summary>Console output (or the guest's RFB stream) to the client.</summary>
    public long BytesOut => Interlocked.Read(ref _bytesOut);

    /// <summary>Set by the serial hub: this viewer's keystrokes reach the guest.</summary>
    public bool Typing { get; set; }

    /// <summary>Cancelled when the session is to end (VM deleted, access lost, an administrator, shutdown).</summary>
    public CancellationToken Closing => _closing.Token;

    /// <summary>Why it ended (or ends), as told to the client; null while open and nobody closed it.</summary>
    public string? CloseReason => Volatile.Read(ref _reason);

    public void CountIn(int bytes) => Interlocked.Add(ref _bytesIn, bytes);

    public void CountOut(int bytes) => Interlocked.Add(ref _bytesOut, bytes);

    /// <summary>Ends the session; the first reason given is the one the client and the audit log get.</summary>
    public void Close(string reason)
    {
        Interlocked.CompareExchange(ref _reason, reason, null);
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // ended already
        }
    }

    public ConsoleSessionInfo Info() => new(Id, VmId, VmName, Type, Person, Actor.Via, Actor.Scope?.TokenId, Origin, RemoteAddress, OpenedAt,
        BytesIn, BytesOut, Typing);

    public void Dispose() => _closing.Dispose();
}

/// <summary>An open console as the admin API and pages show it.</summary>
/// <param name="User">The person (a token's maker); <paramref name="Via"/> says how they signed in.</param>
public sealed record ConsoleSessionInfo(Guid Id, Guid VmId, string VmName, string Type, string User, string Via, Guid? TokenId,
    string? Origin, string? RemoteAddress, DateTime OpenedAt, long BytesIn, long BytesOut, bool Typing);
