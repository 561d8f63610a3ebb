using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace KrautPortal.Features.Audit.Pages;

/// <summary>The audit search in the portal: filters, a table a page at a time, each row opening to its parameters and changes.</summary>
public sealed partial class AuditTrail
{
    private const int PageSize = 50;
    private static readonly IReadOnlyList<string> Kinds = [.. Store.Kinds.All.Select(k => k.Name), "profile", "consoles"];

    private readonly Filter _filter = new();
    private readonly HashSet<string> _open = [];
    private List<AuditEntry>? _items;
    private string? _next;
    private string? _error;
    private bool _admin;
    private bool _filtered;
    private bool _loading;

    [Inject] private AuditSearch Search { get; set; } = default!;
    [Inject] private IActorAccessor Actors { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _admin = Actors.Current.IsAdmin;
        await SearchAsync();
    }

    private async Task SearchAsync()
    {
        _open.Clear();
        _next = null;
        _items = await LoadAsync(null) ?? [];
    }

    private async Task ClearAsync()
    {
        _filter.Clear();
        await SearchAsync();
    }

    private async Task LoadMoreAsync()
    {
        if (await LoadAsync(_next) is { } more) _items?.AddRange(more);
    }

    private async Task<List<AuditEntry>?> LoadAsync(string? before)
    {
        _loading = true;
        try
        {
            var query = _filter.ToQuery(PageSize, before);
            _filtered = query != new AuditQuery(Limit: PageSize, Before: before);
            var page = await Search.SearchAsync(query, Actors.Current, CancellationToken.None);
            _error = null;
            _next = page.Next;
            return [.. page.Items];
        }
        catch (KrautProblemException e)
        {
            _error = e.Detail;
            return null;
        }
        finally
        {
            _loading = false;
        }
    }

    private void Toggle(AuditEntry entry)
    {
        if (!_open.Remove(entry.Id)) _open.Add(entry.Id);
    }

    private static string SourceText(string source) => source switch
    {
        "api" => "API call",
        "history" => "Version",
        "auth" => "Sign-in",
        "console" => "Console",
        _ => source,
    };

    private static Color ResultColor(string result) => result switch
    {
        "ok" => Color.Success,
        "refused" => Color.Warning,
        _ => Color.Error,
    };

    private static string ShortId(Guid? id) => id is { } value ? value.ToString()[..8] + "…" : "";

    /// <summary>The filter fields as typed; blank means any.</summary>
    private sealed class Filter
    {
        public string? User { get; set; }
        public string? Kind { get; set; }
        public string? Object { get; set; }
        public string? Action { get; set; }
        public string? Result { get; set; }
        public string? Source { get; set; }
        public string? From { get; set; }
        public string? To { get; set; }

        public void Clear() => (User, Kind, Object, Action, Result, Source, From, To) = (null, null, null, null, null, null, null, null);

        public AuditQuery ToQuery(int limit, string? before) => new(
            Blank(User), Blank(Kind), Blank(Object) is { } id ? Guid.TryParse(id, out var g) ? g : throw new BadRequestException("Invalid id", $"'{id}' is not an object id.") : null,
            Blank(Action), Time(From, "From"), Time(To, "To"), Blank(Result), Blank(Source) is { } s ? [s] : null, limit, before);

        private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

        /// <summary>The browser's datetime-local is local time without a zone; the server compares in UTC.</summary>
        private static DateTime? Time(string? value, string name) =>
            Blank(value) is not { } text ? null
            : DateTime.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeLocal, out var at) ? at.ToUniversalTime()
            : throw new BadRequestException("Invalid time", $"{name}: '{text}' is not a time.");
    }
}
