//go:build unix

package tail

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// TestCopytruncateWindowWhileAppending drives logrotate's copytruncate
// window itself — copy, a line written to the original, truncation — while
// gtail's append to OSS is held up in the server: the line, in neither file
// afterwards, was read by the generation's reader all the same, and every
// line is shipped exactly once, in order. Nothing here waits on the clock:
// each step waits for what it needs to see (the append in the server, the
// line read, the objects' bytes). When the truncation took the end of the
// last line written after the copy before gtail read it, its piece is
// reported lost, not shipped torn.
func TestCopytruncateWindowWhileAppending(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after string // written after the copy, read before the truncation
		want  string
		lost  string // the BYTES LOST report
	}{
		{"a line", "in neither file\n", "first\nin neither file\nnext generation\n", ""},
		{"a line and a piece of one", "in neither file\nhalf a li", "first\nin neither file\nnext generation\n", "bytes=9"},
	} {
		t.Run(tc.name, func(t *testing.T) { testWindow(t, tc.after, tc.want, tc.lost) })
	}
}

func testWindow(t *testing.T, after, want, lost string) {
	ts := osslocaltest.Start(t)
	gate := &appendGate{arrived: make(chan struct{}, 1), open: make(chan struct{})}
	hs := httptest.NewServer(gate.wrap(ts.Server))
	t.Cleanup(hs.Close)

	var mu sync.Mutex
	read := map[string]int64{} // how far each path was read ahead
	testHookRead = func(path string, end int64) {
		mu.Lock()
		read[path] = max(read[path], end)
		mu.Unlock()
	}
	t.Cleanup(func() { testHookRead = nil })

	w := newFollowing(t, ts)
	p, f := w.p, w.f
	bucket, app, log, logs := shipTo(t, ts, hs.URL)
	// --flush-interval 1ms only makes the first append start soon; what
	// the test checks does not depend on it.
	w.o.FlushInterval = time.Millisecond
	stop := w.start(t, app, log)
	t.Cleanup(gate.release) // first: a held append must end for gtail to stop

	<-gate.arrived // gtail is appending "first\n"; the server holds it

	// logrotate: copy, then (the window) a line, then truncation.
	b, _ := os.ReadFile(p)
	if err := os.WriteFile(p+".1", b, 0o644); err != nil {
		t.Fatal(err)
	}
	f.WriteString(after)
	size := int64(len("first\n" + after))
	waitUntil(t, "the reader to read the line written after the copy, while the append is held", logs, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return read[p] >= size
	})
	if err := f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	f.WriteString("next generation\n")

	gate.release()
	waitUntil(t, "the objects to hold every line", logs, func() bool { return shipped(t, bucket) == want })
	if err := stop(); (err != nil) != (lost != "") {
		t.Fatalf("Run: %v\n%s", err, logs.String()) // an error says bytes were lost, and only then
	}
	if got := shipped(t, bucket); got != want {
		t.Fatalf("objects hold %q, want %q", got, want)
	}
	if l := logs.String(); strings.Contains(l, "BYTES LOST") != (lost != "") || !strings.Contains(l, lost) {
		t.Fatalf("want BYTES LOST %q in the log:\n%s", lost, l)
	}
}

// appendGate holds every AppendObject request (with every, every request)
// until release, and says when one has arrived.
type appendGate struct {
	arrived chan struct{}
	open    chan struct{}
	once    sync.Once
	every   bool
}

func (g *appendGate) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.URL.Query()["append"]; ok || g.every {
			select {
			case g.arrived <- struct{}{}:
			default:
			}
			<-g.open
		}
		h.ServeHTTP(w, r)
	})
}

func (g *appendGate) release() { g.once.Do(func() { close(g.open) }) }

// waitUntil polls cond until it holds, failing (with the log) if it never
// does: a bound for a broken follower, not a timing assertion.
func waitUntil(t *testing.T, what string, logs *logBuffer, cond func() bool) {
	t.Helper()
	for i := 0; !cond(); i++ {
		if i > 3000 {
			t.Fatalf("waited in vain for %s\n%s", what, logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
