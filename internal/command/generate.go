package command

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ossx/ossx/internal/ossx"
)

// The hidden generator flags every tool answers before its own flags are
// parsed, so release builds (goreleaser before-hooks, scripts/gen-docs) can
// produce man pages and completions from the urfave/cli definitions:
//
//	TOOL --generate-man                 man page, section 1, on stdout
//	TOOL --generate-completion SHELL    bash, zsh or fish completion script
//
// They are recognised only as the first argument, which keeps them out of
// the way of every real flag and argument a tool accepts.
const (
	generateManFlag        = "--generate-man"
	generateCompletionFlag = "--generate-completion"
)

// Shells lists the shells --generate-completion supports.
var Shells = []string{"bash", "zsh", "fish"}

// generate handles args[1:] when they ask for a generator and reports
// whether they did; err is the failure to print (already a *ossx.UsageError
// where the request itself was wrong).
func generate(app *cli.App, args []string) (handled bool, err error) {
	if len(args) < 2 {
		return false, nil
	}
	rest := args[1:]
	switch {
	case rest[0] == generateManFlag:
		if len(rest) > 1 {
			return true, usageErr(app, "%s takes no arguments", generateManFlag)
		}
		return true, writeMan(app.Writer, app)
	case rest[0] == generateCompletionFlag || strings.HasPrefix(rest[0], generateCompletionFlag+"="):
		shell, ok := strings.CutPrefix(rest[0], generateCompletionFlag+"=")
		if !ok {
			if len(rest) < 2 {
				return true, usageErr(app, "%s needs a shell: %s", generateCompletionFlag, strings.Join(Shells, ", "))
			}
			shell, rest = rest[1], rest[1:]
		}
		if len(rest) > 1 {
			return true, usageErr(app, "%s takes one shell", generateCompletionFlag)
		}
		return true, WriteCompletion(app.Writer, app, shell)
	}
	return false, nil
}

func usageErr(app *cli.App, format string, a ...any) error {
	return &ossx.UsageError{Err: fmt.Errorf(format, a...), Hint: "usage: " + app.Name + " " + generateCompletionFlag + " bash|zsh|fish, or " + app.Name + " " + generateManFlag}
}

// writeMan writes app's man page (section 1) from its urfave/cli definition:
// name, synopsis (UsageText), description, options and the shared EXIT
// STATUS table, rendered by urfave/cli's own markdown-to-roff path.
func writeMan(w io.Writer, app *cli.App) error {
	app.Setup() // adds --help and --version so they are documented too
	// ToManWithSection reads the template from this package variable; every
	// tool is its own process, so swapping it here affects nothing else.
	defer func(t string) { cli.MarkdownDocTemplate = t }(cli.MarkdownDocTemplate)
	cli.MarkdownDocTemplate = manTemplate + exitStatusMarkdown()
	man, err := app.ToManWithSection(1)
	if err != nil {
		return fmt.Errorf("man page of %s: %w", app.Name, err)
	}
	_, err = io.WriteString(w, man)
	return err
}

// manTemplate replaces urfave/cli's MarkdownDocTemplate, whose synopsis is
// a flag list and whose usage line hides in the description.
const manTemplate = `% {{ .App.Name }} {{ .SectionNum }}

# NAME

{{ .App.Name }}{{ if .App.Usage }} - {{ .App.Usage }}{{ end }}

# SYNOPSIS

` + "```" + `
{{ if .App.UsageText }}{{ .App.UsageText }}{{ else }}{{ .App.Name }} [options]{{ end }}
` + "```" + `
{{ if .App.Description }}
# DESCRIPTION

{{ .App.Description }}
{{ end }}{{ if .GlobalArgs }}
# OPTIONS
{{ range $v := .GlobalArgs }}
{{ $v }}{{ end }}
{{ end }}`

// exitStatusMarkdown is ossx.ExitCodesHelp ("EXIT STATUS" then
// "   CODE  meaning" lines) as a markdown definition list.
func exitStatusMarkdown() string {
	var b strings.Builder
	b.WriteString("\n# EXIT STATUS\n\n")
	_, table, _ := strings.Cut(ossx.ExitCodesHelp, "\n")
	for _, line := range strings.Split(table, "\n") {
		code, meaning, _ := strings.Cut(strings.TrimSpace(line), " ")
		fmt.Fprintf(&b, "**%s**\n: %s\n\n", code, strings.TrimSpace(meaning))
	}
	return b.String()
}

// WriteCompletion writes the completion script of app for shell. Bash and
// zsh scripts are urfave/cli's autocomplete scripts made specific to the
// tool: they ask the tool itself (--generate-bash-completion, enabled by
// NewApp) for the flags matching the word under the cursor and fall back to
// file names. Fish gets urfave/cli's static script.
func WriteCompletion(w io.Writer, app *cli.App, shell string) error {
	var script string
	switch shell {
	case "bash":
		script = bashCompletion
	case "zsh":
		script = zshCompletion
	case "fish":
		// Not app.Setup(): ToFishCompletion adds --help and --version itself.
		s, err := app.ToFishCompletion()
		if err != nil {
			return fmt.Errorf("fish completion of %s: %w", app.Name, err)
		}
		script = s
	default:
		return usageErr(app, "unknown shell %q for %s (want %s)", shell, generateCompletionFlag, strings.Join(Shells, ", "))
	}
	fn := "_" + strings.NewReplacer("-", "_", ".", "_").Replace(app.Name)
	_, err := io.WriteString(w, strings.NewReplacer("{{TOOL}}", app.Name, "{{FUNC}}", fn).Replace(script))
	return err
}

// bashCompletion is urfave/cli v2's autocomplete/bash_autocomplete bound to
// one tool (no $PROG, a function of its own) and without -o nospace, since
// every completion here is a whole flag or file name.
const bashCompletion = `# bash completion for {{TOOL}}; generated by {{TOOL}} --generate-completion bash
# Install: copy to /usr/share/bash-completion/completions/{{TOOL}}
#      or: source <({{TOOL}} --generate-completion bash)

{{FUNC}}_init_completion() {
  COMPREPLY=()
  _get_comp_words_by_ref "$@" cur prev words cword
}

{{FUNC}}_complete() {
  local cur opts words cword requestComp
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  if declare -F _init_completion >/dev/null 2>&1; then
    _init_completion -n "=:" || return
  elif declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
    {{FUNC}}_init_completion -n "=:" || return
  else
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
  fi
  words=("${words[@]:0:$cword}")
  if [[ "$cur" == "-"* ]]; then
    requestComp="${words[*]} ${cur} --generate-bash-completion"
  else
    requestComp="${words[*]} --generate-bash-completion"
  fi
  opts=$(eval "${requestComp}" 2>/dev/null)
  COMPREPLY=($(compgen -W "${opts}" -- "${cur}"))
  return 0
}

complete -o bashdefault -o default -F {{FUNC}}_complete {{TOOL}}
`

// zshCompletion is urfave/cli v2's autocomplete/zsh_autocomplete bound to
// one tool, written so it works both from $fpath (as file {{FUNC}}) and when
// sourced.
const zshCompletion = `#compdef {{TOOL}}
# zsh completion for {{TOOL}}; generated by {{TOOL}} --generate-completion zsh
# Install: copy to a directory in $fpath as {{FUNC}}
#      or: source <({{TOOL}} --generate-completion zsh)

{{FUNC}}() {
  local -a opts
  local cur
  cur=${words[-1]}
  if [[ "$cur" == "-"* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} ${cur} --generate-bash-completion 2>/dev/null)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion 2>/dev/null)}")
  fi
  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}

if [[ "${funcstack[1]}" == "{{FUNC}}" ]]; then
  {{FUNC}} "$@"
else
  compdef {{FUNC}} {{TOOL}}
fi
`
