package command

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"
)

// Go's flag package (under urfave/cli) names a flag with one dash and says
// "parse error" for a bad value (flag/flag.go parseOne). These are its
// messages, rewritten into ours. Compiled on the first parse error, not at
// every start.
var (
	flagErrOnce                        sync.Once
	undefinedRE, noValueRE, badValueRE *regexp.Regexp
)

func compileFlagErrREs() {
	undefinedRE = regexp.MustCompile(`^flag provided but not defined: -(.+)$`)
	noValueRE = regexp.MustCompile(`^flag needs an argument: -(.+)$`)
	badValueRE = regexp.MustCompile(`^invalid (?:boolean )?value (".*") for (?:flag )?-([^:]+): (.*)$`)
}

// flagError rewrites a flag parse error of app so that it names the flag as
// typed on a command line (--name, or -n for a one-letter name) and says
// what a value of that flag looks like. Other errors are returned as is.
func flagError(app *cli.App, err error) error {
	msg := err.Error()
	flagErrOnce.Do(compileFlagErrREs)
	if m := undefinedRE.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("flag provided but not defined: %s", dashed(m[1]))
	}
	if m := noValueRE.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s needs a value%s", dashed(m[1]), valueShape(findFlag(app, m[1]), ": "))
	}
	if m := badValueRE.FindStringSubmatch(msg); m != nil {
		shape := valueShape(findFlag(app, m[2]), ": expected ")
		if shape == "" {
			shape = ": " + m[3]
		}
		return fmt.Errorf("invalid value %s for %s%s", m[1], dashed(m[2]), shape)
	}
	return err
}

// dashed is how a flag is written: --name, or -n for one letter.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

func findFlag(app *cli.App, name string) cli.Flag {
	for _, f := range app.Flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

// valueShape says what a value of f looks like, after sep; "" when there
// is nothing useful to say.
func valueShape(f cli.Flag, sep string) string {
	var s string
	switch f.(type) {
	case *cli.DurationFlag:
		s = "a duration with a unit, e.g. 1h, 15m or 90s"
	case *cli.IntFlag, *cli.Int64Flag, *cli.UintFlag, *cli.Uint64Flag:
		s = "a whole number, e.g. 10"
	case *cli.Float64Flag:
		s = "a number, e.g. 1.5"
	case *cli.BoolFlag:
		s = "true or false"
	case *cli.StringFlag, *cli.StringSliceFlag, *cli.PathFlag:
		s = placeholder(f)
	}
	if s == "" {
		return ""
	}
	return sep + s
}

// placeholder is the `NAME` a flag's usage shows for its value.
func placeholder(f cli.Flag) string {
	df, ok := f.(cli.DocGenerationFlag)
	if !ok {
		return ""
	}
	_, rest, ok := strings.Cut(df.GetUsage(), "`")
	name, _, ok2 := strings.Cut(rest, "`")
	if !ok || !ok2 {
		return ""
	}
	return name
}
