//go:build linux

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
	"github.com/ossx/ossx/internal/progress/progresstest"
)

// TestProgressOnTerminal: --progress auto (the default) draws a bar when
// stderr is a terminal and nothing when it is not. script(1) gives the run a
// pseudo-terminal; --bwlimit keeps the upload long enough to draw.
func TestProgressOnTerminal(t *testing.T) {
	srv := osslocaltest.Start(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "ossuploader") // testscript.Main dispatches on the name
	osslocaltest.CopyTestBinary(t, bin)
	src := filepath.Join(dir, "big.bin")
	if err := os.WriteFile(src, bytes.Repeat([]byte("ossx"), 300_000), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(srv.Env(), "HOME="+dir, "XDG_STATE_HOME="+filepath.Join(dir, "state"), "PATH=/usr/bin:/bin", "TERM=dumb")

	c := progresstest.Terminal(t, bin+" --bwlimit 300K "+src+" oss://"+srv.Bucket+"/tty.bin")
	c.Env = env
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("under a terminal: %v\n%s", err, out)
	}
	// Bytes done of the total, the file's name, a rate (--bwlimit 300K is
	// 300 KiB/s: the limiter makes the upload last over 2s, when a rate is
	// first shown).
	progresstest.Check(t, string(out), "uploading", " / 1.1 MiB  ", "KiB/s", "big.bin")
	if !strings.Contains(string(out), "oss://"+srv.Bucket+"/tty.bin") {
		t.Errorf("no URL printed:\n%q", out)
	}

	c = exec.Command(bin, "--bwlimit", "600K", src, "oss://"+srv.Bucket+"/pipe.bin")
	c.Env = env
	var stdout, stderr strings.Builder
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		t.Fatalf("without a terminal: %v\n%s", err, stderr.String())
	}
	if stderr.Len() != 0 || stdout.String() != "oss://"+srv.Bucket+"/pipe.bin\n" {
		t.Errorf("without a terminal: stdout %q, stderr %q; want only the URL", stdout.String(), stderr.String())
	}
}

// TestInterruptStdinOnTerminal (issue 12.3): ossuploader - reading from a
// terminal stops at the first Ctrl-C with exit 130 and the usual message,
// although its read of the terminal is still blocked. script(1) gives it a
// pseudo-terminal; the ^C goes in through script's stdin once ossuploader
// says it is reading.
func TestInterruptStdinOnTerminal(t *testing.T) {
	srv := osslocaltest.Start(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "ossuploader") // testscript.Main dispatches on the name
	osslocaltest.CopyTestBinary(t, bin)
	c := progresstest.Terminal(t, "exec "+bin+" - oss://"+srv.Bucket+"/tty-stdin")
	c.Env = append(srv.Env(), "HOME="+dir, "PATH=/usr/bin:/bin", "TERM=dumb")
	in, err := c.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	waitOutput(t, &out, "reading stdin from the terminal", done)
	in.Write([]byte("partial line")) // typed, not ended: the read stays blocked
	in.Write([]byte{3})              // ^C
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		c.Process.Kill()
		<-done
		t.Fatalf("still running after one Ctrl-C:\n%q", out.String())
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Errorf("exit: %v, want 130\n%q", err, out.String())
	}
	if !strings.Contains(out.String(), "ossuploader: error: interrupted by signal") {
		t.Errorf("no interrupt message:\n%q", out.String())
	}
	cl, err := oss.New(srv.Endpoint, srv.AccessKeyID, srv.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	bk, err := cl.Bucket(srv.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := bk.IsObjectExist("tty-stdin"); err != nil || ok {
		t.Errorf("object exists (%v): an interrupted stdin must leave nothing", err)
	}
}

// syncBuffer is a strings.Builder safe to read while a process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
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

// waitOutput waits until b holds want; it fails the test if the process
// ends first or never says it.
func waitOutput(t *testing.T, b *syncBuffer, want string, done <-chan error) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(b.String(), want) {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("ended (%v) before saying %q:\n%q", err, want, b.String())
		default:
		}
	}
	t.Fatalf("never said %q:\n%q", want, b.String())
}
