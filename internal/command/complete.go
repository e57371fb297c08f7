package command

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/ossx/ossx/internal/ossx"
)

// completeFlag ends a completion request: the bash, zsh and fish scripts
// run "TOOL WORD... CUR --generate-bash-completion", the words before the
// cursor and the word under it (possibly empty), and offer what the tool
// prints, one a line.
const completeFlag = "--generate-bash-completion"

// complete answers a completion request (args ending in completeFlag)
// itself rather than through urfave/cli, and reports whether args were one.
// urfave/cli treats the request as a positional argument after "--" (so
// completing "gtail app.log --" would start following app.log) and panics on
// some partial flags; a completion request must never run the tool.
// After a flag that takes a value it offers that flag's choices (Choices);
// on a word starting with "-", the flags not given yet; else nothing, and
// the scripts fall back to file names.
func complete(app *cli.App, args []string, w io.Writer) bool {
	if len(args) < 2 || args[len(args)-1] != completeFlag {
		return false
	}
	words := args[1 : len(args)-1]
	cur := ""
	if len(words) > 0 {
		cur, words = words[len(words)-1], words[:len(words)-1]
	}
	var out []string
	switch {
	case slices.Contains(words, "--"):
		// Only arguments follow.
	case len(words) > 0 && valueFlag(app, words[len(words)-1]) != nil:
		for _, v := range choicesOf(valueFlag(app, words[len(words)-1])) {
			if strings.HasPrefix(v, cur) {
				out = append(out, v)
			}
		}
	case strings.HasPrefix(cur, "--") && strings.Contains(cur, "="):
		name, val, _ := strings.Cut(cur, "=")
		for _, v := range choicesOf(valueFlag(app, name)) {
			if strings.HasPrefix(v, val) {
				out = append(out, name+"="+v)
			}
		}
	case strings.HasPrefix(cur, "-"):
		out = flagsFor(app, words, cur)
	}
	for _, o := range out {
		fmt.Fprintln(w, o)
	}
	return true
}

// flagsFor lists app's visible flags starting with cur, except those
// already given in words.
func flagsFor(app *cli.App, words []string, cur string) []string {
	used := func(opt string) bool {
		return slices.ContainsFunc(words, func(a string) bool { return a == opt || strings.HasPrefix(a, opt+"=") })
	}
	var opts []string
	for _, f := range app.Flags {
		if vf, ok := f.(cli.VisibleFlag); ok && !vf.IsVisible() {
			continue
		}
		for _, opt := range optionNames(f) {
			// A flag already given is not offered again, as urfave/cli does.
			if strings.HasPrefix(opt, cur) && !used(opt) {
				opts = append(opts, opt)
			}
		}
	}
	slices.Sort(opts)
	return slices.Compact(opts)
}

// optionNames is f's names as written on a command line, short ones
// first: -x, --name.
func optionNames(f cli.Flag) []string {
	var short, long []string
	for _, n := range f.Names() {
		if len(n) == 1 {
			short = append(short, dashed(n))
		} else {
			long = append(long, dashed(n))
		}
	}
	return append(short, long...)
}

// valueFlag returns the flag of app that word (an option without "=")
// names if that flag takes a value, else nil.
func valueFlag(app *cli.App, word string) cli.Flag {
	if !strings.HasPrefix(word, "-") || strings.Contains(word, "=") {
		return nil
	}
	for _, f := range app.Flags {
		if slices.Contains(optionNames(f), word) && takesValue(f) {
			return f
		}
	}
	return nil
}

var (
	choicesMu sync.Mutex
	choices   = map[cli.Flag][]string{}
)

// Choices makes f a flag whose value is one of values: shells complete
// them after the flag, and any other value is a usage error naming them.
// It returns f, to be used in a flag list.
func Choices(f *cli.StringFlag, values ...string) *cli.StringFlag {
	choicesMu.Lock()
	choices[f] = values
	choicesMu.Unlock()
	next := f.Action
	f.Action = func(c *cli.Context, v string) error {
		if !slices.Contains(values, v) {
			return &ossx.UsageError{
				Err:  fmt.Errorf("--%s %q is not one of: %s", f.Name, v, strings.Join(values, ", ")),
				Hint: helpHint(c.App),
			}
		}
		if next != nil {
			return next(c, v)
		}
		return nil
	}
	return f
}

func choicesOf(f cli.Flag) []string {
	choicesMu.Lock()
	defer choicesMu.Unlock()
	return choices[f]
}
