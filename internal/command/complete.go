package command

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// completeFlag is what the bash and zsh completion scripts append to the
// command line to ask the tool for completions.
const completeFlag = "--generate-bash-completion"

// complete answers a completion request (args ending in completeFlag)
// itself rather than through urfave/cli, and reports whether args were one.
// urfave/cli treats the request as a positional argument after "--" (so
// completing "gtail app.log --" would start following app.log) and panics on
// some partial flags; a completion request must never run the tool. Only
// flags are completed: for anything else the scripts fall back to files.
func complete(app *cli.App, args []string, w io.Writer) bool {
	if len(args) < 2 || args[len(args)-1] != completeFlag {
		return false
	}
	cur := ""
	if len(args) > 2 {
		cur = args[len(args)-2]
	}
	if !strings.HasPrefix(cur, "-") {
		return true
	}
	given := args[1 : len(args)-2]
	used := func(opt string) bool {
		return slices.ContainsFunc(given, func(a string) bool { return a == opt || strings.HasPrefix(a, opt+"=") })
	}
	var opts []string
	for _, f := range app.Flags {
		if vf, ok := f.(cli.VisibleFlag); ok && !vf.IsVisible() {
			continue
		}
		for _, name := range f.Names() {
			opt := "--" + name
			if len(name) == 1 {
				opt = "-" + name
			}
			// A flag already given is not offered again, as urfave/cli does.
			if strings.HasPrefix(opt, cur) && !used(opt) {
				opts = append(opts, opt)
			}
		}
	}
	slices.Sort(opts)
	for _, o := range slices.Compact(opts) {
		fmt.Fprintln(w, o)
	}
	return true
}
