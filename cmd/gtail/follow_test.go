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

// TestLateFilesAndGlob: gtail starts before any file exists; a missing plain
// path and 100 files matching a glob appear later and are all shipped.
func TestLateFilesAndGlob(t *testing.T) {
	e := newEnv(t)
	late := filepath.Join(e.logs, "late.log")
	glob := filepath.Join(e.logs, "many", "*.log")
	c, stderr := e.cmd(late, glob, "oss://"+testBucket+"/")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	time.Sleep(200 * time.Millisecond) // gtail is up and has found nothing
	if err := os.Mkdir(filepath.Join(e.logs, "many"), 0o755); err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	for i := range 100 {
		p := filepath.Join(e.logs, "many", fmt.Sprintf("f%03d.log", i))
		want[p] = []byte(fmt.Sprintf("file %d line 1\nfile %d line 2\n", i, i))
		if err := os.WriteFile(p, want[p], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want[late] = []byte("created after gtail started\n")
	if err := os.WriteFile(late, want[late], 0o644); err != nil {
		t.Fatal(err)
	}
	for p, b := range want {
		waitFor(t, p+" shipped", func() bool { return bytes.Equal(e.shipped(prefixOf(p), false), b) })
	}
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Fatalf("gtail: %v\n%s", err, stderr)
	}
	if keys := e.objects(""); len(keys) != 101 {
		t.Errorf("%d objects, want 101", len(keys))
	}
}

// TestSigtermFlush: on SIGTERM the lines waiting for --flush-interval and a
// partial last line are shipped, the state saved, and gtail exits 0; a
// restart ships only what came after.
func TestSigtermFlush(t *testing.T) {
	e := newEnv(t)
	p := filepath.Join(e.logs, "app.log")
	first := "one\ntwo\npartial"
	if err := os.WriteFile(p, []byte(first), 0o644); err != nil {
		t.Fatal(err)
	}
	c, stderr := e.cmd("--flush-interval=1h", "--partial-timeout=1h", p, "oss://"+testBucket+"/")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "gtail to follow", func() bool { return strings.Contains(stderr.String(), "following") })
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Fatalf("gtail: %v\n%s", err, stderr)
	}
	sameBytes(t, e.shipped(prefixOf(p), false), []byte(first))
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(" line ends\nthree\n")
	f.Close()
	code, out := e.run("--once", p, "oss://"+testBucket+"/")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	sameBytes(t, e.shipped(prefixOf(p), false), []byte(first+" line ends\nthree\n"))
}

// TestDeletedBeforeShipped: a file rotated and deleted while gtail was not
// running, before its bytes were shipped, is reported as lost: in the log
// and in the exit status.
func TestDeletedBeforeShipped(t *testing.T) {
	e := newEnv(t)
	p := filepath.Join(e.logs, "app.log")
	if err := os.WriteFile(p, []byte("shipped\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := e.run("--once", p, "oss://"+testBucket+"/"); code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	// More lines; a gtail that saw them but had not shipped them dies.
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("never shipped 1\nnever shipped 2\n")
	f.Close()
	c, stderr := e.cmd("--flush-interval=1h", p, "oss://"+testBucket+"/")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "gtail to record the size", func() bool {
		b, _ := os.ReadFile(stateFile(t, e.state))
		return strings.Contains(string(b), `"size": 40`)
	})
	c.Process.Signal(syscall.SIGKILL)
	c.Wait()
	_ = stderr
	os.Rename(p, p+".1")
	os.Remove(p + ".1")
	os.WriteFile(p, []byte("new file\n"), 0o644)
	code, out := e.run("--once", p, "oss://"+testBucket+"/")
	if code != 1 || !strings.Contains(out, "BYTES LOST") || !strings.Contains(out, "bytes were lost") {
		t.Fatalf("exit %d, want 1 and a loss report:\n%s", code, out)
	}
	if !strings.Contains(out, "bytes=32") {
		t.Errorf("loss report does not count the 32 bytes:\n%s", out)
	}
	sameBytes(t, e.shipped(prefixOf(p), false), []byte("shipped\nnew file\n"))
}

// TestAnotherWriter: an object that changed behind gtail's back stops that
// file with a clear error; nothing is appended to it.
func TestAnotherWriter(t *testing.T) {
	e := newEnv(t)
	p := filepath.Join(e.logs, "app.log")
	os.WriteFile(p, []byte("mine\n"), 0o644)
	if code, out := e.run("--once", p, "oss://"+testBucket+"/"); code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	key := e.objects(prefixOf(p))[0]
	if _, err := e.bucket.AppendObject(key, strings.NewReader("theirs\n"), 5); err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("more\n")
	f.Close()
	code, out := e.run("--once", p, "oss://"+testBucket+"/")
	t.Log(out)
	if code != 1 || !strings.Contains(out, "another writer") {
		t.Fatalf("exit %d, want 1 and 'another writer':\n%s", code, out)
	}
	sameBytes(t, e.get(key), []byte("mine\ntheirs\n"))
}

func stateFile(t *testing.T, dir string) string {
	m, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(m) != 1 {
		return ""
	}
	return m[0]
}
