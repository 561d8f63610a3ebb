using System.Diagnostics;
using System.Text.Json;

namespace KrautPortal.Features.Vms;

/// <summary>One finished VM phase span, as one line of the trace file.</summary>
public sealed record VmTraceLine(string Name, string? VmId, DateTime Start, double DurationMs);

/// <summary>
/// Opt-in (<c>Kraut:Telemetry:TraceFile=&lt;path&gt;</c>): appends one JSON line per finished <see cref="VmTelemetry"/>
/// span, so another process (the benchmark) can see the phase split without an exporter.
/// </summary>
public sealed class VmTraceFile(string path) : IHostedService, IDisposable
{
    public const string ConfigKey = "Kraut:Telemetry:TraceFile";

    private readonly Lock _lock = new();
    private StreamWriter? _writer;
    private ActivityListener? _listener;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == VmTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = Append,
        };
        ActivitySource.AddActivityListener(_listener);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    private void Append(Activity activity)
    {
        var line = JsonSerializer.Serialize(new VmTraceLine(activity.OperationName, activity.GetTagItem("kraut.vm.id") as string,
            activity.StartTimeUtc, activity.Duration.TotalMilliseconds), JsonSerializerOptions.Web);
        lock (_lock) _writer?.WriteLine(line);
    }

    public void Dispose()
    {
        _listener?.Dispose();
        lock (_lock)
        {
            _writer?.Dispose();
            _writer = null;
        }
    }
}

public static class VmTraceFileSetup
{
    /// <summary>Registers the trace file only when its path is configured; otherwise nothing listens and spans cost nothing.</summary>
    public static IServiceCollection AddVmTraceFile(this IServiceCollection services, IConfiguration config)
    {
        if (config[VmTraceFile.ConfigKey] is { Length: > 0 } path) services.AddHostedService(_ => new VmTraceFile(path));
        return services;
    }
}
