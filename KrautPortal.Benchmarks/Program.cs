using System.Diagnostics;
using System.Globalization;
using KrautPortal.Benchmarks.Auth;
using KrautPortal.Benchmarks.Backups;
using KrautPortal.Benchmarks.Cli;
using KrautPortal.Benchmarks.Consoles;
using KrautPortal.Benchmarks.Conversion;
using KrautPortal.Benchmarks.CreateToRunning;
using KrautPortal.Benchmarks.Dashboard;
using KrautPortal.Benchmarks.Ipam;
using KrautPortal.Benchmarks.Replicas;
using KrautPortal.Benchmarks.ListAndFilter;
using KrautPortal.Benchmarks.ListMillion;
using KrautPortal.Benchmarks.RouterRules;
using KrautPortal.Benchmarks.Scheduling;
using KrautPortal.Benchmarks.Support;
using KrautPortal.Benchmarks.Upload;
using KrautPortal.Benchmarks.Usage;

// Usage: dotnet run -c Release --project KrautPortal.Benchmarks -- create|list|auth|convert|upload|ipam|router|console|usage|dashboard|placement|replicas|list-million|cli-startup|cli-list|all [--iterations N] [--rows N] [--keep-db PATH] [--requests N] [--data-mib N] [--allocations N] [--allocators N] [--keys N] [--burst-lines N] [--domain NAME]
var which = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
var iterations = IntOption("--iterations", 5);
var rows = IntOption("--rows", 100_000);
var requests = IntOption("--requests", 500);
var dataMiB = IntOption("--data-mib", 1024);
var allocations = IntOption("--allocations", 4000);
var allocators = IntOption("--allocators", 32);
var keys = IntOption("--keys", 40);
var burstLines = IntOption("--burst-lines", 100_000);
var passes = IntOption("--passes", 200);
var usageVms = IntOption("--usage-vms", 3000);
var placedVms = IntOption("--placed-vms", 5000);
var decisions = IntOption("--decisions", 200);
var domain = Array.IndexOf(args, "--domain") is var d and >= 0 && d + 1 < args.Length ? args[d + 1] : null;
var keepDbAt = Array.IndexOf(args, "--keep-db") is var k and >= 0 && k + 1 < args.Length ? Path.GetFullPath(args[k + 1]) : null;
if (which is not ("create" or "list" or "auth" or "convert" or "upload" or "ipam" or "router" or "console" or "usage" or "dashboard" or "placement" or "replicas" or "list-million" or "backup" or "cli-startup" or "cli-list" or "all") || iterations < 1 || keys < 1 || burstLines < 0 || rows < 1_000 || requests < 20 || dataMiB < 1
    || allocations is < 100 or > 60_000 || allocators < 1 || passes < 1)
{
    Console.Error.WriteLine("usage: KrautPortal.Benchmarks create|list|auth|convert|upload|ipam|router|console|usage|dashboard|placement|replicas|list-million|backup|cli-startup|cli-list|all [--iterations N (default 5)] [--rows N (default 100000, at least 1000)] [--keep-db PATH (copy of the list database)] [--requests N (auth, per credential; default 500, at least 20)] [--data-mib N (convert: MiB of data per input, default 1024)] [--allocations N (ipam, per round; default 4000)] [--allocators N (ipam; default 32)] [--keys N (console: keys per round, default 40)] [--burst-lines N (console: seq 1 N, default 100000; 0 = none)] [--domain NAME (console: only virsh console and the libvirt stream on this existing domain, nothing written)] [--passes N (usage: sampling passes, default 200)] [--usage-vms N (dashboard: VMs with a month of hourly usage, default 3000)] [--placed-vms N (placement: default 5000)] [--decisions N (placement: per round, default 200)] [--million-rows N (list-million: VMs, default 1000000)] [--runs N (list-million: per page and side, default 50)] [--keep-pg (list-million: keep the filled database for the next run)] [--runs N (cli-startup: per command, default 30; cli-list: per side, default 10)] [--cli-vms N (cli-list: VMs, default 10000)]");
    return 2;
}
#if DEBUG
Console.Error.WriteLine("warning: a Debug build; numbers are only meaningful with -c Release");
#endif

var clock = Stopwatch.StartNew();
if (which is "create" or "all") ResultsFile.Update("create", await CreateToRunningBenchmark.RunAsync(iterations));
if (which is "list" or "all") ResultsFile.Update("list", await ListBenchmark.RunAsync(rows, keepDbAt));
if (which is "auth" or "all") ResultsFile.Update("auth", await AuthBenchmark.RunAsync(requests));
if (which is "convert" or "all") ResultsFile.Update("convert", await ConvertBenchmark.RunAsync(iterations, dataMiB));
if (which is "upload" or "all") ResultsFile.Update("upload", await UploadBenchmark.RunAsync(iterations));
if (which is "ipam" or "all") ResultsFile.Update("ipam", await IpamBenchmark.RunAsync(allocations, allocators));
if (which is "router" or "all") ResultsFile.Update("router", await RouterRulesBenchmark.RunAsync(iterations));
var consoleOptions = new ConsoleBenchmark.Options(iterations, keys, burstLines);
if (which is "console" && domain is not null) await ConsoleBenchmark.RunWithoutPortalAsync(domain, consoleOptions);
else if (which is "console" or "all") ResultsFile.Update("console", await ConsoleBenchmark.RunAsync(consoleOptions));
if (which is "usage" or "all") ResultsFile.Update("usage", await UsageBenchmark.RunAsync(passes));
if (which is "dashboard" or "all") ResultsFile.Update("dashboard", await DashboardBenchmark.RunAsync(rows, usageVms));
if (which is "placement" or "all") ResultsFile.Update("placement", await PlacementBenchmark.RunAsync(placedVms, decisions));
// Not in "all": it fills a PostgreSQL database of about 3 GB on the test server first.
if (which is "list-million") ResultsFile.Update("list-million", await ListMillionBenchmark.RunAsync(IntOption("--million-rows", 1_000_000), IntOption("--runs", 50), args.Contains("--keep-pg")));
// Not in "all" yet: a guest under TCG writing and backing up its data takes several minutes.
if (which is "backup") ResultsFile.Update("backup", await BackupBenchmark.RunAsync(Math.Min(iterations, 3), IntOption("--data-mib", 256)));
if (which is "replicas" or "all") ResultsFile.Update("replicas", await ReplicasBenchmark.RunAsync(IntOption("--creates", 200), Math.Min(iterations, 3)));
if (which is "cli-startup" or "all") ResultsFile.Update("cli-startup", await CliStartupBenchmark.RunAsync(IntOption("--runs", 30)));
if (which is "cli-list" or "all") ResultsFile.Update("cli-list", await CliListBenchmark.RunAsync(IntOption("--cli-vms", 10_000), IntOption("--runs", 10)));
Console.WriteLine($"Done in {clock.Elapsed.TotalMinutes:0.0} min.");
return 0;

int IntOption(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}
