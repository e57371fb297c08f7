//go:build unix

package tail

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/follow"
	"github.com/ossx/ossx/internal/keytmpl"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
	"github.com/ossx/ossx/internal/ossx"
	"github.com/ossx/ossx/internal/ship"
)

// TestVanished drives tailer.vanished — the files held back as possible
// copytruncate copies that the scan no longer finds at their name — through
// each of its decisions, with the clock passed in (now), not waited for:
//
//   - claimed by a generation as its copy: let go (descriptor closed), not
//     followed; the generation ships it
//   - still possibly a copy (its bytes are the start of a followed file
//     that is intact, and it changed less than --rotate-wait ago): kept
//   - not a copy (unchanged for --rotate-wait beside an intact original):
//     followed as its own file through the held descriptor, detached, and
//     its bytes shipped once — also when it was deleted meanwhile; nothing
//     is reported lost
//   - its descriptor unreadable: kept, and tried again at the next look
func TestVanished(t *testing.T) {
	const rotateWait = time.Minute
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		// prepare makes the held file (already open as c.f, at c.path)
		// vanish and sets the scene; it returns what the held file's
		// bytes are.
		prepare  func(t *testing.T, tl *tailer, c *candidate, orig *ship.Entry)
		held     bool   // still in tailer.deferred afterwards
		closed   bool   // its descriptor was closed (let go, or its generation drained it)
		followed string // the bytes shipped from it as a file of its own ("": not followed)
		warn     string // a log line
	}{
		{name: "claimed as a copy", prepare: func(t *testing.T, tl *tailer, c *candidate, orig *ship.Entry) {
			os.Rename(c.path, c.path+".moved")
			fi, _ := c.f.Stat()
			id, _ := follow.Fingerprint(c.f, fi)
			tl.st.Lock()
			orig.Identity = id // what findCopy does under the state lock
			tl.st.Unlock()
		}, closed: true},
		{name: "may still be a copy", prepare: func(t *testing.T, tl *tailer, c *candidate, orig *ship.Entry) {
			os.Rename(c.path, c.path+".moved")
			c.changed = now.Add(-rotateWait / 2)
		}, held: true},
		{name: "not a copy: followed as its own file", prepare: func(t *testing.T, tl *tailer, c *candidate, orig *ship.Entry) {
			os.Rename(c.path, c.path+".moved")
			c.changed = now.Add(-2 * rotateWait)
		}, followed: "line 1\nline 2\n", closed: true},
		{name: "deleted, not a copy: shipped through the held descriptor", prepare: func(t *testing.T, tl *tailer, c *candidate, orig *ship.Entry) {
			os.Remove(c.path)
			c.changed = now.Add(-2 * rotateWait)
		}, followed: "line 1\nline 2\n", closed: true},
		{name: "unreadable descriptor", prepare: func(t *testing.T, tl *tailer, c *candidate, orig *ship.Entry) {
			os.Rename(c.path, c.path+".moved")
			c.f.Close()
		}, held: true, closed: true, warn: "cannot read a held file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tl, bucket, logs := vanishedTailer(t, rotateWait)
			dir := t.TempDir()
			// The followed file, and a file in its directory whose
			// bytes are its start: held back as a possible copy.
			p := filepath.Join(dir, "app.log")
			os.WriteFile(p, []byte("line 1\nline 2\nline 3\n"), 0o644)
			cp := filepath.Join(dir, "app.log.1")
			os.WriteFile(cp, []byte("line 1\nline 2\n"), 0o644)
			// Old enough that a generation of it counts as quiet at
			// once (drained when detached), however slow the machine.
			old := now.Add(-time.Hour)
			os.Chtimes(cp, old, old)

			pf, _ := os.Open(p)
			pfi, _ := pf.Stat()
			pid, _ := follow.Fingerprint(pf, pfi)
			pf.Close()
			orig := &ship.Entry{Path: p, Identity: pid, Gen: "G", Size: pfi.Size()}
			tl.st.Entries = append(tl.st.Entries, orig)

			f, err := os.Open(cp)
			if err != nil {
				t.Fatal(err)
			}
			fi, _ := f.Stat()
			dev, ino := follow.DevIno(fi)
			di := [2]uint64{dev, ino}
			c := &candidate{path: cp, f: f, size: fi.Size(), mod: fi.ModTime(), changed: now}
			tl.deferred[di] = c
			tc.prepare(t, tl, c, orig)

			tl.vanished(map[[2]uint64]bool{}, now)
			tl.wg.Wait() // a generation started for it ships and ends (detached, quiet)

			if _, held := tl.deferred[di]; held != tc.held {
				t.Errorf("held afterwards: %v, want %v", held, tc.held)
			}
			if _, err := f.Stat(); errors.Is(err, os.ErrClosed) != tc.closed {
				t.Errorf("descriptor closed: %v, want %v", errors.Is(err, os.ErrClosed), tc.closed)
			}
			var own *ship.Entry
			for _, e := range tl.st.Entries {
				if e.Path == cp {
					own = e
				}
			}
			switch {
			case tc.followed == "" && own != nil:
				t.Errorf("followed as a file of its own: %+v", own)
			case tc.followed != "" && own == nil:
				t.Errorf("not followed\n%s", logs)
			case tc.followed != "":
				if !own.Done || own.Offset != int64(len(tc.followed)) {
					t.Errorf("its generation: done %v, offset %d; want done at %d\n%s", own.Done, own.Offset, len(tc.followed), logs)
				}
				if got := shipped(t, bucket); got != tc.followed {
					t.Errorf("objects hold %q, want %q", got, tc.followed)
				}
				if g := tl.gens[own]; g == nil || !g.detached.Load() {
					t.Errorf("not followed as detached (a rotated file, drained)")
				}
				if !strings.Contains(logs.String(), "renamed before it was followed") {
					t.Errorf("not said why it is followed:\n%s", logs)
				}
			}
			if tc.followed == "" {
				if got := shipped(t, bucket); got != "" {
					t.Errorf("objects hold %q, want nothing", got)
				}
			}
			if tc.warn != "" && !strings.Contains(logs.String(), tc.warn) {
				t.Errorf("no %q in the log:\n%s", tc.warn, logs)
			}
			if strings.Contains(logs.String(), "BYTES LOST") || tl.lost.Load() != 0 {
				t.Errorf("bytes reported lost:\n%s", logs)
			}
		})
	}
}

// vanishedTailer is a tailer as run sets it up (state, watcher, appender to
// osslocal), without its supervisor loop: the test calls its parts.
func vanishedTailer(t *testing.T, rotateWait time.Duration) (*tailer, *oss.Bucket, *logBuffer) {
	ts := osslocaltest.Start(t)
	bucket, app, log, logs := shipTo(t, ts, ts.Endpoint)
	st, err := ship.Open(t.TempDir(), "oss://"+ts.Bucket+"/")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tmpl, _ := keytmpl.Parse("{gen}")
	o := Options{Dest: ossx.URL{Bucket: ts.Bucket}, Key: tmpl, Host: "h",
		FlushInterval: time.Hour, FlushBytes: 1 << 20, PartialTimeout: time.Hour, RollSize: 1 << 30,
		RotateWait: rotateWait, Poll: time.Hour, SafetyPoll: time.Hour, ShutdownTimeout: time.Minute}
	tl := newTailer(o, st, app, log)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	tl.w = follow.NewWatcher(ctx, o.Poll, o.SafetyPoll, 20*time.Millisecond, log)
	return tl, bucket, logs
}

// TestLookAlikeReleased: a file whose bytes are all a followed file's (two
// logs written the same, the bench's ten quiet files) is held back as a
// possible copy, and once it has not changed for --rotate-wait beside the
// intact original the scan follows it. It used to pass the descriptor it
// had just closed ("file already closed"), and the file was never shipped.
func TestLookAlikeReleased(t *testing.T) {
	tl, bucket, logs := vanishedTailer(t, time.Minute)
	dir := t.TempDir()
	content := "the same line\nin both files\n"
	for _, n := range []string{"a.log", "b.log"} {
		os.WriteFile(filepath.Join(dir, n), []byte(content), 0o644)
	}
	tl.o.Sources = []string{filepath.Join(dir, "*.log")}
	tl.scan(true) // a.log is followed; b.log, its bytes a.log's, is held
	if len(tl.deferred) != 1 {
		t.Fatalf("held: %d files, want 1\n%s", len(tl.deferred), logs)
	}
	for _, c := range tl.deferred {
		c.changed = c.changed.Add(-2 * time.Minute) // --rotate-wait is over
	}
	tl.scan(false)
	if len(tl.deferred) != 0 {
		t.Fatalf("still held: %d files\n%s", len(tl.deferred), logs)
	}
	close(tl.stopping) // the generations ship what they have and end
	tl.wg.Wait()
	var paths []string
	for _, e := range tl.st.Entries {
		paths = append(paths, filepath.Base(e.Path))
	}
	if got := strings.Join(paths, " "); got != "a.log b.log" {
		t.Fatalf("followed %q, want a.log b.log\n%s", got, logs)
	}
	if got := shipped(t, bucket); got != content+content {
		t.Fatalf("objects hold %q, want both files' bytes\n%s", got, logs)
	}
}
