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

// followWhileRotating runs gtail on app.log while a writer appends ~2k
// lines/s and rotate() is called a few times, then checks that the objects,
// generation by generation, hold exactly the bytes written.
func followWhileRotating(t *testing.T, rotate func(*logWriter), extra ...string) {
	followGlobWhileRotating(t, rotate, "app.log", extra...)
}

// followGlobWhileRotating is followWhileRotating with gtail given the
// pattern (relative to the log directory) instead of app.log.
func followGlobWhileRotating(t *testing.T, rotate func(*logWriter), pattern string, extra ...string) {
	e := newEnv(t)
	p := filepath.Join(e.logs, "app.log")
	w := newLogWriter(t, p)
	args := append(extra, filepath.Join(e.logs, pattern), "oss://"+testBucket+"/")
	c, stderr := e.cmd(args...)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	// A rotation before gtail first looks would leave a file it never
	// saw (and with copytruncate, a glob not matching the copy, its bytes
	// are beyond reach): start writing and rotating once it follows.
	waitFor(t, "gtail to follow", func() bool { return strings.Contains(stderr.String(), "following") }, stderr)
	w.start(2000)
	for range 4 {
		time.Sleep(jitter(150*time.Millisecond, 350*time.Millisecond))
		rotate(w)
	}
	time.Sleep(200 * time.Millisecond)
	want := w.Stop()
	gz := false
	for _, a := range extra {
		gz = gz || a == "--gzip"
	}
	waitFor(t, "all bytes shipped", func() bool { return len(e.shipped(prefixOf(p), gz)) >= len(want) }, stderr)
	if err := c.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(); err != nil {
		t.Fatalf("gtail: %v\n%s", err, stderr)
	}
	got := e.shipped(prefixOf(p), gz)
	for _, k := range e.objects("") {
		if !strings.HasPrefix(k, prefixOf(p)) {
			t.Errorf("object %s: a rotated file was shipped as a new one", k)
		}
	}
	if keys := e.objects(prefixOf(p)); len(keys) < 5 {
		t.Errorf("%d objects %q; want one per generation, 5 or more", len(keys), keys)
	}
	if !bytes.Equal(got, want) {
		t.Logf("objects: %q\n%s", e.objects(prefixOf(p)), stderr)
	}
	sameBytes(t, got, want)
}

func TestRotateRename(t *testing.T) {
	followWhileRotating(t, (*logWriter).rename)
}

func TestRotateCopyTruncate(t *testing.T) {
	followWhileRotating(t, (*logWriter).copyTruncate)
}

func TestRotateGzip(t *testing.T) {
	followWhileRotating(t, (*logWriter).rename, "--gzip")
}

// TestRotateGlobMatchesRotated: the glob also matches the rotated files
// (app.log.1, …); they are recognised (by inode, or as the copy of a
// truncated generation) and never shipped twice.
func TestRotateGlobMatchesRotated(t *testing.T) {
	t.Run("rename", func(t *testing.T) { followGlobWhileRotating(t, (*logWriter).rename, "app.log*") })
	t.Run("copytruncate", func(t *testing.T) { followGlobWhileRotating(t, (*logWriter).copyTruncate, "app.log*") })
}

// TestCopyTruncateSeenMidCopy: logrotate creates the copy, fills it, then
// truncates the original; gtail may look at the copy while it is empty or
// half written. It must still take it for the copy (finish the generation
// from it), not ship it as a new file — which, under load, it once did,
// shipping the copied bytes twice and reporting the rest of the generation
// lost.
func TestCopyTruncateSeenMidCopy(t *testing.T) {
	e := newEnv(t)
	p := filepath.Join(e.logs, "app.log")
	var head bytes.Buffer
	for i := range 100 {
		fmt.Fprintf(&head, "line %03d of the first generation\n", i)
	}
	if err := os.WriteFile(p, head.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	c, stderr := e.cmd(filepath.Join(e.logs, "app.log*"), "oss://"+testBucket+"/")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	waitFor(t, "the file shipped", func() bool { return len(e.shipped(prefixOf(p), false)) == head.Len() }, stderr)

	// Bytes perhaps not shipped yet when the copy is made: the generation
	// finishes from the copy.
	tail := []byte("written just before the rotation\n")
	appendTo(t, p, tail)
	cp, err := os.Create(p + ".1")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond) // gtail sees the copy empty
	copied := append(head.Bytes(), tail...)
	cp.Write(copied[:500])
	time.Sleep(150 * time.Millisecond) // and shorter than the fingerprint
	cp.Write(copied[500:])
	cp.Close()
	if err := os.Truncate(p, 0); err != nil {
		t.Fatal(err)
	}
	after := []byte("the second generation\n")
	appendTo(t, p, after)

	want := append(copied, after...)
	waitFor(t, "all bytes shipped", func() bool { return len(e.shipped(prefixOf(p), false)) >= len(want) }, stderr)
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Fatalf("gtail: %v\n%s", err, stderr)
	}
	for _, k := range e.objects("") {
		if !strings.HasPrefix(k, prefixOf(p)) {
			t.Errorf("object %s: the copy was shipped as a new file\n%s", k, stderr)
		}
	}
	sameBytes(t, e.shipped(prefixOf(p), false), want)
}

// TestNotACopyShippedAfterWait: a new file starting with the bytes of a
// followed one is held back as a possible copytruncate copy, but when the
// followed file stays intact for --rotate-wait it is a file of its own (or
// logrotate's "copy" without truncation) and is shipped (see the limits in
// docs/gtail.md).
func TestNotACopyShippedAfterWait(t *testing.T) {
	e := newEnv(t)
	p := filepath.Join(e.logs, "app.log")
	content := bytes.Repeat([]byte("the same banner line in both files\n"), 40)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	c, stderr := e.cmd(filepath.Join(e.logs, "app.log*"), "oss://"+testBucket+"/")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	waitFor(t, "the file shipped", func() bool { return len(e.shipped(prefixOf(p), false)) == len(content) }, stderr)
	q := p + ".other"
	other := append(append([]byte(nil), content...), "and more of its own\n"...)
	if err := os.WriteFile(q, other, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the other file shipped", func() bool { return len(e.shipped(prefixOf(q), false)) == len(other) }, stderr)
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Fatalf("gtail: %v\n%s", err, stderr)
	}
	sameBytes(t, e.shipped(prefixOf(p), false), content)
	sameBytes(t, e.shipped(prefixOf(q), false), other)
}

func appendTo(t *testing.T, p string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

// TestRotatedShipsAtOnce: the whole lines of a rotated file are shipped as
// soon as gtail sees the rotation, not after --flush-interval (an hour
// here): logrotate may compress and delete the file at its next run, and a
// gtail killed before then finds it gone (the logrotate soak's create-kill
// phase lost lines so).
func TestRotatedShipsAtOnce(t *testing.T) {
	e := newEnv(t)
	p := filepath.Join(e.logs, "app.log")
	os.WriteFile(p, []byte("first\nsecond\n"), 0o644)
	c, stderr := e.cmd("--flush-interval=1h", "--rotate-wait=1h", "--partial-timeout=1h", p, "oss://"+testBucket+"/")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	waitFor(t, "gtail following the file", func() bool { return strings.Contains(stderr.String(), "msg=following") }, stderr)
	os.Rename(p, p+".1")
	os.WriteFile(p, nil, 0o644)
	waitFor(t, "the rotated file's lines shipped", func() bool { return string(e.shipped(prefixOf(p), false)) == "first\nsecond\n" }, stderr)
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Fatalf("gtail: %v\n%s", err, stderr)
	}
}
