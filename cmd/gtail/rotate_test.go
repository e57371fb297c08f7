//go:build unix

package main

import (
	"bytes"
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
	waitFor(t, "all bytes shipped", func() bool { return len(e.shipped(prefixOf(p), gz)) >= len(want) })
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
