//go:build unix

package main

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ossx/ossx/internal/osslocal"
)

// TestFaults runs gtail against an OSS that fails appends (503), resets
// connections mid-body, carries out appends and then drops the answer, lies
// about the CRC in the answer, and fails HEADs: the objects must still hold
// every byte once.
func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra []string
	}{{"plain", nil}, {"gzip", []string{"--gzip"}}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			rules, err := osslocal.ParseFaults("append:error=503:p=0.2; append:reset=1k:p=0.1; " +
				"append:apply-then-fail:p=0.25; append:corrupt-crc:p=0.1; head:error=503:p=0.2")
			if err != nil {
				t.Fatal(err)
			}
			if err := e.faults.Set(rules); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(e.logs, "app.log")
			w := newLogWriter(t, p)
			c, stderr := e.cmd(append(tc.extra, p, "oss://"+testBucket+"/")...)
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			defer c.Process.Kill()
			w.start(2000)
			time.Sleep(400 * time.Millisecond)
			w.rename()
			time.Sleep(400 * time.Millisecond)
			want := w.Stop()
			gz := tc.extra != nil
			waitFor(t, "all bytes shipped", func() bool { return len(e.shipped(prefixOf(p), gz)) >= len(want) })
			c.Process.Signal(syscall.SIGTERM)
			if err := c.Wait(); err != nil {
				t.Fatalf("gtail: %v\n%s", err, stderr)
			}
			sameBytes(t, e.shipped(prefixOf(p), gz), want)
			for _, op := range []osslocal.Op{osslocal.OpAppend, osslocal.OpHead} {
				if e.faults.Fired(op) == 0 {
					t.Errorf("no %s fault fired", op)
				}
			}
		})
	}
}
