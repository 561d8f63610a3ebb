namespace KrautCli.Shell;

/// <summary>
/// The scripts behind <c>kraut completion</c>. Both hand the words before the cursor to
/// <c>kraut "[suggest:N]" "LINE"</c> (System.CommandLine's suggest directive: N is the cursor's offset in LINE) and
/// offer the lines it prints. The program's own name is put first as "kraut", so a kraut called by path completes too.
/// </summary>
public static class CompletionScripts
{
    public const string Bash = """
        # kraut completion for bash: source <(kraut completion bash)
        _kraut_complete() {
            local cur="${COMP_WORDS[COMP_CWORD]}"
            local line="kraut"
            local i
            for ((i = 1; i < COMP_CWORD; i++)); do line+=" ${COMP_WORDS[i]}"; done
            line+=" $cur"
            local IFS=$'\n'
            COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" "[suggest:${#line}]" "$line" 2>/dev/null </dev/null)" -- "$cur"))
        }
        complete -o default -F _kraut_complete kraut

        """;

    public const string Zsh = """
        #compdef kraut
        # kraut completion for zsh: source <(kraut completion zsh)
        _kraut() {
            local line="kraut"
            local word
            for word in "${(@)words[2,CURRENT-1]}"; do line+=" $word"; done
            line+=" ${words[CURRENT]}"
            local -a candidates
            candidates=("${(@f)$("${words[1]}" "[suggest:${#line}]" "$line" 2>/dev/null </dev/null)}")
            compadd -a candidates
        }
        if (( $+functions[compdef] )); then compdef _kraut kraut; fi

        """;
}
