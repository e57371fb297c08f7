//go:build unix

package tail

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/keytmpl"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
	"github.com/ossx/ossx/internal/ossx"
	"github.com/ossx/ossx/internal/ship"
)

// TestTransitions runs the follower in process against osslocal through each
// rotation a generation goes through, and checks what the objects hold, in
// key order: renamed (drained through the descriptor), copy-truncated with a
// line written after the copy (finished from the copy, then the held line),
// and truncated without a copy (the held bytes).
func TestTransitions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rotate func(t *testing.T, p string, f *os.File, wait func(string))
		want   string
	}{
		{"rename", func(t *testing.T, p string, f *os.File, wait func(string)) {
			os.Rename(p, p+".1")
			f.WriteString("late line\n")
			os.WriteFile(p, []byte("new file\n"), 0o644)
		}, "first\nsecond\nlate line\nnew file\n"},
		{"copytruncate, a line after the copy", func(t *testing.T, p string, f *os.File, wait func(string)) {
			b, _ := os.ReadFile(p)
			os.WriteFile(p+".1", b, 0o644)
			f.WriteString("after the copy\n")
			wait("after the copy\n")
			f.Truncate(0)
			f.WriteString("next generation\n")
		}, "first\nsecond\nafter the copy\nnext generation\n"},
		{"truncated, no copy: the held bytes", func(t *testing.T, p string, f *os.File, wait func(string)) {
			f.Truncate(0)
			f.WriteString("next generation\n")
		}, "first\nsecond\nnext generation\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := osslocaltest.Start(t)
			w := newFollowing(t, ts)
			p, f, st := w.p, w.f, w.st
			bucket, app, log, logs := shipTo(t, ts, ts.Endpoint)
			w.o.RotateWait = 100 * time.Millisecond
			stop := w.start(t, app, log)
			// wait until the follower has seen the file at its current
			// size: a new generation records it when added, its gen once
			// it has read what was written since.
			wait := func(s string) {
				for i := 0; ; i++ {
					fi, _ := os.Stat(p)
					st.Lock()
					seen := false
					for _, e := range st.Entries {
						seen = seen || (!e.Done && e.Size == fi.Size())
					}
					st.Unlock()
					if seen {
						return
					}
					if i > 3000 {
						t.Fatalf("the follower never read %q", s)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			wait("first\n") // the generation was added
			f.WriteString("second\n")
			wait("second\n") // and its gen has read this
			tc.rotate(t, p, f, wait)
			// The old generation ends (drained, or finished from its
			// copy and held bytes) and is shipped; the stop then ships
			// the new one (its lines wait for --flush-interval, an hour).
			old := strings.TrimSuffix(tc.want, "new file\n")
			old = strings.TrimSuffix(old, "next generation\n")
			waitUntil(t, fmt.Sprintf("the objects to hold %q", old), logs, func() bool { return shipped(t, bucket) == old })
			if err := stop(); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if got := shipped(t, bucket); got != tc.want {
				t.Fatalf("objects hold %q, want %q", got, tc.want)
			}
		})
	}
}

// following is a test's follower: a log file p in a temporary directory,
// holding "first\n" (f: open to append to it), its state st, and options o
// for p shipping to the test server's bucket under {gen}, which nothing sends
// by the clock (no flush, no partial line, no rotated file let go); a test
// changes what it needs before start.
type following struct {
	p  string
	f  *os.File
	st *ship.State
	o  Options
}

func newFollowing(t *testing.T, ts *osslocaltest.TS) *following {
	t.Helper()
	dir := t.TempDir()
	w := &following{p: filepath.Join(dir, "app.log")}
	var err error
	if w.f, err = os.OpenFile(w.p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.f.Close() })
	w.f.WriteString("first\n")
	if w.st, err = ship.Open(filepath.Join(dir, "state"), "oss://"+ts.Bucket+"/"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.st.Close() })
	tmpl, _ := keytmpl.Parse("{gen}")
	w.o = Options{Sources: []string{w.p}, Dest: ossx.URL{Bucket: ts.Bucket}, Key: tmpl, Host: "h",
		FlushInterval: time.Hour, FlushBytes: 1 << 20, PartialTimeout: time.Hour, RollSize: 1 << 30,
		RotateWait: time.Hour, Poll: 50 * time.Millisecond, SafetyPoll: time.Second, ShutdownTimeout: time.Minute}
	return w
}

// start runs the follower until stop (or the test's end), which returns
// what Run returned.
func (w *following) start(t *testing.T, app *ship.Appender, log *slog.Logger) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, w.o, w.st, app, log) }()
	stop = sync.OnceValue(func() error { cancel(); return <-done })
	t.Cleanup(func() { stop() })
	return stop
}

// shipTo is an appender, retrying at once, to ts's bucket through endpoint
// (ts itself, or a server in front of it), logging into logs.
func shipTo(t *testing.T, ts *osslocaltest.TS, endpoint string) (bucket *oss.Bucket, app *ship.Appender, log *slog.Logger, logs *logBuffer) {
	t.Helper()
	client, err := oss.New(endpoint, ts.AccessKeyID, ts.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	if bucket, err = client.Bucket(ts.Bucket); err != nil {
		t.Fatal(err)
	}
	logs = &logBuffer{}
	log = slog.New(slog.NewTextHandler(logs, nil))
	app = &ship.Appender{Bucket: bucket, Retry: ossx.RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: time.Millisecond}, Log: log}
	return bucket, app, log, logs
}

// shipped is the objects' bytes, concatenated in key order.
func shipped(t *testing.T, b *oss.Bucket) string {
	res, err := b.ListObjects()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range res.Objects {
		if !keytmpl.IsBookkeeping(o.Key) {
			keys = append(keys, o.Key)
		}
	}
	sort.Strings(keys)
	var out bytes.Buffer
	for _, k := range keys {
		r, err := b.GetObject(k)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(&out, r)
		r.Close()
	}
	return out.String()
}

type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
