using System.Diagnostics;
using KrautPortal.Tests.Api;

namespace KrautPortal.Tests.Cli;

/// <summary>
/// <c>kraut completion bash</c> sourced into the real bash, its completion function called the way bash calls it on a
/// TAB (COMP_WORDS, COMP_CWORD): commands, options, and the names of objects the portal has.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class CliCompletionTests(CliPortal portal)
{
    [Fact]
    public async Task BashCompletion_OffersCommands_AndTheNamesOfExistingVms()
    {
        var marker = ApiClient.UniqueName("tab");
        var names = new[] { $"{marker}-a", $"{marker}-b" };
        try
        {
            foreach (var name in names)
                await portal.ExpectAsync(0, "vm", "create", name, "--image", "kraut-test-guest", "--network", "default", "--type", "small", "--stopped");

            var (registered, _) = await CompleteAsync("kraut");
            Assert.Equal("complete -o default -F _kraut_complete kraut", Assert.Single(registered.Split('\n', StringSplitOptions.RemoveEmptyEntries)));

            Assert.Equal(["start", "stop"], (await CompleteAsync("kraut", "vm", "st")).Candidates);
            Assert.Equal(["json"], (await CompleteAsync("kraut", "vm", "list", "-o", "j")).Candidates);
            Assert.Equal(names, (await CompleteAsync("kraut", "vm", "get", marker)).Candidates);
            Assert.Equal(names, (await CompleteAsync("kraut", "vm", "start", names[0], marker)).Candidates);
            Assert.Equal(names, (await CompleteAsync("kraut", "history", "vm", marker)).Candidates);
            Assert.Contains("default", (await CompleteAsync("kraut", "network", "delete", "")).Candidates);

            // An unreachable remote completes nothing, at once, and prints nothing into the command line.
            var clock = Stopwatch.StartNew();
            var (unreachable, candidates) = await CompleteAsync("kraut", "--remote", "http://127.0.0.1:9", "vm", "get", marker);
            Assert.Empty(candidates);
            Assert.Equal("", unreachable.Trim());
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"completion against an unreachable remote took {clock.Elapsed}");
        }
        finally
        {
            await portal.RunAsync(["vm", "delete", .. names, "--yes"]);
        }
    }

    /// <summary>
    /// <c>kraut completion zsh</c> in a real zsh on a terminal (tmux), with compinit: TAB completes a unique VM name on
    /// the command line, and a second TAB on an ambiguous one lists both.
    /// </summary>
    [Fact]
    public async Task ZshCompletion_OnATerminal_CompletesAndListsTheNamesOfExistingVms()
    {
        var zsh = Tool.PackagedFile("/usr/bin/zsh", "zsh");
        var marker = ApiClient.UniqueName("ztab");
        var names = new[] { $"{marker}-alpha", $"{marker}-beta" };
        try
        {
            foreach (var name in names)
                await portal.ExpectAsync(0, "vm", "create", name, "--image", "kraut-test-guest", "--network", "default", "--type", "small", "--stopped");
            using var pane = TmuxPane.Start(portal, $"{zsh} -f");
            pane.Type("autoload -U compinit && compinit -u && source <(kraut completion zsh) && echo completion-$((2+3))");
            await pane.WaitForAsync("completion-5");

            pane.Keys($"kraut vm get {marker}-al");
            pane.Keys("Tab");
            await pane.WaitForAsync($"kraut vm get {names[0]}");
            pane.Keys("C-u");

            pane.Keys($"kraut vm get {marker}-");
            pane.Keys("Tab");
            pane.Keys("Tab");
            var screen = await pane.WaitForAsync(new System.Text.RegularExpressions.Regex($"{names[0]}\\s+{names[1]}"));
            Assert.Contains(names[1], screen, StringComparison.Ordinal);
        }
        finally
        {
            await portal.RunAsync(["vm", "delete", .. names, "--yes"]);
        }
    }

    /// <summary>
    /// Sources the script in a fresh bash, prints <c>complete -p kraut</c> when only the program is given, else sets
    /// COMP_WORDS to <paramref name="words"/> (the last one being typed) and prints COMPREPLY, one per line.
    /// </summary>
    private async Task<(string Output, string[] Candidates)> CompleteAsync(params string[] words)
    {
        var script = Path.Combine(portal.ConfigHome, "kraut-completion.bash");
        if (!File.Exists(script)) await File.WriteAllTextAsync(script, (await portal.ExpectAsync(0, "completion", "bash")).Out);
        var quoted = string.Join(' ', words.Select(w => "'" + w.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        var body = words.Length == 1
            ? "complete -p kraut"
            : $"COMP_WORDS=({quoted}); COMP_CWORD={words.Length - 1}; _kraut_complete; printf '%s\\n' \"${{COMPREPLY[@]}}\"";
        var start = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--noprofile", "--norc", "-c", $"source '{script}' && {body}" }) start.ArgumentList.Add(arg);
        start.Environment["PATH"] = Path.GetDirectoryName(CliPortal.Executable) + ":" + Environment.GetEnvironmentVariable("PATH");
        start.Environment["XDG_CONFIG_HOME"] = portal.ConfigHome;
        foreach (var name in new[] { "KRAUT_REMOTE", "KRAUT_TOKEN" }) start.Environment.Remove(name);
        using var bash = Process.Start(start)!;
        var output = bash.StandardOutput.ReadToEndAsync();
        var error = bash.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CliPortal.RunTimeout);
        await bash.WaitForExitAsync(timeout.Token);
        Assert.True(bash.ExitCode == 0, $"bash exited {bash.ExitCode}: {await output}{await error}");
        var text = await output;
        return (text, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToArray());
    }
}
