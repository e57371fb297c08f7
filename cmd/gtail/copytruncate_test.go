//go:build unix

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCopyTruncateGrewBeforeTruncate (issue 13, 1): the file grows between
// the copy and the truncation, as it does with a live writer. The
// generation is finished from its copy — also when the file is shorter than
// the head fingerprint, which grew past the copy's size — and the line
// written after the copy, which gtail had read, is shipped after it: none of
// it is lost, nothing is reported lost.
func TestCopyTruncateGrewBeforeTruncate(t *testing.T) {
	for _, lines := range []int{1000, 20} {
		t.Run(fmt.Sprint(lines), func(t *testing.T) {
			e := newEnv(t)
			p := filepath.Join(e.logs, "a.log")
			var content bytes.Buffer
			for i := 1; i <= lines; i++ {
				fmt.Fprintf(&content, "line %d\n", i)
			}
			if err := os.WriteFile(p, content.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			c, stderr := e.cmd("--flush-interval=1h", "--partial-timeout=1h", "--rotate-wait=2s", p, "oss://"+testBucket+"/")
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			defer c.Process.Kill()
			waitSize(t, e.state, content.Len(), stderr)
			if err := os.WriteFile(p+".1", content.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			appendTo(t, p, []byte("x\n"))
			waitSize(t, e.state, content.Len()+2, stderr) // gtail read it
			if err := os.Truncate(p, 0); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the generation finished", func() bool {
				return strings.Contains(stderr.String(), "truncated generation finished")
			}, stderr)
			c.Process.Signal(syscall.SIGTERM)
			if err := c.Wait(); err != nil {
				t.Fatalf("gtail: %v\n%s", err, stderr)
			}
			if strings.Contains(stderr.String(), "BYTES LOST") {
				t.Errorf("loss reported:\n%s", stderr)
			}
			sameBytes(t, e.shipped(prefixOf(p), false), append(content.Bytes(), "x\n"...))
		})
	}
}

// waitSize waits until the state records a file of size bytes.
func waitSize(t *testing.T, stateDir string, size int, logs fmt.Stringer) {
	t.Helper()
	waitFor(t, fmt.Sprintf("the state to record size %d", size), func() bool {
		b, _ := os.ReadFile(stateFile(t, stateDir))
		return strings.Contains(string(b), fmt.Sprintf(`"size": %d,`, size))
	}, logs)
}

// TestSameHeadFollowedAsItsOwn (issue 13, 2): a file whose first KiB is a
// followed file's (the same banner line; cp a.log b.log) is followed as a
// file of its own as soon as its bytes part from the other's, also while it
// keeps growing, and is shipped whole though it is then rotated away and
// deleted.
func TestSameHeadFollowedAsItsOwn(t *testing.T) {
	e := newEnv(t)
	a, b := filepath.Join(e.logs, "a.log"), filepath.Join(e.logs, "b.log")
	banner := append(bytes.Repeat([]byte("#"), 2000), '\n')
	os.WriteFile(a, append(append([]byte(nil), banner...), "a\n"...), 0o644)
	os.WriteFile(b, banner, 0o644)
	c, stderr := e.cmd("--rotate-wait=1h", filepath.Join(e.logs, "*.log"), "oss://"+testBucket+"/")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	want := append([]byte(nil), banner...)
	for i := 1; ; i++ {
		line := fmt.Sprintf("b%d\n", i)
		appendTo(t, b, []byte(line))
		want = append(want, line...)
		if i >= 5 && strings.Contains(stderr.String(), "path="+b) {
			break
		}
		if i > 1000 {
			t.Fatalf("b.log never followed while it grew\n%s", stderr)
		}
		time.Sleep(20 * time.Millisecond) // a line every 20 ms, as an application writes
	}
	os.Rename(b, b+".1")
	os.Remove(b + ".1")
	waitFor(t, "b.log shipped", func() bool { return len(e.shipped(prefixOf(b), false)) >= len(want) }, stderr)
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Fatalf("gtail: %v\n%s", err, stderr)
	}
	sameBytes(t, e.shipped(prefixOf(b), false), want)
}

// TestCopyMustBeProven (issue 13, 3): after a truncation gtail looks for the
// generation's copy; a file that merely starts the same way (another log
// with the same 2,000-byte banner) is not it: its bytes are never shipped
// into the generation's object. (A-lines 11 to 20 were written and truncated
// away while gtail was not running: it never saw them, so it cannot count
// them; docs/gtail.md, limits.)
func TestCopyMustBeProven(t *testing.T) {
	e := newEnv(t)
	a, b := filepath.Join(e.logs, "a.log"), filepath.Join(e.logs, "b.log")
	hdr := append(bytes.Repeat([]byte("H"), 1999), '\n')
	var aLines, bLines, more bytes.Buffer
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&aLines, "A-line %d\n", i)
	}
	for i := 1; i <= 500; i++ {
		fmt.Fprintf(&bLines, "B-line %d (belongs to b.log only)\n", i)
	}
	for i := 11; i <= 20; i++ {
		fmt.Fprintf(&more, "A-line %d\n", i)
	}
	os.WriteFile(a, append(append([]byte(nil), hdr...), aLines.Bytes()...), 0o644)
	os.WriteFile(b, append(append([]byte(nil), hdr...), bLines.Bytes()...), 0o644)
	if code, out := e.run("--once", a, "oss://"+testBucket+"/"); code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	appendTo(t, a, more.Bytes())
	os.Truncate(a, 0)
	appendTo(t, a, []byte("new\n"))
	code, out := e.run("--once", a, "oss://"+testBucket+"/")
	if code != 0 {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if strings.Contains(out, "copy=") {
		t.Errorf("b.log taken for a.log's copy:\n%s", out)
	}
	got := e.shipped(prefixOf(a), false)
	if bytes.Contains(got, []byte("B-line")) {
		t.Fatalf("b.log's lines shipped into a.log's objects:\n%s", out)
	}
	sameBytes(t, got, append(append(append([]byte(nil), hdr...), aLines.Bytes()...), "new\n"...))
}
