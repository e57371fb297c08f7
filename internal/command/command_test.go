package command

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

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
