//go:build unix

package tail

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ossx/ossx/internal/keytmpl"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
	"github.com/ossx/ossx/internal/ossx"
	"github.com/ossx/ossx/internal/ship"
)

// TestResumeRecordsWhatItFinds: lines written while gtail was not running
// are known from the moment gtail starts again and finds the file, and the
// state on disk says so while the generation still waits for OSS (its owner
// object, its object's length; held in the server here, as a slow or
// unreachable OSS does). A gtail killed at that point, its file then deleted
// by logrotate, comes back to report those bytes lost, not to lose them
// unseen.
func TestResumeRecordsWhatItFinds(t *testing.T) {
	ts := osslocaltest.Start(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "c.log")
	if err := os.WriteFile(p, []byte("first\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, app, log, logs := shipTo(t, ts, ts.Endpoint)
	tmpl, _ := keytmpl.Parse("{gen}")
	o := Options{Sources: []string{p}, Dest: ossx.URL{Bucket: ts.Bucket}, Key: tmpl, Host: "h",
		FlushInterval: time.Hour, FlushBytes: 1 << 20, PartialTimeout: time.Hour, RollSize: 1 << 30,
		RotateWait: time.Hour, Poll: 50 * time.Millisecond, SafetyPoll: time.Second, ShutdownTimeout: time.Minute, Once: true}
	stateDir := filepath.Join(dir, "state")
	open := func() *ship.State {
		st, err := ship.Open(stateDir, "oss://"+ts.Bucket+"/")
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := open()
	if err := Run(context.Background(), o, st, app, log); err != nil {
		t.Fatalf("the first run: %v\n%s", err, logs)
	}
	st.Close()

	// Written while gtail was not running.
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("written while gtail was down\n")
	f.Close()
	size := len("first\nwritten while gtail was down\n")

	gate := &appendGate{arrived: make(chan struct{}, 1), open: make(chan struct{}), every: true}
	hs := httptest.NewServer(gate.wrap(ts.Server))
	t.Cleanup(hs.Close)
	_, app, log, logs = shipTo(t, ts, hs.URL)
	st = open()
	defer st.Close()
	o.Once = false
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, o, st, app, log) }()
	defer func() { gate.release(); cancel(); <-done }()
	<-gate.arrived // the generation waits for OSS
	waitUntil(t, fmt.Sprintf("the state on disk to record the file's %d bytes", size), logs, func() bool {
		b, _ := ship.ReadFile(st.Path())
		return strings.Contains(string(b), fmt.Sprintf(`"size": %d,`, size))
	})
}

// TestSeenWhileAppending: what the reader reads while the generation's
// append waits for OSS (slow, failing, unreachable) is recorded in the state
// on disk too: a gtail killed then, its rotated file deleted by logrotate's
// next run before the restart, reports those bytes lost instead of losing
// them unseen.
func TestSeenWhileAppending(t *testing.T) {
	ts := osslocaltest.Start(t)
	gate := &appendGate{arrived: make(chan struct{}, 1), open: make(chan struct{})}
	hs := httptest.NewServer(gate.wrap(ts.Server))
	t.Cleanup(hs.Close)
	w := newFollowing(t, ts)
	_, app, log, logs := shipTo(t, ts, hs.URL)
	w.o.FlushInterval = time.Millisecond // the first append starts soon
	w.start(t, app, log)
	t.Cleanup(gate.release) // first: a held append must end for gtail to stop
	// The generation is appending "first\n"; the server holds it.
	<-gate.arrived
	w.f.WriteString("second, written while the append waits\n")
	size := len("first\nsecond, written while the append waits\n")
	waitUntil(t, fmt.Sprintf("the state on disk to record the file's %d bytes", size), logs, func() bool {
		b, _ := ship.ReadFile(w.st.Path())
		return strings.Contains(string(b), fmt.Sprintf(`"size": %d,`, size))
	})
}
