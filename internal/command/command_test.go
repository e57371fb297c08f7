package command

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ossx/ossx/internal/ossx"
)

// panicSecret is registered the way Load registers an environment secret.
const panicSecret = "PanicSecret+/=0123456789"

// panicApp panics with a secret in the panic value, as a bug formatting a
// request or credentials might.
func panicApp() *cli.App {
	app := NewApp("demo", "panic", "demo", "")
	app.Action = func(*cli.Context) error {
		ossx.RegisterSecret(os.Getenv("OSS_ACCESS_KEY_SECRET"))
		panic("signing with " + os.Getenv("OSS_ACCESS_KEY_SECRET"))
	}
	return app
}

// TestMainCatchesPanics: every tool gets the redacted one-line report and
// exit 1 from Main itself, not only those whose main defers CatchPanic.
func TestMainCatchesPanics(t *testing.T) {
	bin, _ := demo(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "OSSX_COMMAND_DEMO=panic", "OSS_ACCESS_KEY_SECRET="+panicSecret, "OSSX_TRACEBACK=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != ossx.ExitFailed {
		t.Fatalf("exit: %v, want status 1\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	if len(lines) != 2 || lines[0] != "demo: error: internal error: signing with [REDACTED]" ||
		!strings.HasPrefix(lines[1], "demo: hint: this is a bug in demo") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	if stdout.Len() != 0 || strings.Contains(stderr.String(), panicSecret) {
		t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}
}

// TestConfigFlags: no secret is ever a flag (argv shows in ps), unset flags
// leave ossx.Load its defaults, and set ones reach ossx.Options.
func TestConfigFlags(t *testing.T) {
	for _, f := range ConfigFlags() {
		for _, name := range f.Names() {
			if strings.Contains(name, "secret") || strings.Contains(name, "token") || strings.Contains(name, "key") {
				t.Errorf("flag --%s would put a secret on the command line", name)
			}
		}
	}
	parse := func(args ...string) ossx.Options {
		var got ossx.Options
		app := NewApp("demo", "", "", "")
		app.Flags = ConfigFlags()
		app.Action = func(c *cli.Context) error { got = Options(c); return nil }
		if err := Run(context.Background(), app, append([]string{"demo"}, args...)); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got, want := parse(), (ossx.Options{Retries: -1}); got != want {
		t.Errorf("no flags: %+v, want %+v (Load's defaults)", got, want)
	}
	got := parse("--endpoint", "http://127.0.0.1:9", "--region", "cn-beijing", "--internal", "--bucket", "b",
		"--profile", "p", "--config", "/c", "--timeout", "2s", "--retries", "0")
	want := ossx.Options{Endpoint: "http://127.0.0.1:9", Region: "cn-beijing", Internal: true, Bucket: "b", Profile: "p",
		ConfigFile: "/c", ConnectTimeout: 2 * time.Second, ReadWriteTimeout: 12 * time.Second, Retries: 0}
	if got != want {
		t.Errorf("flags: %+v, want %+v", got, want)
	}
}

// TestHelpWithArguments: --help or -h before other arguments still prints
// the tool's help on stdout and exits 0.
func TestHelpWithArguments(t *testing.T) {
	bin, _ := demo(t)
	for _, args := range [][]string{{"--help", "notes.txt"}, {"-h", "notes.txt", "oss://b/k"}, {"--help"}} {
		stdout, stderr, code := run(t, bin, args...)
		if code != 0 || stderr != "" || !strings.Contains(stdout, "demo [options] FILE oss://BUCKET/KEY") ||
			!strings.Contains(stdout, "EXIT STATUS") {
			t.Errorf("demo %q: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, stdout, stderr)
		}
	}
}

// --timeout and --retries have internal "use the default" values (0, -1)
// that a user must not be able to give by accident.
func TestConfigFlagBounds(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"tool", "--retries", "-1"}, 2, "tool: error: --retries -1: must be 0 or more\n"},
		{[]string{"tool", "--timeout", "0"}, 2, "tool: error: --timeout 0s: must be positive\n"},
		{[]string{"tool", "--timeout", "-5s"}, 2, "tool: error: --timeout -5s: must be positive\n"},
		{[]string{"tool", "--retries", "0", "--timeout", "1s"}, 0, ""},
	} {
		app := NewApp("tool", "test", "tool [options]", "")
		app.Flags = ConfigFlags()
		ran := false
		app.Action = func(*cli.Context) error { ran = true; return nil }
		var stderr bytes.Buffer
		code := Main(app, tc.args, &stderr)
		first, _, _ := strings.Cut(stderr.String(), "tool: hint:")
		if code != tc.code || first != tc.err || ran != (tc.code == 0) {
			t.Errorf("%v: exit %d, ran %v, stderr %q; want exit %d, %q", tc.args, code, ran, stderr.String(), tc.code, tc.err)
		}
	}
}

// TestFlagErrors: a flag parse error names the flag as it is typed
// (--name, -n) and says what its value looks like (issue 12.4).
func TestFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"--bogus"}, "flag provided but not defined: --bogus"},
		{[]string{"-x"}, "flag provided but not defined: -x"},
		{[]string{"--sign", "1"}, `invalid value "1" for --sign: expected a duration with a unit, e.g. 1h, 15m or 90s`},
		{[]string{"--timeout", "5"}, `invalid value "5" for --timeout: expected a duration with a unit, e.g. 1h, 15m or 90s`},
		{[]string{"--limit", "abc"}, `invalid value "abc" for --limit: expected a whole number, e.g. 10`},
		{[]string{"-n", "1.5"}, `invalid value "1.5" for -n: expected a whole number, e.g. 10`},
		{[]string{"--retries", "many"}, `invalid value "many" for --retries: expected a whole number, e.g. 10`},
		{[]string{"--json=maybe"}, `invalid value "maybe" for --json: expected true or false`},
		{[]string{"--sign"}, "--sign needs a value: a duration with a unit, e.g. 1h, 15m or 90s"},
		{[]string{"--endpoint"}, "--endpoint needs a value: URL"},
	} {
		app := NewApp("tool", "test", "tool [options]", "")
		app.Flags = append([]cli.Flag{
			&cli.DurationFlag{Name: "sign"},
			&cli.IntFlag{Name: "limit", Aliases: []string{"n"}},
			&cli.BoolFlag{Name: "json"},
		}, ConfigFlags()...)
		app.Action = func(*cli.Context) error { t.Errorf("%q ran", tc.args); return nil }
		var stderr bytes.Buffer
		code := Main(app, append([]string{"tool"}, tc.args...), &stderr)
		want := "tool: error: " + tc.err + "\ntool: hint: run 'tool --help' for usage\n"
		if code != ossx.ExitUsage || stderr.String() != want {
			t.Errorf("%q: exit %d, stderr\n%s want\n%s", tc.args, code, stderr.String(), want)
		}
	}
}
