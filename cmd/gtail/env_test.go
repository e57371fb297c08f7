//go:build unix

package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// env is one test's world: an osslocal server on loopback, a log directory
// and a state directory, and gtail run as the real binary (testscript.Main
// puts it in $PATH).
type env struct {
	t      *testing.T
	ts     *osslocaltest.TS
	bucket *oss.Bucket
	faults *osslocal.Faults
	logs   string
	state  string
}

const testBucket = "gtail-test"

func newEnv(t *testing.T, opts ...func(*osslocal.Options)) *env {
	t.Helper()
	ts := osslocaltest.Start(t, append([]func(*osslocal.Options){func(o *osslocal.Options) { o.Buckets = []string{testBucket} }}, opts...)...)
	c, err := oss.New(ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Bucket(testBucket)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	e := &env{t: t, ts: ts, bucket: b, faults: ts.Faults,
		logs: filepath.Join(dir, "logs"), state: filepath.Join(dir, "state")}
	if err := os.Mkdir(e.logs, 0o755); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) environ() []string { return append(os.Environ(), e.ts.Env()...) }

// fastFlags make gtail react within tens of milliseconds.
var fastFlags = []string{"--flush-interval=50ms", "--partial-timeout=300ms", "--rotate-wait=300ms",
	"--poll-interval=100ms", "--key={path}/{gen}", "--host=test"}

// cmd returns gtail with the test's environment and state dir; stderr is
// collected in the returned buffer.
func (e *env) cmd(args ...string) (*exec.Cmd, *syncBuffer) {
	all := append([]string{"--state-dir=" + e.state}, fastFlags...)
	all = append(all, args...)
	c := exec.Command("gtail", all...)
	c.Env = e.environ()
	var stderr syncBuffer
	c.Stderr = &stderr
	return c, &stderr
}

// run runs gtail to completion and returns its exit code and stderr.
func (e *env) run(args ...string) (int, string) {
	e.t.Helper()
	c, stderr := e.cmd(args...)
	err := c.Run()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			e.t.Fatal(err)
		}
	}
	return c.ProcessState.ExitCode(), stderr.String()
}

// objects returns the keys below prefix, in key order.
func (e *env) objects(prefix string) []string {
	e.t.Helper()
	var keys []string
	marker := ""
	for {
		res, err := e.bucket.ListObjects(oss.Prefix(prefix), oss.Marker(marker))
		if err != nil {
			e.t.Fatal(err)
		}
		for _, o := range res.Objects {
			if !strings.Contains(o.Key, ".gtail/owner/") { // gtail's own, one per file
				keys = append(keys, o.Key)
			}
		}
		if !res.IsTruncated {
			break
		}
		marker = res.NextMarker
	}
	sort.Strings(keys)
	return keys
}

func (e *env) get(key string) []byte {
	e.t.Helper()
	r, err := e.bucket.GetObject(key)
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// shipped concatenates the objects below prefix in key order — with
// --key {path}/{gen} that is generation by generation, object by object —
// decompressing each when gz is set.
func (e *env) shipped(prefix string, gz bool) []byte {
	e.t.Helper()
	var all []byte
	for _, k := range e.objects(prefix) {
		b := e.get(k)
		if gz {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				e.t.Fatalf("%s: %v", k, err)
			}
			if b, err = io.ReadAll(zr); err != nil {
				e.t.Fatalf("%s: %v", k, err)
			}
		}
		all = append(all, b...)
	}
	return all
}

// prefixOf is the object prefix of a log file under --key {path}/{gen}.
func prefixOf(path string) string { return strings.TrimPrefix(path, "/") + "/" }

// waitFor polls cond until it holds or a generous deadline passes; then
// it fails the test, with the logs given, if any.
func waitFor(t *testing.T, what string, cond func() bool, logs ...fmt.Stringer) {
	t.Helper()
	if !poll(cond) {
		for _, l := range logs {
			t.Log(l.String())
		}
		t.Fatalf("timed out waiting for %s", what)
	}
}

// waitForGtail is waitFor for a condition the running gtail c must bring
// about: on a timeout it also logs c's goroutines (SIGQUIT makes the Go
// runtime print them on the stderr collected in stderr), so a stall in CI
// shows where gtail waits.
func waitForGtail(t *testing.T, what string, c *exec.Cmd, stderr *syncBuffer, cond func() bool, logs ...fmt.Stringer) {
	t.Helper()
	if poll(cond) {
		return
	}
	for _, l := range logs {
		t.Log(l.String())
	}
	c.Process.Signal(syscall.SIGQUIT)
	exited := make(chan struct{})
	go func() {
		c.Wait()
		close(exited)
	}()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		c.Process.Kill()
		<-exited
	}
	t.Fatalf("timed out waiting for %s; gtail's stderr and goroutines:\n%s", what, stderr)
}

// poll reports whether cond came to hold before a generous deadline.
func poll(cond func() bool) bool {
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// sameBytes reports a mismatch briefly: lengths and the first difference.
func sameBytes(t *testing.T, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	t.Fatalf("shipped %d bytes, want %d; first difference at %d:\n got %q\nwant %q",
		len(got), len(want), i, snippet(got, i), snippet(want, i))
}

func snippet(b []byte, i int) []byte {
	lo, hi := max(i-40, 0), min(i+40, len(b))
	if lo > hi {
		return nil
	}
	return b[lo:hi]
}

// syncBuffer collects a child's stderr while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
