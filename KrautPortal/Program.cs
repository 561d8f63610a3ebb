using KrautPortal.Components;
using KrautPortal.Components.Pages;
using KrautPortal.Features;
using KrautPortal.Features.Audit;
using KrautPortal.Features.Metrics;
using KrautPortal.Features.Store;
using KrautPortal.Features.Web;
using MudBlazor;
using MudBlazor.Services;

// A command instead of the portal: check the audit chain in a database file.
if (args is ["audit", .. var command])
{
    Environment.ExitCode = await AuditCommand.RunAsync(command, Console.Out, Console.Error);
    return;
}

// A command instead of the portal: copy an SQLite installation into PostgreSQL (for several replicas).
if (args is ["db", .. var dbCommand])
{
    Environment.ExitCode = await KrautPortal.Features.Store.Copy.DbCopyCommand.RunAsync(dbCommand, Console.Out, Console.Error);
    return;
}

var builder = WebApplication.CreateBuilder(args);
builder.AddKraut();
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
// Bottom right: at the top right, snackbars covered a detail page's Force off and Delete buttons after every action.
builder.Services.AddMudServices(c => c.SnackbarConfiguration.PositionClass = Defaults.Classes.Position.BottomRight);

var app = builder.Build();
await app.InitializeKrautAsync();

app.UseKrautWeb();
app.UseKrautAudit();
app.UseKrautMetrics();
app.UseExceptionHandler();
app.UseKrautStatusPages();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.UseContextPerOperationForPages();
app.MapStaticAssets().AllowAnonymous();
app.MapKraut();
// Not even the portal frames itself (Blazor's default is 'self'); see SecurityHeaders.
app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = "'none'");
app.Run();

/// <summary>Visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
