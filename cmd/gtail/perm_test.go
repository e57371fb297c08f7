//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// TestOnceUnreadableFile: --once over a file gtail may not read and one it
// may: the readable one is shipped, the other named on stderr, status 3 (1
// when it is the only one). Root reads everything, so as root the test runs
// gtail as nobody through setpriv.
func TestOnceUnreadableFile(t *testing.T) {
	e := newEnv(t)
	var wrap []string
	gtail := "gtail"
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		sp, err := exec.LookPath("setpriv")
		if err != nil {
			t.Skip("running as root without setpriv: cannot make a file unreadable")
		}
		wrap = []string{sp, "--reuid=65534", "--regid=65534", "--clear-groups"}
		// nobody needs a path to the binary and to the files.
		if dir, err = os.MkdirTemp("", "gtail-perm"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		gtail = filepath.Join(dir, "gtail")
		osslocaltest.CopyTestBinary(t, gtail)
	}
	for _, d := range []string{dir, filepath.Join(dir, "state"), filepath.Join(dir, "state2")} {
		os.MkdirAll(d, 0o777)
		os.Chmod(d, 0o777)
	}
	secret, ok := filepath.Join(dir, "secret.log"), filepath.Join(dir, "ok.log")
	os.WriteFile(secret, []byte("not for gtail\n"), 0o600)
	os.Chmod(secret, 0o000)
	os.WriteFile(ok, []byte("shipped\n"), 0o644)
	run := func(state string, files ...string) (int, string) {
		args := append(wrap, gtail, "--once", "--state-dir="+filepath.Join(dir, state), "--key={path}/{gen}")
		c := exec.Command(args[0], append(append(args[1:], files...), "oss://"+testBucket+"/")...)
		c.Env = append(e.environ(), "HOME="+dir) // nobody may not read root's
		out, _ := c.CombinedOutput()
		return c.ProcessState.ExitCode(), string(out)
	}
	code, out := run("state", secret, ok)
	if code != 3 || !strings.Contains(out, "permission denied") || !strings.Contains(out, secret) {
		t.Fatalf("exit %d, want 3 naming the unreadable file:\n%s", code, out)
	}
	sameBytes(t, e.shipped(prefixOf(ok), false), []byte("shipped\n"))
	if keys := e.objects(prefixOf(secret)); len(keys) != 0 {
		t.Errorf("objects %q for the unreadable file", keys)
	}
	if code, out := run("state2", secret); code != 1 || !strings.Contains(out, "gtail: error: open "+secret+": permission denied") {
		t.Fatalf("exit %d, want 1 and one error line:\n%s", code, out)
	}
}
