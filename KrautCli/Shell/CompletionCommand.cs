using System.CommandLine;

namespace KrautCli.Shell;

/// <summary><c>kraut completion bash|zsh</c>: prints a script that has the shell ask kraut itself what can follow.</summary>
public static class CompletionCommand
{
    public static Command Build()
    {
        var shell = new Argument<string>("SHELL") { Description = "bash or zsh." };
        shell.AcceptOnlyFromAmong("bash", "zsh");
        var command = new Command("completion", "Print the shell completion script: source <(kraut completion bash), or add that line to ~/.bashrc (zsh: ~/.zshrc).") { shell };
        command.SetAction(parse =>
        {
            Console.Out.Write(parse.GetValue(shell) == "zsh" ? CompletionScripts.Zsh : CompletionScripts.Bash);
            return 0;
        });
        return command;
    }
}
