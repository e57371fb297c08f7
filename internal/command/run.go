package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ossx/ossx/internal/ossx"
	"github.com/ossx/ossx/internal/version"
)

// Run parses args (args[0] is the program name) against app's flags and
// runs app.Action with a *cli.Context as urfave/cli would, and answers
// -h/--help and --version itself.
//
// It replaces cli.App.Run on purpose: App.Run reaches urfave/cli's help
// printer, a text/template program, whether or not help is ever shown, and
// text/template (with reflection-driven method lookup that disables the
// linker's dead-method elimination) costs every tool binary about a
// megabyte. Help, man pages and completions are rendered by this package
// (help.go, man.go, complete.go) from the same flag definitions. What
// App.Run did that the tools rely on is kept: flags from the environment
// (EnvVars), per-flag Action hooks, OnUsageError for parse errors,
// UseShortOptionHandling (-rl) and DisableSliceFlagSeparator.
func Run(ctx context.Context, app *cli.App, args []string) error {
	set := flag.NewFlagSet(app.Name, flag.ContinueOnError)
	set.SetOutput(io.Discard)
	set.Usage = func() {}
	for _, f := range app.Flags {
		if err := f.Apply(set); err != nil {
			return &ossx.UsageError{Err: err, Hint: helpHint(app)}
		}
	}
	var help, showVersion bool
	if set.Lookup("help") == nil {
		set.BoolVar(&help, "help", false, "")
	}
	if set.Lookup("h") == nil {
		set.BoolVar(&help, "h", false, "")
	}
	if set.Lookup("version") == nil {
		set.BoolVar(&showVersion, "version", false, "")
	}

	// Each flag's names once: urfave/cli's Names() runs a regexp per
	// name, and cli.Context.IsSet looks its flag up by calling Names() on
	// every flag, which made the action loop below quadratic in flags (2 %
	// of a 4 KiB upload's CPU).
	names := make([][]string, len(app.Flags))
	for i, f := range app.Flags {
		names[i] = f.Names()
	}
	rest := args[1:]
	if app.UseShortOptionHandling {
		rest = splitShortOptions(set, rest)
	}
	restore := func() {}
	if app.DisableSliceFlagSeparator {
		restore = keepCommas(set, app.Flags, names)
	}
	err := set.Parse(rest)
	restore()
	given := map[string]bool{}
	if err == nil {
		set.Visit(func(f *flag.Flag) { given[f.Name] = true })
		err = sameValues(app, set, names, given)
	}
	cCtx := cli.NewContext(app, set, nil)
	cCtx.Context = ctx
	if help {
		// Help wins over any other mistake on the line, as "TOOL --bogus
		// --help" is someone asking how to write the command.
		return writeHelp(app.Writer, app)
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return writeHelp(app.Writer, app)
		}
		if app.OnUsageError != nil {
			return app.OnUsageError(cCtx, err, false)
		}
		return &ossx.UsageError{Err: err, Hint: helpHint(app)}
	}
	if showVersion {
		// Worked out only when asked: version.String reads the build
		// information, which every other call has no use for.
		v := app.Version
		if v == "" {
			v = version.String(app.Name)
		}
		_, err := fmt.Fprintln(app.Writer, v)
		return err
	}
	for i, f := range app.Flags {
		// cCtx.IsSet(name): given on the line under any of its names, or
		// from the environment (f.IsSet).
		af, ok := f.(cli.ActionableFlag)
		if ok && (f.IsSet() || anyGiven(names[i], given)) {
			if err := af.RunAction(cCtx); err != nil {
				return err
			}
		}
	}
	if app.Action == nil {
		return writeHelp(app.Writer, app)
	}
	return app.Action(cCtx)
}

func anyGiven(names []string, given map[string]bool) bool {
	for _, n := range names {
		if given[n] {
			return true
		}
	}
	return false
}

// sameValues gives every name of a flag the value given under one of them
// (flag.FlagSet keeps one per name: -j 8 leaves --jobs at its default), as
// urfave/cli's normalizeFlags does; two names of one flag on the same line
// are an error. names[i] are app.Flags[i]'s names, given the names set on
// the line.
func sameValues(app *cli.App, set *flag.FlagSet, flagNames [][]string, given map[string]bool) error {
	for i := range app.Flags {
		names := flagNames[i]
		from := ""
		for _, n := range names {
			if given[n] {
				if from != "" {
					return fmt.Errorf("cannot use two forms of the same flag: %s %s", dashed(from), dashed(n))
				}
				from = n
			}
		}
		if from == "" || len(names) == 1 {
			continue
		}
		v := set.Lookup(from).Value
		val := v.String()
		if s, ok := v.(cli.Serializer); ok {
			val = s.Serialize()
		}
		for _, n := range names {
			if n != from {
				if err := set.Set(n, val); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func helpHint(app *cli.App) string { return "run '" + Invocation(app.Name) + " --help' for usage" }

// Launcher is the program that runs a tool named by its first argument —
// the multi-call binary's "ossx TOOL ..." — or "": hints name a command the
// user can type, and without links installed "gtail --help" is not one.
var Launcher string

// Invocation is how the user runs the tool name: name, or "ossx name".
func Invocation(name string) string {
	if Launcher == "" {
		return name
	}
	return Launcher + " " + name
}

// splitShortOptions turns combined short options (-rlH) into single ones
// (-r -l -H) where every letter is a boolean flag, up to the first
// argument that is not an option.
func splitShortOptions(set *flag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || a == "-" || !strings.HasPrefix(a, "-") {
			return append(out, args[i:]...)
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if f := set.Lookup(name); f != nil {
			out = append(out, a)
			if !hasValue && !isBool(f) && i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
			continue
		}
		if !strings.HasPrefix(a, "--") && !hasValue && allBoolLetters(set, name) {
			for _, r := range name {
				out = append(out, "-"+string(r))
			}
			continue
		}
		out = append(out, a) // unknown: Parse reports it
	}
	return out
}

func allBoolLetters(set *flag.FlagSet, s string) bool {
	for _, r := range s {
		f := set.Lookup(string(r))
		if f == nil || !isBool(f) {
			return false
		}
	}
	return len(s) > 1
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// keepCommas makes every string-slice flag of set take each value whole
// (--meta k=a,b is one value), as App.DisableSliceFlagSeparator does, and
// returns the function that puts the flags' own values back after Parse.
// (urfave/cli keeps that setting in an unexported variable only App.Setup
// writes, and Setup, too, reaches the template-based help.) flags are
// the app's, applied to set; names[i] are flags[i]'s names. They are
// walked, not set.VisitAll, which sorts every flag of set first.
func keepCommas(set *flag.FlagSet, flags []cli.Flag, names [][]string) (restore func()) {
	var undo []func()
	for i := range flags {
		var w *wholeValues // one per flag, whatever its aliases
		for _, n := range names[i] {
			f := set.Lookup(n)
			if f == nil {
				continue
			}
			ss, ok := f.Value.(*cli.StringSlice)
			if !ok {
				break
			}
			if w == nil {
				w = &wholeValues{ss: ss}
			}
			orig := f.Value
			f.Value = w
			undo = append(undo, func() { f.Value = orig })
		}
	}
	return func() {
		for _, u := range undo {
			u()
		}
	}
}

// wholeValues collects the values of a string-slice flag unsplit and hands
// them to the cli.StringSlice through its serialized form, which it takes
// without splitting.
type wholeValues struct {
	ss   *cli.StringSlice
	vals []string
}

func (w *wholeValues) String() string { return w.ss.String() }

func (w *wholeValues) Set(v string) error {
	w.vals = append(w.vals, v)
	return w.ss.Set(cli.NewStringSlice(w.vals...).Serialize())
}
