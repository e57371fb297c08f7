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

	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/ship"
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
		b := readState(t, e.state)
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
	if code != 1 || !strings.Contains(out, "gtail: error: "+p+": object "+key+": has 7 bytes beyond the state") ||
		!strings.Contains(out, "gtail: hint: another program") {
		t.Fatalf("exit %d, want 1 and 'another writer':\n%s", code, out)
	}
	sameBytes(t, e.get(key), []byte("mine\ntheirs\n"))

	// Replaced by a normal object: the same.
	if err := e.bucket.PutObject(key, strings.NewReader("replaced\n")); err != nil {
		t.Fatal(err)
	}
	code, out = e.run("--once", p, "oss://"+testBucket+"/")
	if code != 1 || !strings.Contains(out, "another writer") {
		t.Fatalf("exit %d, want 1 and 'another writer':\n%s", code, out)
	}
	sameBytes(t, e.get(key), []byte("replaced\n"))
}

func stateFile(t *testing.T, dir string) string {
	m, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(m) != 1 {
		return ""
	}
	return m[0]
}

// readState returns the JSON of the current state in dir (the newest whole
// slot of the state file), or nil if there is none yet.
func readState(t *testing.T, dir string) []byte {
	b, _ := ship.ReadFile(stateFile(t, dir))
	return b
}

// TestOutage: while every append fails, gtail keeps retrying and holds on
// to the file; when OSS is back, everything arrives once. SIGUSR1 meanwhile
// logs a status with the lag.
func TestOutage(t *testing.T) {
	e := newEnv(t)
	rules, err := osslocal.ParseFaults("append:error=503")
	if err != nil {
		t.Fatal(err)
	}
	e.faults.Set(rules)
	p := filepath.Join(e.logs, "app.log")
	w := newLogWriter(t, p)
	c, stderr := e.cmd(p, "oss://"+testBucket+"/")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	w.start(2000)
	waitFor(t, "appends to fail a few times", func() bool { return e.faults.Fired(osslocal.OpAppend) >= 3 })
	c.Process.Signal(syscall.SIGUSR1)
	waitFor(t, "a status line", func() bool { return strings.Contains(stderr.String(), "status summary") })
	if !strings.Contains(stderr.String(), "lag_bytes=") {
		t.Errorf("status has no lag:\n%s", stderr)
	}
	want := w.Stop()
	e.faults.Clear()
	waitFor(t, "all bytes shipped", func() bool { return len(e.shipped(prefixOf(p), false)) >= len(want) })
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Fatalf("gtail: %v\n%s", err, stderr)
	}
	sameBytes(t, e.shipped(prefixOf(p), false), want)
}

// TestRollSize: objects end before --roll-size; together they hold the file.
func TestRollSize(t *testing.T) {
	e := newEnv(t)
	p := filepath.Join(e.logs, "app.log")
	var want []byte
	for i := range 200 {
		want = append(want, fmt.Sprintf("line %d of the rolling test\n", i)...)
	}
	os.WriteFile(p, want, 0o644)
	if code, out := e.run("--once", "--roll-size=1KiB", "--flush-bytes=300", p, "oss://"+testBucket+"/"); code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	keys := e.objects(prefixOf(p))
	if len(keys) < 5 {
		t.Fatalf("%d objects, want several", len(keys))
	}
	for _, k := range keys {
		if n := len(e.get(k)); n > 1024 {
			t.Errorf("%s is %d bytes, more than --roll-size", k, n)
		}
	}
	sameBytes(t, e.shipped(prefixOf(p), false), want)
}

// TestFromEnd: --from end skips what a file held when first seen, but not
// what is written later, nor files that appear later.
func TestFromEnd(t *testing.T) {
	e := newEnv(t)
	p := filepath.Join(e.logs, "app.log")
	os.WriteFile(p, []byte("old history\n"), 0o644)
	c, stderr := e.cmd("--from=end", filepath.Join(e.logs, "*.log"), "oss://"+testBucket+"/")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	waitFor(t, "gtail to follow", func() bool { return strings.Contains(stderr.String(), "following") })
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("new line\n")
	f.Close()
	q := filepath.Join(e.logs, "later.log")
	os.WriteFile(q, []byte("later file\n"), 0o644)
	waitFor(t, "shipping", func() bool {
		return len(e.shipped(prefixOf(p), false)) > 0 && len(e.shipped(prefixOf(q), false)) > 0
	})
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Fatalf("gtail: %v\n%s", err, stderr)
	}
	sameBytes(t, e.shipped(prefixOf(p), false), []byte("new line\n"))
	sameBytes(t, e.shipped(prefixOf(q), false), []byte("later file\n"))
}

// TestSymlinkSwap: the followed path is a symlink that is switched to a new
// file (as some loggers rotate); the old target is drained, the new one
// followed, each to its own objects.
func TestSymlinkSwap(t *testing.T) {
	e := newEnv(t)
	link := filepath.Join(e.logs, "current.log")
	a, b := filepath.Join(e.logs, "a.log"), filepath.Join(e.logs, "b.log")
	os.WriteFile(a, []byte("a1\n"), 0o644)
	os.Symlink(a, link)
	c, stderr := e.cmd(link, "oss://"+testBucket+"/")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	waitFor(t, "a shipped", func() bool { return len(e.shipped(prefixOf(link), false)) == 3 })
	os.WriteFile(b, []byte("b1\n"), 0o644)
	os.Remove(link)
	os.Symlink(b, link)
	f, _ := os.OpenFile(a, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("a2 after the switch\n")
	f.Close()
	want := []byte("a1\na2 after the switch\nb1\n")
	waitFor(t, "both shipped", func() bool { return len(e.shipped(prefixOf(link), false)) >= len(want) })
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Fatalf("gtail: %v\n%s", err, stderr)
	}
	sameBytes(t, e.shipped(prefixOf(link), false), want)
	if keys := e.objects(prefixOf(link)); len(keys) != 2 {
		t.Errorf("objects %q, want 2", keys)
	}
}

// TestTruncatedRegrown: between two runs the file is truncated and rewritten
// past the old offset; the head fingerprint tells, and the new content is a
// new generation shipped from its start.
func TestTruncatedRegrown(t *testing.T) {
	e := newEnv(t)
	p := filepath.Join(e.logs, "app.log")
	first := "generation one\n"
	os.WriteFile(p, []byte(first), 0o644)
	if code, out := e.run("--once", p, "oss://"+testBucket+"/"); code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	second := "GENERATION TWO, longer than the first\n"
	os.WriteFile(p, []byte(second), 0o644) // O_TRUNC: same inode
	code, out := e.run("--once", p, "oss://"+testBucket+"/")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	sameBytes(t, e.shipped(prefixOf(p), false), []byte(first+second))
	if keys := e.objects(prefixOf(p)); len(keys) != 2 {
		t.Fatalf("objects %q, want one per generation", keys)
	}
}

// TestStoppedFileStaysStopped: in follow mode a file stopped by a conflict is
// not taken for a new file and shipped again.
func TestStoppedFileStaysStopped(t *testing.T) {
	e := newEnv(t)
	p := filepath.Join(e.logs, "app.log")
	os.WriteFile(p, []byte("mine\n"), 0o644)
	if code, out := e.run("--once", p, "oss://"+testBucket+"/"); code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	key := e.objects(prefixOf(p))[0]
	e.bucket.AppendObject(key, strings.NewReader("theirs\n"), 5)
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("more\n")
	f.Close()
	c, stderr := e.cmd(p, "oss://"+testBucket+"/")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	waitFor(t, "the file to stop", func() bool { return strings.Contains(stderr.String(), "file stopped") })
	time.Sleep(time.Second) // several polls and --rotate-wait
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err == nil {
		t.Fatalf("exit 0 after a stopped file:\n%s", stderr)
	}
	if keys := e.objects(prefixOf(p)); len(keys) != 1 {
		t.Fatalf("objects %q: the stopped file was shipped again", keys)
	}
}

// TestOnceOutage: --once does not wait forever for OSS (cron runs it
// again): it gives up after --retries, exits 1, and the next run ships.
func TestOnceOutage(t *testing.T) {
	e := newEnv(t)
	rules, _ := osslocal.ParseFaults("append:error=503")
	e.faults.Set(rules)
	p := filepath.Join(e.logs, "app.log")
	os.WriteFile(p, []byte("during the outage\n"), 0o644)
	code, out := e.run("--once", "--retries=1", p, "oss://"+testBucket+"/")
	if code != 1 || !strings.Contains(out, "giving up after 2 attempts") {
		t.Fatalf("exit %d, want 1 and giving up:\n%s", code, out)
	}
	e.faults.Clear()
	if code, out := e.run("--once", p, "oss://"+testBucket+"/"); code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	sameBytes(t, e.shipped(prefixOf(p), false), []byte("during the outage\n"))
}

// TestDeletedWhileRunning: a file deleted while gtail holds it open is still
// read to its end: nothing is lost.
func TestDeletedWhileRunning(t *testing.T) {
	e := newEnv(t)
	p := filepath.Join(e.logs, "app.log")
	os.WriteFile(p, []byte("first\n"), 0o644)
	c, stderr := e.cmd("--flush-interval=1h", p, "oss://"+testBucket+"/")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("second, written just before the delete\n")
	waitFor(t, "gtail to see the file", func() bool {
		b := readState(t, e.state)
		return strings.Contains(string(b), `"size": 45`)
	}, stderr)
	os.Remove(p)
	f.WriteString("third, written after the delete\n")
	f.Close()
	want := []byte("first\nsecond, written just before the delete\nthird, written after the delete\n")
	// The lines go at once (the file is rotated away); the generation ends
	// once the file has been quiet for --rotate-wait.
	waitFor(t, "the deleted file drained", func() bool {
		return bytes.Equal(e.shipped(prefixOf(p), false), want) && strings.Contains(stderr.String(), "rotated file drained")
	}, stderr)
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Fatalf("gtail: %v\n%s", err, stderr)
	}
}

// TestTruncatedSameHead: a file truncated while followed and rewritten with
// the same first bytes as before is new content, and is shipped.
func TestTruncatedSameHead(t *testing.T) {
	e := newEnv(t)
	p := filepath.Join(e.logs, "app.log")
	os.WriteFile(p, []byte("server starting\n"), 0o644)
	c, stderr := e.cmd(p, "oss://"+testBucket+"/")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	waitFor(t, "the first content shipped", func() bool { return len(e.shipped(prefixOf(p), false)) == 16 }, stderr)
	os.WriteFile(p, nil, 0o644) // > app.log
	waitFor(t, "the truncation noticed", func() bool { return strings.Contains(stderr.String(), "file truncated") }, stderr)
	os.WriteFile(p, []byte("server starting\nagain, longer this time\n"), 0o644)
	want := "server starting\nserver starting\nagain, longer this time\n"
	waitFor(t, "the new content shipped", func() bool { return string(e.shipped(prefixOf(p), false)) == want }, stderr)
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Fatalf("gtail: %v\n%s", err, stderr)
	}
}

// TestHugeLineWhileFollowing: a 10 MiB line written in pieces, slower than
// --flush-interval, arrives whole and in order, with the lines around it.
func TestHugeLineWhileFollowing(t *testing.T) {
	e := newEnv(t)
	p := filepath.Join(e.logs, "app.log")
	c, stderr := e.cmd("--partial-timeout=1h", p, "oss://"+testBucket+"/")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte("before\n")
	f.Write(want)
	piece := bytes.Repeat([]byte{'z', 0, '\r'}, 1<<20/3+1)
	for range 10 {
		f.Write(piece)
		want = append(want, piece...)
		time.Sleep(60 * time.Millisecond)
	}
	f.WriteString("\nafter\n")
	f.Close()
	want = append(want, "\nafter\n"...)
	waitFor(t, "the line shipped", func() bool { return len(e.shipped(prefixOf(p), false)) >= len(want) }, stderr)
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Fatalf("gtail: %v\n%s", err, stderr)
	}
	sameBytes(t, e.shipped(prefixOf(p), false), want)
}
