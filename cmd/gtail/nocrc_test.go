//go:build unix

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ossx/ossx/internal/osslocal"
)

// A server that sends no x-oss-hash-crc64ecma is refused with a one-line
// error naming the header, never shipped to at least once: at the first
// append of a fresh start (nothing to look at before), and at start when the
// state or the destination prefix has an object to HEAD, before anything is
// appended.
func TestNoCRC64ServerRefused(t *testing.T) {
	e := newEnv(t, func(o *osslocal.Options) { o.NoCRC64 = true })
	p := filepath.Join(e.logs, "app.log")
	if err := os.WriteFile(p, []byte("one\ntwo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	refused := regexp.MustCompile(`(?m)^gtail: error: .*the server sent no x-oss-hash-crc64ecma header \(for [^)]+\): gtail needs CRC64 to ship every byte exactly once$`)
	check := func(code int, stderr string) {
		t.Helper()
		if code != 1 || !refused.MatchString(stderr) {
			t.Fatalf("exit %d, stderr:\n%s\nwant exit 1 and the missing header named", code, stderr)
		}
	}

	// Fresh start, empty bucket: the first append's answer tells.
	code, stderr := e.run("--once", p, "oss://"+testBucket+"/")
	check(code, stderr)
	keys := e.objects("")
	if len(keys) != 1 {
		t.Fatalf("objects %q, want the one the first append wrote", keys)
	}
	first := string(e.get(keys[0]))

	// Restart with more lines: refused at start, from the state's object;
	// nothing more appended.
	if err := os.WriteFile(p, []byte("one\ntwo\nthree\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stderr = e.run("--once", p, "oss://"+testBucket+"/")
	check(code, stderr)
	if got := string(e.get(keys[0])); got != first {
		t.Errorf("object changed from %q to %q", first, got)
	}

	// Another state directory: refused from the object under the prefix.
	e.state = filepath.Join(t.TempDir(), "other-state")
	code, stderr = e.run("--once", p, "oss://"+testBucket+"/")
	check(code, stderr)
	if got := e.objects(""); strings.Join(got, " ") != strings.Join(keys, " ") {
		t.Errorf("objects %q, want still %q", got, keys)
	}
	// The same for stdin.
	c, stderrBuf := e.cmd("-", "oss://"+testBucket+"/")
	c.Stdin = strings.NewReader("from stdin\n")
	_ = c.Run()
	check(c.ProcessState.ExitCode(), stderrBuf.String())
}
