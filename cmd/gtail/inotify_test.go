//go:build linux

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestInotifyWithoutPolling: with polling effectively off (both intervals
// an hour), inotify alone makes gtail pick up a file created later, its
// growth, and a rename rotation. gtail polls only as a safety net while
// every directory is watched, so this is what an idle gtail relies on.
func TestInotifyWithoutPolling(t *testing.T) {
	e := newEnv(t)
	p := filepath.Join(e.logs, "app.log")
	c, stderr := e.cmd("--poll-interval=1h", "--safety-interval=1h", filepath.Join(e.logs, "*.log"), "oss://"+testBucket+"/")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	waitFor(t, "gtail to start", func() bool { return len(stderr.String()) > 0 }, stderr)
	var want []byte
	appendLine := func(s string) {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(s)
		f.Close()
		want = append(want, s...)
	}
	appendLine("created later\n")
	waitFor(t, "the new file shipped", func() bool { return len(e.shipped(prefixOf(p), false)) == len(want) }, stderr)
	appendLine("grown\n")
	waitFor(t, "the growth shipped", func() bool { return len(e.shipped(prefixOf(p), false)) == len(want) }, stderr)
	if err := os.Rename(p, filepath.Join(e.logs, "app.log.1")); err != nil {
		t.Fatal(err)
	}
	appendLine("after rotation\n")
	waitFor(t, "the new generation shipped", func() bool { return len(e.shipped(prefixOf(p), false)) == len(want) }, stderr)
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Fatalf("gtail: %v\n%s", err, stderr)
	}
	sameBytes(t, e.shipped(prefixOf(p), false), want)
}
