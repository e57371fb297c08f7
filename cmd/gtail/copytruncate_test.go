//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ossx/ossx/internal/ship"
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
		return strings.Contains(string(readState(t, stateDir)), fmt.Sprintf(`"size": %d,`, size))
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

// TestStateSaveFails (issue 13, 4): while the state cannot be saved, a
// generation that needs a new object waits, and gtail says so on every
// attempt, instead of stopping the file for good; once the state can be
// saved again, everything is shipped, once. A save is written in place and
// needs no space (TestStateFullDisk); it fails when the state file must be
// made anew on a full disk: when the state outgrows its file or, as here,
// when the plain JSON state of an older gtail is converted. The full disk is
// a directory where the temporary state file goes.
func TestStateSaveFails(t *testing.T) {
	e := newEnv(t)
	p := filepath.Join(e.logs, "app.log")
	os.WriteFile(p, []byte("first generation\n"), 0o644)
	if code, out := e.run("--once", p, "oss://"+testBucket+"/"); code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	state := stateFile(t, e.state)
	b, err := ship.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(state, b, 0o600); err != nil { // as an older gtail left it
		t.Fatal(err)
	}
	blocker := state + ".tmp"
	if err := os.Mkdir(blocker, 0o700); err != nil {
		t.Fatal(err)
	}
	c, stderr := e.cmd(p, "oss://"+testBucket+"/")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	os.Rename(p, p+".1")
	os.WriteFile(p, []byte("second generation\n"), 0o644)
	waitFor(t, "a failed save", func() bool { return strings.Count(stderr.String(), "cannot save the state") >= 2 }, stderr)
	if strings.Contains(stderr.String(), "file stopped") {
		t.Fatalf("a file stopped on a failed save:\n%s", stderr)
	}
	if got := string(e.shipped(prefixOf(p), false)); got != "first generation\n" {
		t.Fatalf("shipped %q before its object was in the state", got)
	}
	os.Remove(blocker)
	want := "first generation\nsecond generation\n"
	waitFor(t, "the second generation shipped", func() bool { return string(e.shipped(prefixOf(p), false)) == want }, stderr)
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Fatalf("gtail: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr.String(), "state saved again") {
		t.Errorf("no word that the state is saved again:\n%s", stderr)
	}
}

// TestStateInconsistent (issue 13, 5): a state that is valid JSON but does
// not agree with itself (an offset edited by hand) is never shipped on a
// guess: with plain objects the object, checked against the file, says how
// far the file was shipped; with --gzip gtail refuses the file, naming the
// state file.
func TestStateInconsistent(t *testing.T) {
	for _, delta := range []int{-50, 50} {
		t.Run(fmt.Sprint(delta), func(t *testing.T) {
			e := newEnv(t)
			p := filepath.Join(e.logs, "app.log")
			var want bytes.Buffer
			for i := range 20 {
				fmt.Fprintf(&want, "line %d of the file\n", i)
			}
			os.WriteFile(p, want.Bytes(), 0o644)
			if code, out := e.run("--once", p, "oss://"+testBucket+"/"); code != 0 {
				t.Fatalf("exit %d: %s", code, out)
			}
			editOffset(t, stateFile(t, e.state), delta)
			more := []byte("more lines, written after the edit\nand more, so that the file is longer than the edited offset\n")
			appendTo(t, p, more)
			want.Write(more)
			code, out := e.run("--once", p, "oss://"+testBucket+"/")
			if code != 0 || !strings.Contains(out, "the state did not agree with the file; reconciled") {
				t.Fatalf("exit %d, want 0 and a reconciliation:\n%s", code, out)
			}
			sameBytes(t, e.shipped(prefixOf(p), false), want.Bytes())
		})
	}
	t.Run("gzip", func(t *testing.T) {
		e := newEnv(t)
		p := filepath.Join(e.logs, "app.log")
		os.WriteFile(p, []byte("first line\nsecond line\nthird line\n"), 0o644)
		if code, out := e.run("--once", "--gzip", p, "oss://"+testBucket+"/"); code != 0 {
			t.Fatalf("exit %d: %s", code, out)
		}
		state := stateFile(t, e.state)
		editOffset(t, state, -11)
		code, out := e.run("--once", "--gzip", p, "oss://"+testBucket+"/")
		if code != 1 || !strings.Contains(out, "the state does not agree with the file") || !strings.Contains(out, "hint: the state file "+state) {
			t.Fatalf("exit %d, want 1, a refusal and a hint naming the state file:\n%s", code, out)
		}
		sameBytes(t, e.shipped(prefixOf(p), true), []byte("first line\nsecond line\nthird line\n"))
	})
}

// editOffset changes the offset of the state's first file by delta, as a
// hand edit would, leaving everything else as it was; the file it writes is
// the plain JSON of an older gtail, which is read as well.
func editOffset(t *testing.T, path string, delta int) {
	t.Helper()
	b, err := ship.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber() // CRCs do not survive a float64
	if err := d.Decode(&st); err != nil {
		t.Fatal(err)
	}
	f := st["files"].([]any)[0].(map[string]any)
	off, _ := f["offset"].(json.Number).Int64()
	f["offset"] = off + int64(delta)
	if b, err = json.Marshal(st); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestTwoGtailsOneFile (issue 13, 6): two gtails with different state
// directories shipping the same file to the same prefix would each ship
// every line; the second is stopped by the file's owner object, with an
// error naming it and a hint, and ships nothing.
func TestTwoGtailsOneFile(t *testing.T) {
	e := newEnv(t)
	p := filepath.Join(e.logs, "app.log")
	os.WriteFile(p, []byte("one line\n"), 0o644)
	c, stderr := e.cmd(p, "oss://"+testBucket+"/")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	waitFor(t, "the first gtail shipping", func() bool { return len(e.shipped(prefixOf(p), false)) == 9 }, stderr)
	second := *e
	second.state = filepath.Join(t.TempDir(), "other-state")
	code, out := second.run("--once", p, "oss://"+testBucket+"/")
	if code != 1 || !strings.Contains(out, "another gtail (host test, state "+e.state) || !strings.Contains(out, "hint: run one gtail per file") {
		t.Fatalf("exit %d, want 1 and 'another gtail' naming the first's state:\n%s", code, out)
	}
	appendTo(t, p, []byte("two\n"))
	waitFor(t, "the first gtail shipping on", func() bool { return len(e.shipped(prefixOf(p), false)) == 13 }, stderr)
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Fatalf("gtail: %v\n%s", err, stderr)
	}
	if keys := e.objects(prefixOf(p)); len(keys) != 1 {
		t.Fatalf("objects %q: the second gtail shipped too", keys)
	}
}

// TestForget (issue 12, 6): a file stopped because its object was replaced
// says how to go on — gtail --forget, naming the state file —; --forget
// prints what had been shipped and drops the file's state, and the next run
// ships the file again from the start, to a new object.
func TestForget(t *testing.T) {
	e := newEnv(t)
	p := filepath.Join(e.logs, "app.log")
	os.WriteFile(p, []byte("mine\n"), 0o644)
	dest := "oss://" + testBucket + "/"
	if code, out := e.run("--once", p, dest); code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	key := e.objects(prefixOf(p))[0]
	e.bucket.PutObject(key, strings.NewReader("replaced\n"))
	appendTo(t, p, []byte("more\n"))
	code, out := e.run("--once", p, dest)
	if code != 1 || !strings.Contains(out, "gtail --forget "+p+" "+dest+" (drops its state in "+stateFile(t, e.state)+")") {
		t.Fatalf("exit %d, want 1 and a hint naming --forget and the state file:\n%s", code, out)
	}
	c, stderr := e.cmd("--forget", p, dest)
	var stdout bytes.Buffer
	c.Stdout = &stdout
	if err := c.Run(); err != nil {
		t.Fatalf("--forget: %v\n%s", err, stderr)
	}
	if want := "forgot " + p + ": 5 bytes shipped, last object oss://" + testBucket + "/" + key + " (5 bytes)\n"; stdout.String() != want {
		t.Fatalf("--forget printed %q, want %q", stdout.String(), want)
	}
	if code, out := e.run("--forget", p, dest); code != 2 || !strings.Contains(out, "has nothing for") {
		t.Fatalf("--forget again: exit %d, want 2:\n%s", code, out)
	}
	if code, out := e.run("--once", p, dest); code != 0 {
		t.Fatalf("after --forget: exit %d: %s", code, out)
	}
	keys := e.objects(prefixOf(p))
	if len(keys) != 2 || string(e.get(keys[1])) != "mine\nmore\n" || string(e.get(key)) != "replaced\n" {
		t.Fatalf("objects %q: want the replaced one untouched and the file again in a new one", keys)
	}
}
