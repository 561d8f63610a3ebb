using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Images.Upload;

/// <summary>Registers image content transfer: upload, URL import, cancel, and the sweep of what was left unfinished.</summary>
public static class ImageContentSetup
{
    public static IServiceCollection AddImageContent(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<ImagesOptions>, ImportAllowListValidation>();
        services.AddOptions<ImagesOptions>().ValidateOnStart();

        // Kestrel otherwise waits for each read with a zero-byte receive before taking a buffer: two system calls per
        // 4 KiB block of an upload, half a million extra for 2 GiB. Idle connections then hold a 4 KiB block each.
        services.Configure<SocketTransportOptions>(o => o.WaitForDataBeforeAllocatingBuffer = false);
        services.AddSingleton<ContentTransfers>();
        services.AddSingleton<IncomingFiles>();
        services.AddSingleton<ContentReceiver>();
        services.AddSingleton<ImportAddressPolicy>();
        services.AddSingleton<ImportDownloader>();
        services.AddSingleton<ImageImporter>();
        services.AddScoped<ImageContentStatus>();
        services.AddScoped<ImageContentService>();
        services.AddSingleton<IncompleteUploadSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<IncompleteUploadSweeper>());
        return services;
    }

    /// <summary>A mistyped allow-list entry stops start-up instead of silently allowing nothing (or too much).</summary>
    private sealed class ImportAllowListValidation : IValidateOptions<ImagesOptions>
    {
        public ValidateOptionsResult Validate(string? name, ImagesOptions options)
        {
            var problems = options.ImportAllowList.Select(ImportAddressPolicy.AllowEntryProblem).OfType<string>().ToList();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
