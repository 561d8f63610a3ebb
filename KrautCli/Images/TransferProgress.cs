using System.Globalization;
using Spectre.Console;

namespace KrautCli.Images;

/// <summary>
/// Progress of a long transfer, on standard error (standard output stays for -o json): a Spectre bar on a terminal,
/// else a plain line every tenth of the way, so a log or CI shows movement without control characters.
/// </summary>
public static class TransferProgress
{
    /// <summary>Runs <paramref name="work"/>, which reports the bytes done so far (counted from 0, including <paramref name="start"/>).</summary>
    public static async Task<T> RunAsync<T>(string label, long total, long start, Func<Action<long>, Task<T>> work)
    {
        if (Console.IsErrorRedirected) return await PlainAsync(label, total, start, work);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(label, maxValue: Math.Max(total, 1));
                task.Value = start;
                var result = await work(done => task.Value = done);
                task.Value = task.MaxValue;
                return result;
            });
    }

    private static async Task<T> PlainAsync<T>(string label, long total, long start, Func<Action<long>, Task<T>> work)
    {
        var step = Math.Max(total / 10, 1);
        var next = start + step;
        var lockObject = new object();
        await Console.Error.WriteLineAsync($"{label}: {Describe(start)} of {Describe(total)}");
        var result = await work(done =>
        {
            lock (lockObject)
            {
                if (done < next || done >= total) return;
                next = done + step;
                Console.Error.WriteLine($"{label}: {Describe(done)} of {Describe(total)} ({100.0 * done / Math.Max(total, 1):0}%)");
            }
        });
        await Console.Error.WriteLineAsync($"{label}: {Describe(total)} of {Describe(total)} (100%)");
        return result;
    }

    public static string Describe(long bytes) => bytes switch
    {
        < 1 << 10 => $"{bytes} B",
        < 1 << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        < 1 << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.0} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1073741824.0:0.00} GiB"),
    };
}
