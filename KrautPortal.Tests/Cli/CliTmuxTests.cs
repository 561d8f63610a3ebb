using System.Text.RegularExpressions;
using KrautPortal.Tests.Api;

namespace KrautPortal.Tests.Cli;

/// <summary>
/// The built kraut on a real terminal: a detached tmux session (its own server socket) where keys are typed and the
/// screen is read back, as a person would see it.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class CliTmuxTests(CliPortal portal)
{
    private static string[] Create(string name, string batch) =>
        ["vm", "create", name, "--image", "kraut-test-guest", "--network", "default", "--type", "small", "--meta", $"batch={batch}", "--stopped", "--wait", "--timeout", "60s"];

    [Fact]
    public async Task VmDelete_WithoutYes_AsksNamingTheVm_NKeepsIt_YDeletesIt()
    {
        var batch = ApiClient.UniqueName("tmux");
        var name = $"{batch}-vm";
        using var pane = TmuxPane.Start(portal);
        try
        {
            await portal.ExpectAsync(0, Create(name, batch));

            pane.Type($"kraut vm delete {name}");
            await pane.WaitForAsync($"Delete VM {name}? [y/n]");
            pane.Type("n");
            await pane.WaitForAsync("Nothing deleted.");
            await portal.ExpectAsync(0, "vm", "get", name);

            pane.Type("clear");
            pane.Type($"kraut vm delete {name} --wait --timeout 60s; echo delete-exit=$?");
            await pane.WaitForAsync($"Delete VM {name}? [y/n]");
            pane.Type("y");
            var screen = await pane.WaitForAsync("delete-exit=0");
            Assert.Matches(new Regex($@"^{Regex.Escape(name)}\s+deleted", RegexOptions.Multiline), screen);
            await portal.ExpectAsync(3, "vm", "get", name);
        }
        finally
        {
            await portal.RunAsync("vm", "delete", "-l", $"batch={batch}", "--yes");
        }
    }

    [Fact]
    public async Task Watch_OnATerminal_RedrawsTheTable_AsAVmStarts_AndCtrlCEndsIt()
    {
        var batch = ApiClient.UniqueName("tmux");
        var name = $"{batch}-vm";
        using var pane = TmuxPane.Start(portal);
        try
        {
            await portal.ExpectAsync(0, Create(name, batch));

            pane.Type($"kraut watch vms -l batch={batch} --interval 0.2; echo watch-exit=$?");
            await pane.WaitForAsync(new Regex($@"^{Regex.Escape(name)}\s+stopped\s+stopped", RegexOptions.Multiline));
            await pane.WaitForAsync("Ctrl-C to quit");

            await portal.ExpectAsync(0, "vm", "start", name, "--wait", "--timeout", "60s");

            var screen = await pane.WaitForAsync(new Regex($@"^{Regex.Escape(name)}\s+running\s+running", RegexOptions.Multiline));
            // Redrawn in place: the table's header is on the screen once, not once per refresh.
            Assert.Single(Regex.Matches(screen, @"^NAME\s+PHASE", RegexOptions.Multiline));
            pane.Keys("C-c");
            await pane.WaitForAsync("watch-exit=0");
        }
        finally
        {
            await portal.RunAsync("vm", "delete", "-l", $"batch={batch}", "--yes");
        }
    }
}

/// <summary>
/// A bash in a detached 160×40 tmux session on a private server socket (removed with it), kraut on its PATH and the portal's config as
/// its XDG_CONFIG_HOME. Disposing kills the session and its server.
/// </summary>
internal sealed class TmuxPane : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _socket = Path.Combine(Path.GetTempPath(), $"kraut-tmux-{Guid.NewGuid():N}");
    private readonly string _session;

    private TmuxPane(string session) => _session = session;

    public static TmuxPane Start(CliPortal portal, string shell = "bash --noprofile --norc") => Start(portal.ConfigHome, remote: "", token: "", shell);

    /// <param name="configHome">kraut's XDG_CONFIG_HOME.</param>
    /// <param name="remote">KRAUT_REMOTE (a URL, or empty for the config's remote).</param>
    /// <param name="token">KRAUT_TOKEN (or empty for the config's).</param>
    /// <param name="shell">The shell and its arguments, started without the user's start-up files.</param>
    public static TmuxPane Start(string configHome, string remote, string token, string shell = "bash --noprofile --norc")
    {
        var tmux = Tool.PackagedFile("/usr/bin/tmux", "tmux");
        var pane = new TmuxPane($"kraut-{Guid.NewGuid().ToString("N")[..8]}");
        // The environment set on the shell's command line: a tmux server keeps the one it was started with.
        var command = $"env PATH='{Path.GetDirectoryName(CliPortal.Executable)}:{Environment.GetEnvironmentVariable("PATH")}' "
            + $"XDG_CONFIG_HOME='{configHome}' KRAUT_REMOTE='{remote}' KRAUT_TOKEN='{token}' PS1='$ ' {shell}";
        Tool.Run(tmux, "-S", pane._socket, "-f", "/dev/null", "new-session", "-d", "-s", pane._session, "-x", "160", "-y", "40", command);
        return pane;
    }

    /// <summary>Types the text and Enter.</summary>
    public void Type(string text)
    {
        Tool.Run("tmux", "-S", _socket, "send-keys", "-t", _session, "-l", text);
        Keys("Enter");
    }

    /// <summary>Keys by tmux's names: Enter, C-c.</summary>
    public void Keys(string keys) => Tool.Run("tmux", "-S", _socket, "send-keys", "-t", _session, keys);

    public string Screen() => Tool.Run("tmux", "-S", _socket, "capture-pane", "-p", "-t", _session);

    public Task<string> WaitForAsync(string text, TimeSpan? patience = null) => WaitForAsync(new Regex(Regex.Escape(text)), patience);

    /// <summary>The screen once it shows <paramref name="pattern"/>; fails with the screen as it was after 30 s (or <paramref name="patience"/>).</summary>
    public async Task<string> WaitForAsync(Regex pattern, TimeSpan? patience = null)
    {
        var wait = patience ?? Patience;
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            var screen = Screen();
            if (pattern.IsMatch(screen)) return screen;
            Assert.True(DateTime.UtcNow < deadline, $"the terminal did not show /{pattern}/ within {wait.TotalSeconds:0} s; it shows:\n{screen}");
            await Task.Delay(100);
        }
    }

    public void Dispose()
    {
        Tool.Try("tmux", "-S", _socket, "kill-session", "-t", _session);
        Tool.Try("tmux", "-S", _socket, "kill-server");
        File.Delete(_socket);
    }
}
