using Spectre.Console;

namespace KrautCli.Cli;

/// <summary>Asks yes/no before something that cannot be undone; a script without a terminal must say --yes.</summary>
public static class Confirm
{
    public static bool Ask(string question)
    {
        if (Console.IsInputRedirected)
        {
            // Piped answers work ("yes | kraut vm delete …"); no input at all is a refusal, never a yes.
            Console.Error.Write($"{question} [y/N] ");
            var answer = Console.In.ReadLine()?.Trim();
            return answer is "y" or "Y" or "yes" or "YES" or "Yes";
        }
        return AnsiConsole.Confirm(question, defaultValue: false);
    }
}
