package command

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/ossx/ossx/internal/ossx"
)

// TestRun: what the tools relied on in urfave/cli's App.Run still holds
// with Run: aliases share a value, combined short options, whole values of
// slice flags, environment variables, flag actions, usage errors.
func TestRun(t *testing.T) {
	type got struct {
		Jobs    int
		Long    bool
		Human   bool
		Meta    []string
		Env     string
		Args    []string
		Checked bool
	}
	tests := []struct {
		args []string
		want got
		err  string
	}{
		{[]string{"-j", "8", "a"}, got{Jobs: 8, Args: []string{"a"}}, ""},
		{[]string{"--jobs=3", "--", "-x"}, got{Jobs: 3, Args: []string{"-x"}}, ""},
		{[]string{"-lH", "b"}, got{Jobs: 1, Long: true, Human: true, Args: []string{"b"}}, ""},
		{[]string{"--human", "--meta", "k=a,b", "--meta", "z=1"}, got{Jobs: 1, Human: true, Meta: []string{"k=a,b", "z=1"}, Args: []string{}}, ""},
		{[]string{"--check", "ok", "x"}, got{Jobs: 1, Checked: true, Args: []string{"x"}}, ""},
		{[]string{"--check", "bad"}, got{}, "bad check"},
		{[]string{"-j", "1", "--jobs", "2"}, got{}, "cannot use two forms of the same flag: --jobs -j"},
		{[]string{"--nope"}, got{}, "flag provided but not defined: --nope"},
	}
	for _, tt := range tests {
		var g got
		app := NewApp("tool", "test", "tool [options]", "")
		app.UseShortOptionHandling = true
		app.DisableSliceFlagSeparator = true
		app.Flags = []cli.Flag{
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: 1},
			&cli.BoolFlag{Name: "long", Aliases: []string{"l"}},
			&cli.BoolFlag{Name: "human-readable", Aliases: []string{"human", "H"}},
			&cli.StringSliceFlag{Name: "meta"},
			&cli.StringFlag{Name: "env", EnvVars: []string{"OSSX_RUN_TEST_ENV"}},
			&cli.StringFlag{Name: "check", Action: func(_ *cli.Context, v string) error {
				if v == "bad" {
					return errors.New("bad check")
				}
				return nil
			}},
		}
		app.Action = func(c *cli.Context) error {
			g = got{Jobs: c.Int("jobs"), Long: c.Bool("long"), Human: c.Bool("human-readable"), Meta: c.StringSlice("meta"),
				Env: c.String("env"), Args: c.Args().Slice(), Checked: c.IsSet("check")}
			return nil
		}
		err := Run(context.Background(), app, append([]string{"tool"}, tt.args...))
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%q: error %v, want %q", tt.args, err, tt.err)
			}
			var ue *ossx.UsageError
			if err != nil && tt.err != "bad check" && !errors.As(err, &ue) {
				t.Errorf("%q: %T is not a usage error", tt.args, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(g, tt.want) {
			t.Errorf("%q: %+v, %v; want %+v", tt.args, g, err, tt.want)
		}
	}
	t.Setenv("OSSX_RUN_TEST_ENV", "from-env")
	app := NewApp("tool", "test", "tool", "")
	app.Flags = []cli.Flag{&cli.StringFlag{Name: "env", EnvVars: []string{"OSSX_RUN_TEST_ENV"}}}
	var env string
	app.Action = func(c *cli.Context) error { env = c.String("env"); return nil }
	if err := Run(context.Background(), app, []string{"tool"}); err != nil || env != "from-env" {
		t.Errorf("environment: %q, %v", env, err)
	}
}

// A flag's Action runs when the flag is given under any of its names or
// from the environment, and only then, as with cli.Context.IsSet.
func TestRunFlagActions(t *testing.T) {
	t.Setenv("OSSX_RUN_TEST_ACTION_ENV", "e")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "env"},
		{[]string{"--name", "x"}, "name env"},
		{[]string{"-n", "x"}, "name env"},
		{[]string{"--flag"}, "flag env"},
	} {
		var ran []string
		app := NewApp("tool", "test", "tool", "")
		app.Flags = []cli.Flag{
			&cli.StringFlag{Name: "name", Aliases: []string{"n"}, Action: func(*cli.Context, string) error {
				ran = append(ran, "name")
				return nil
			}},
			&cli.BoolFlag{Name: "flag", Action: func(*cli.Context, bool) error { ran = append(ran, "flag"); return nil }},
			&cli.StringFlag{Name: "env", EnvVars: []string{"OSSX_RUN_TEST_ACTION_ENV"}, Action: func(*cli.Context, string) error {
				ran = append(ran, "env")
				return nil
			}},
		}
		app.Action = func(*cli.Context) error { return nil }
		if err := Run(context.Background(), app, append([]string{"tool"}, tt.args...)); err != nil {
			t.Fatalf("%q: %v", tt.args, err)
		}
		// Actions run in flag order.
		if got := strings.Join(ran, " "); got != tt.want {
			t.Errorf("%q: actions %q, want %q", tt.args, got, tt.want)
		}
	}
}
