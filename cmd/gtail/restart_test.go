//go:build unix

package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal"
)

// restartable is an osslocal that can be stopped entirely (connection
// refused) and started again on the same port with the same data
// directory, as an OSS outage looks to gtail.
type restartable struct {
	t    *testing.T
	addr string
	dir  string
	srv  *osslocal.Server
	hs   *http.Server
}

func startRestartable(t *testing.T) *restartable {
	r := &restartable{t: t, addr: "127.0.0.1:0", dir: t.TempDir()}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *restartable) start() {
	r.t.Helper()
	srv, err := osslocal.New(osslocal.Options{DataDir: r.dir, Buckets: []string{testBucket}})
	if err != nil {
		r.t.Fatal(err)
	}
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		r.t.Fatal(err)
	}
	r.addr = ln.Addr().String() // a fixed port from now on
	r.srv, r.hs = srv, &http.Server{Handler: srv}
	go r.hs.Serve(ln)
}

func (r *restartable) stop() {
	if r.hs == nil {
		return
	}
	r.hs.Close() // the listener too: connections are refused
	r.srv.Close()
	r.hs, r.srv = nil, nil
}

func (r *restartable) env() []string {
	return append(os.Environ(), "OSS_ENDPOINT=http://"+r.addr,
		"OSS_ACCESS_KEY_ID="+osslocal.DefaultCredential.ID, "OSS_ACCESS_KEY_SECRET="+osslocal.DefaultCredential.Secret)
}

// shipped reads the objects below prefix through a fresh client.
func (r *restartable) shipped(prefix string) []byte {
	r.t.Helper()
	c, err := oss.New("http://"+r.addr, osslocal.DefaultCredential.ID, osslocal.DefaultCredential.Secret)
	if err != nil {
		r.t.Fatal(err)
	}
	b, err := c.Bucket(testBucket)
	if err != nil {
		r.t.Fatal(err)
	}
	e := &env{t: r.t, bucket: b}
	return e.shipped(prefix, false)
}

// TestOSSDownAndBack: following, gtail outlasts OSS being gone entirely
// (connection refused, far more attempts than --retries) and, when OSS is
// back on the same address, ships what the file gained meanwhile, once.
func TestOSSDownAndBack(t *testing.T) {
	r := startRestartable(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	var want []byte
	write := func(from, to int) {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		for i := from; i < to; i++ {
			line := fmt.Sprintf("line %d\n", i)
			f.WriteString(line)
			want = append(want, line...)
		}
		f.Close()
	}
	write(0, 100)
	args := append([]string{"--state-dir=" + filepath.Join(dir, "state"), "--retries=1"}, fastFlags...)
	c := exec.Command("gtail", append(args, p, "oss://"+testBucket+"/")...)
	c.Env = r.env()
	var stderr syncBuffer
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	waitFor(t, "the first lines shipped", func() bool { return len(r.shipped(prefixOf(p))) == len(want) }, &stderr)

	r.stop()
	write(100, 300)
	// --retries=1 would give up at attempt 2; following must go on.
	waitFor(t, "gtail to retry through the outage", func() bool {
		return strings.Contains(stderr.String(), "attempt=4") && strings.Contains(stderr.String(), "connection refused")
	}, &stderr)
	if strings.Contains(stderr.String(), "file stopped") {
		t.Fatalf("gtail gave up on the file during the outage:\n%s", stderr.String())
	}
	// The file is the buffer: 48 MiB more waiting for OSS do not grow
	// gtail (batches of --flush-bytes, a few at a time).
	big := bytes.Repeat([]byte(strings.Repeat("y", 1023)+"\n"), 48<<10)
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(big)
	f.Close()
	want = append(want, big...)
	write(300, 400)
	r.start()
	waitFor(t, "everything shipped after the outage", func() bool { return len(r.shipped(prefixOf(p))) >= len(want) }, &stderr)
	if hwm := peakRSS(t, c.Process.Pid); hwm > 40<<20 {
		t.Errorf("gtail peaked at %d MiB with 48 MiB waiting: the file should be the buffer", hwm>>20)
	} else {
		t.Logf("peak RSS %d KiB", hwm>>10)
	}
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Fatalf("gtail: %v\n%s", err, stderr.String())
	}
	sameBytes(t, r.shipped(prefixOf(p)), want)
}

// TestSigtermWhileOSSDown: asked to stop while OSS is unreachable, gtail
// stops retrying when --shutdown-timeout runs out, says what it did not
// ship, saves a consistent state and exits 130; the next run, OSS back,
// ships exactly the rest.
func TestSigtermWhileOSSDown(t *testing.T) {
	r := startRestartable(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	first, rest := "shipped before\n", "written during the outage\nand a partial"
	os.WriteFile(p, []byte(first), 0o644)
	args := append([]string{"--state-dir=" + filepath.Join(dir, "state"), "--shutdown-timeout=300ms"}, fastFlags...)
	c := exec.Command("gtail", append(args, p, "oss://"+testBucket+"/")...)
	c.Env = r.env()
	var stderr syncBuffer
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	waitFor(t, "the first line shipped", func() bool { return string(r.shipped(prefixOf(p))) == first }, &stderr)
	r.stop()
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(rest)
	f.Close()
	waitFor(t, "an append to fail", func() bool { return strings.Contains(stderr.String(), "connection refused") }, &stderr)
	c.Process.Signal(syscall.SIGTERM)
	c.Wait()
	if code := c.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit %d, want 130:\n%s", code, stderr.String())
	}
	for _, msg := range []string{"path=" + p, fmt.Sprintf("bytes=%d", len(rest)),
		fmt.Sprintf("gtail: error: interrupted: %d bytes not shipped within --shutdown-timeout", len(rest))} {
		if !strings.Contains(stderr.String(), msg) {
			t.Errorf("stderr lacks %q:\n%s", msg, stderr.String())
		}
	}
	r.start()
	once := exec.Command("gtail", append(args, "--once", "--partial-timeout=1ns", p, "oss://"+testBucket+"/")...)
	once.Env = r.env()
	if out, err := once.CombinedOutput(); err != nil {
		t.Fatalf("gtail --once: %v\n%s", err, out)
	}
	sameBytes(t, r.shipped(prefixOf(p)), []byte(first+rest))
}

// peakRSS is the process's VmHWM from /proc, in bytes (0 without /proc).
func peakRSS(t *testing.T, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}
