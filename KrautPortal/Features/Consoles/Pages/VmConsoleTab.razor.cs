using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;

namespace KrautPortal.Features.Consoles.Pages;

/// <summary>
/// A VM's consoles on its page: the serial log while nothing is open, the interactive serial console (xterm.js) or the
/// screen (noVNC) once asked for. Each connection gets a one-time ticket issued here, in the circuit, for the page's own
/// origin; a reconnect asks for a fresh one.
/// </summary>
public partial class VmConsoleTab : ComponentBase, IAsyncDisposable
{
    public const string SerialScript = "js/console-serial.js";
    public const string VncScript = "js/console-vnc.js";

    /// <summary>The phases in which the VM's domain runs, so its consoles answer (as <see cref="ConsoleTickets"/> checks).</summary>
    private static readonly VmPhase[] Live = [VmPhase.Running, VmPhase.Rebooting, VmPhase.Paused, VmPhase.Stopping];

    private string? _open;
    private IssuedConsoleTicket? _pending;
    private ElementReference _host;
    private IJSObjectReference? _module;
    private IJSObjectReference? _handle;
    private DotNetObjectReference<VmConsoleTab>? _self;
    private string? _error;
    private string? _connection;
    private bool _connected;
    private bool _typing;
    private string? _typist;
    private int _viewers;
    private bool _scale = true;
    private string? _text;

    [Inject] private ConsoleTickets Tickets { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private IJSRuntime JS { get; set; } = default!;

    [Parameter, EditorRequired] public Resource<VmSpec, VmStatus> Vm { get; set; } = default!;

    private bool IsRouter => Vm.System || RouterVmMarker.IsRouterVm(Vm);

    private bool IsRunning => Live.Contains(Vm.Status.Phase) && Vm.Status.Host is not null && Vm.DeletionRequestedAt is null;

    private string StatusText =>
        !_connected ? _connection ?? "Connecting…"
        : _open == ConsoleTypes.Vnc ? "Connected."
        : _typing ? $"Connected: you type{Others}."
        : _typist is null ? $"Connected: watching{Others}."
        : $"Connected: {_typist} types, you watch{Others}.";

    private string Others => _viewers > 1 ? $" ({_viewers} viewers)" : "";

    protected override async Task OnParametersSetAsync()
    {
        // The VM stopped (or became something without a console) under an open console: the server ends it too.
        if (_open is not null && (IsRouter || !IsRunning)) await CloseAsync();
    }

    private async Task OpenAsync(string type)
    {
        await CloseAsync();
        _error = null;
        var ticket = await IssueAsync(type);
        if (ticket is null) return;
        (_open, _pending, _connected, _connection) = (type, ticket, false, null);
        (_typing, _typist, _viewers) = (false, null, 0);
        // The element the console goes into exists after this render: OnAfterRenderAsync connects it.
    }

    private async Task<IssuedConsoleTicket?> IssueAsync(string type)
    {
        try
        {
            return await Tickets.IssueAsync(Vm.Id, type, PageOrigin, CancellationToken.None);
        }
        catch (KrautProblemException e)
        {
            _error = e.Detail;
            return null;
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_pending is not { } ticket || _open is not { } type) return;
        _pending = null;
        try
        {
            _self ??= DotNetObjectReference.Create(this);
            if (_module is not null) await _module.DisposeAsync();
            _module = await JS.InvokeAsync<IJSObjectReference>("import", "./" + Assets[type == ConsoleTypes.Serial ? SerialScript : VncScript]);
            _handle = await _module.InvokeAsync<IJSObjectReference>("open", _host, _self, Endpoint(ticket));
        }
        catch (JSDisconnectedException)
        {
            // The page went away while the console opened.
        }
    }

    /// <summary>The page's origin as the browser sends it in the WebSocket's Origin header.</summary>
    private string PageOrigin => new Uri(Navigation.BaseUri).GetLeftPart(UriPartial.Authority);

    /// <summary>
    /// The socket's absolute URL under the page's own base (the browser's view: the path base and the proxy's scheme and
    /// host included), and the subprotocols that carry the ticket.
    /// </summary>
    private ConsoleEndpoint Endpoint(IssuedConsoleTicket ticket)
    {
        var page = new Uri(Navigation.BaseUri);
        var url = new UriBuilder(page)
        {
            Scheme = page.Scheme == Uri.UriSchemeHttps ? "wss" : "ws",
            Path = page.AbsolutePath.TrimEnd('/') + ticket.Path,
            Query = "",
            Fragment = "",
        };
        return new ConsoleEndpoint(url.Uri.AbsoluteUri, ticket.Protocols);
    }

    /// <summary>What the scripts connect to; serialised to <c>{url, protocols}</c>.</summary>
    public sealed record ConsoleEndpoint(string Url, IReadOnlyList<string> Protocols);

    [JSInvokable]
    public async Task<ConsoleEndpoint?> FreshTicket()
    {
        if (_open is not { } type || IsRouter || !IsRunning) return null;
        var ticket = await IssueAsync(type);
        if (ticket is null)
        {
            _connection = "Not reconnected.";
            StateHasChanged();
        }
        return ticket is null ? null : Endpoint(ticket);
    }

    [JSInvokable]
    public void OnConnection(bool connected, string? message)
    {
        (_connected, _connection) = (connected, message);
        StateHasChanged();
    }

    [JSInvokable]
    public void OnState(bool typing, string? typist, int viewers)
    {
        (_typing, _typist, _viewers) = (typing, typist, viewers);
        StateHasChanged();
    }

    private Task TakeOverAsync() => CallAsync("takeOver");

    private Task CtrlAltDelAsync() => CallAsync("sendCtrlAltDel");

    private Task FullScreenAsync() => CallAsync("fullScreen");

    private async Task ScaleAsync(bool on)
    {
        _scale = on;
        await CallAsync("setScale", on);
    }

    private async Task TypeTextAsync()
    {
        if (string.IsNullOrEmpty(_text)) return;
        await CallAsync("typeText", _text);
        _text = null;
    }

    private async Task CallAsync(string method, params object?[] args)
    {
        if (_handle is null) return;
        try
        {
            await _handle.InvokeVoidAsync(method, args);
        }
        catch (JSDisconnectedException)
        {
            // The page is gone; so is the console.
        }
    }

    /// <summary>Ends the open console, if any: the socket closes, the server ends the session.</summary>
    private async Task CloseAsync()
    {
        (_open, _pending, _connected, _connection) = (null, null, false, null);
        var handle = _handle;
        _handle = null;
        if (handle is null) return;
        try
        {
            await handle.InvokeVoidAsync("close");
            await handle.DisposeAsync();
        }
        catch (JSDisconnectedException)
        {
            // The circuit is gone: the browser closed the socket with the page.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        try
        {
            if (_module is not null) await _module.DisposeAsync();
        }
        catch (JSDisconnectedException)
        {
            // The circuit is gone, and the module with it.
        }
        _self?.Dispose();
        GC.SuppressFinalize(this);
    }
}
