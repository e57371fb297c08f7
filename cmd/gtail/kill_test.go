//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ossx/ossx/internal/follow"
	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/ship"
)

// TestKillLoop kills gtail with SIGKILL at random moments while a writer
// runs and files rotate (also while gtail is down), then lets one gtail
// finish: the objects must hold every byte written, once.
func TestKillLoop(t *testing.T) { killLoop(t, 20, "") }

func TestKillLoopGzip(t *testing.T) { killLoop(t, 8, "", "--gzip") }

// TestKillLoopFaults adds an OSS that fails, resets and loses answers.
func TestKillLoopFaults(t *testing.T) { killLoop(t, 8, killFaults) }

const killFaults = "append:error=503:p=0.15; append:apply-then-fail:p=0.2; append:reset=512:p=0.1; head:error=503:p=0.1"

// TestKillLoopSoak is the long version: OSSX_SOAK=1 (make soak).
func TestKillLoopSoak(t *testing.T) {
	if os.Getenv("OSSX_SOAK") != "1" {
		t.Skip("set OSSX_SOAK=1")
	}
	n := 300
	if s, err := strconv.Atoi(os.Getenv("OSSX_SOAK_CYCLES")); err == nil {
		n = s
	}
	killLoop(t, n, "")
	killLoop(t, n/3, killFaults, "--gzip")
}

func killLoop(t *testing.T, cycles int, faults string, extra ...string) {
	e := newEnv(t)
	if faults != "" {
		rules, err := osslocal.ParseFaults(faults)
		if err != nil {
			t.Fatal(err)
		}
		e.faults.Set(rules)
	}
	p := filepath.Join(e.logs, "app.log")
	w := newLogWriter(t, p)
	w.start(2000)
	args := append(extra, p, "oss://"+testBucket+"/")
	ahead := 0             // restarts that found an append the state had not recorded
	var history syncBuffer // every cycle's stderr, for a failure
	for i := range cycles {
		c, stderr := e.cmd(args...)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(jitter(200*time.Millisecond, 500*time.Millisecond))
		if i%4 == 1 {
			// gtail is killed right after this rename: a generation
			// its state does not record yet is, for the next start, a
			// file created and rotated away while gtail was down,
			// beyond reach (docs/gtail.md, limits). On a loaded machine
			// gtail may not even have looked at it, or be killed
			// between finding it and its next save.
			waitSeen(t, e.state, p, c, stderr)
			w.rename() // while gtail runs
		}
		if i%6 == 4 {
			// A copytruncate while gtail is down can only be made good if
			// gtail has seen the file's head (to know the copy for its
			// own); bytes of a file it only ever saw empty are beyond
			// anyone's reach (docs/gtail.md, limits).
			waitSeen(t, e.state, p, c, stderr)
		}
		if i%6 == 2 {
			// Likewise a file created and rotated away while gtail is
			// down is beyond reach (docs/gtail.md, limits): on a loaded
			// machine gtail may not have looked yet when it is killed.
			waitSeen(t, e.state, p, c, stderr)
		}
		killed := time.Now().UTC()
		c.Process.Signal(syscall.SIGKILL)
		c.Wait()
		switch i % 6 {
		case 2:
			w.rename() // while gtail is down
		case 4:
			w.copyTruncate()
		}
		// What the next start finds: the files (name:inode:size) and
		// the saved state's (gen:inode:offset/size).
		fmt.Fprintf(&history, "--- cycle %d\n%s--- killed at %s; files %s\n    state %s\n",
			i, stderr, killed.Format("15:04:05.000"), filesOf(e.logs), entriesOf(t, e.state))
		if strings.Contains(stderr.String(), "object is ahead of the state") {
			ahead++
		}
		if t.Failed() {
			t.Fatalf("cycle %d: %s", i, stderr)
		}
	}
	want := w.Stop()
	e.faults.Clear()
	t.Logf("%d cycles, %d restarts settled an append the state missed", cycles, ahead)
	gz := slices.Contains(extra, "--gzip")
	c, stderr := e.cmd(args...)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	waitForGtail(t, "all bytes shipped", c, stderr, func() bool { return len(e.shipped(prefixOf(p), gz)) >= len(want) },
		&history, missing(e, p, gz, want))
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Fatalf("gtail: %v\n%s", err, stderr)
	}
	got := e.shipped(prefixOf(p), gz)
	if len(got) != len(want) {
		t.Logf("objects: %q\n%s", e.objects(prefixOf(p)), stderr)
	}
	sameBytes(t, got, want)
}

// waitSeen waits until the state gtail c saved records path's current
// generation: its inode with a fingerprint of its head. An entry with the
// inode but another head is the generation before a copytruncate, which
// says nothing of the bytes written since.
func waitSeen(t *testing.T, stateDir, path string, c *exec.Cmd, stderr *syncBuffer) {
	t.Helper()
	waitForGtail(t, "gtail to fingerprint "+path, c, stderr, func() bool {
		f, err := os.Open(path)
		if err != nil {
			return false
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil || fi.Size() == 0 {
			return false
		}
		var st struct {
			Files []ship.Entry `json:"files"`
		}
		if json.Unmarshal(readState(t, stateDir), &st) != nil {
			return false
		}
		for _, e := range st.Files {
			if e.SameInode(fi) && !e.Done && e.HeadLen > 0 {
				if ok, _ := e.HeadMatches(f); ok {
					return true
				}
			}
		}
		return false
	})
}

// filesOf lists dir's files as "name:inode:size", for a failure's history.
func filesOf(dir string) string {
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, d := range ents {
		if fi, err := d.Info(); err == nil {
			_, ino := follow.DevIno(fi)
			out = append(out, fmt.Sprintf("%s:%d:%d", d.Name(), ino, fi.Size()))
		}
	}
	return strings.Join(out, " ")
}

// entriesOf lists the saved state's files as "gen:inode:offset/size[:done]",
// for a failure's history: a file not in it is unknown to the next start.
func entriesOf(t *testing.T, stateDir string) string {
	var st struct {
		Files []ship.Entry `json:"files"`
	}
	if json.Unmarshal(readState(t, stateDir), &st) != nil {
		return "(none)"
	}
	var out []string
	for _, e := range st.Files {
		s := fmt.Sprintf("%s:%d:%d/%d", e.Gen, e.Ino, e.Offset, e.Size)
		if e.Done {
			s += ":done"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// missing says, when a failure prints it, how much was shipped and which
// log files hold bytes the objects lack.
func missing(e *env, path string, gz bool, want []byte) fmt.Stringer {
	return stringer(func() string {
		got := e.shipped(prefixOf(path), gz)
		s := fmt.Sprintf("shipped %d bytes of %d; files not in the objects:", len(got), len(want))
		ents, _ := os.ReadDir(e.logs)
		for _, d := range ents {
			b, err := os.ReadFile(filepath.Join(e.logs, d.Name()))
			if err == nil && len(b) > 0 && !bytes.Contains(got, b) {
				s += fmt.Sprintf(" %s (%d bytes, %d lines)", d.Name(), len(b), bytes.Count(b, []byte("\n")))
			}
		}
		return s
	})
}

type stringer func() string

func (f stringer) String() string { return f() }
