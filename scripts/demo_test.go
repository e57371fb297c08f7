// Tests of scripts/demo, the script behind `make demo`: it runs with the
// tools it finds, leaves nothing behind, and says what is missing.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildTools builds the named tools into a new directory, as `make build`
// does into bin/.
func buildTools(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	args := []string{"build", "-tags", "urfave_cli_no_docs", "-o", dir + string(filepath.Separator)}
	for _, name := range names {
		args = append(args, "../cmd/"+name)
	}
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// runDemo runs scripts/demo with the tools of bin and its own TMPDIR, and
// checks it cleaned up after itself.
func runDemo(t *testing.T, bin string) (string, error) {
	t.Helper()
	tmp := t.TempDir()
	cmd := exec.Command("./demo")
	cmd.Env = append(os.Environ(), "OSSX_BIN="+bin, "TMPDIR="+tmp)
	out, err := cmd.CombinedOutput()
	left, _ := os.ReadDir(tmp)
	if len(left) != 0 {
		t.Errorf("demo left %v in TMPDIR", left)
	}
	return string(out), err
}

func TestDemo(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	out, err := runDemo(t, buildTools(t, "ossuploader", "gtail", "ossls", "ossget", "ossrm", "osslocal"))
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	for _, want := range []string{
		"export OSS_ENDPOINT=http://127.0.0.1:",
		"export OSS_BUCKET=demo",
		"== Upload files with ossuploader",
		"oss://demo/hello.txt\n",
		"oss://demo/retried.txt\n",
		"== Ship a log file with gtail",
		"== List what arrived with ossls",
		"oss://demo/numbers.txt\n",
		"== Read back with ossget",
		"back/hello.txt\n",
		"200000\n",
		"byte-identical to what was written",
		"== Clean up with ossrm",
		"== What next",
		"osslocal stopped.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "OSS_ACCESS_KEY_SECRET=") && !strings.Contains(out, "OSS_ACCESS_KEY_SECRET=…") {
		t.Errorf("demo printed the access key secret:\n%s", out)
	}
}

func TestDemoOsslocalOnly(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	out, err := runDemo(t, buildTools(t, "osslocal"))
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	if !strings.Contains(out, "export OSS_ENDPOINT=") || !strings.Contains(out, "osslocal stopped.") {
		t.Errorf("demo output:\n%s", out)
	}
	if strings.Contains(out, "ossuploader hello.txt") || strings.Contains(out, "== List what arrived") {
		t.Errorf("demo ran parts of tools that are not there:\n%s", out)
	}
}

func TestDemoWithoutOsslocal(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	out, err := runDemo(t, t.TempDir())
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("demo without osslocal: %v, want status 1\n%s", err, out)
	}
	if !strings.Contains(out, "demo: error: ") || !strings.Contains(out, "demo: hint: run 'make demo'") {
		t.Errorf("demo output:\n%s", out)
	}
}
