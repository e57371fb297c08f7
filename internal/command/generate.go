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

// shells lists the shells --generate-completion supports.
var shells = []string{"bash", "zsh", "fish"}

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
				return true, usageErr(app, "%s needs a shell: %s", generateCompletionFlag, strings.Join(shells, ", "))
			}
			shell, rest = rest[1], rest[1:]
		}
		if len(rest) > 1 {
			return true, usageErr(app, "%s takes one shell", generateCompletionFlag)
		}
		return true, writeCompletion(app.Writer, app, shell)
	}
	return false, nil
}

func usageErr(app *cli.App, format string, a ...any) error {
	return &ossx.UsageError{Err: fmt.Errorf(format, a...), Hint: "usage: " + app.Name + " " + generateCompletionFlag + " bash|zsh|fish, or " + app.Name + " " + generateManFlag}
}

// writeMan writes app's man page (section 1): its --help, rendered by
// urfave/cli from the app's definition and help template, turned into roff.
// Every tool's help already reads like a man page (NAME, SYNOPSIS,
// DESCRIPTION, ..., EXIT STATUS), so the page says exactly what --help says:
// each heading at column 0 becomes a section, its text is kept as laid out.
func writeMan(w io.Writer, app *cli.App) error {
	help, err := helpText(app)
	if err != nil {
		return fmt.Errorf("man page of %s: %w", app.Name, err)
	}
	type section struct {
		heading string
		lines   []string
	}
	var sections []*section
	for _, line := range strings.Split(help, "\n") {
		if h, ok := manHeading(line); ok {
			sections = append(sections, &section{heading: h})
		} else if len(sections) > 0 {
			cur := sections[len(sections)-1]
			cur.lines = append(cur.lines, strings.TrimPrefix(line, "   "))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, ".TH %s 1\n", strings.ToUpper(roffEscape(app.Name)))
	sawExit := false
	for _, sec := range sections {
		lines := sec.lines
		for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
			lines = lines[:len(lines)-1]
		}
		switch sec.heading {
		case "VERSION":
			continue // the build stamp is no documentation
		case "NAME":
			// whatis and apropos read "name \- description" from here.
			line := roffEscape(strings.TrimSpace(strings.Join(lines, " ")))
			fmt.Fprintf(&b, ".SH NAME\n%s\n", strings.Replace(line, " - ", ` \- `, 1))
			continue
		case "EXIT STATUS":
			sawExit = true
		}
		fmt.Fprintf(&b, ".SH %s\n.nf\n", roffEscape(sec.heading))
		for _, line := range lines {
			line = roffEscape(line)
			if strings.HasPrefix(line, ".") || strings.HasPrefix(line, "'") {
				line = `\&` + line // text, not a roff request
			}
			b.WriteString(line + "\n")
		}
		b.WriteString(".fi\n")
	}
	if !sawExit {
		// A tool whose help template leaves the shared table out.
		_, table, _ := strings.Cut(ossx.ExitCodesHelp, "\n")
		fmt.Fprintf(&b, ".SH EXIT STATUS\n.nf\n%s\n.fi\n", strings.ReplaceAll(table, "\n   ", "\n")[3:])
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// helpText returns what `TOOL --help` prints.
func helpText(app *cli.App) (string, error) {
	var buf strings.Builder
	defer func(w io.Writer) { app.Writer = w }(app.Writer)
	app.Writer = &buf
	err := app.Run([]string{app.Name, "--help"})
	return buf.String(), err
}

// manHeading reports whether line is a section heading of a help text: at
// column 0, upper case, with or without urfave/cli's trailing colon.
func manHeading(line string) (string, bool) {
	h := strings.TrimSuffix(line, ":")
	if h == "" || strings.TrimSpace(h) != h || strings.ToUpper(h) != h || !strings.ContainsAny(h, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		return "", false
	}
	return h, true
}

// roffEscape keeps roff from reading backslashes in text as escapes.
func roffEscape(s string) string { return strings.ReplaceAll(s, `\`, `\e`) }

// writeCompletion writes the completion script of app for shell. Bash and
// zsh scripts are urfave/cli's autocomplete scripts made specific to the
// tool: they ask the tool itself (--generate-bash-completion, enabled by
// NewApp) for the flags matching the word under the cursor and fall back to
// file names. Fish gets urfave/cli's static script.
func writeCompletion(w io.Writer, app *cli.App, shell string) error {
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
		// Usage texts mark a flag's placeholder with backticks for --help;
		// in fish's descriptions they would show as they are.
		script = strings.ReplaceAll(s, "`", "")
	default:
		return usageErr(app, "unknown shell %q for %s (want %s)", shell, generateCompletionFlag, strings.Join(shells, ", "))
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
