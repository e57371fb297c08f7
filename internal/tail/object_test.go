package tail

import (
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ossx/ossx/internal/keytmpl"
	"github.com/ossx/ossx/internal/ossx"
	"github.com/ossx/ossx/internal/ship"
)

// TestObjectRolls: a generation starts a new object at --roll-size and when
// the date in its key changes, and the new key is in the state file before
// anything is appended to it.
func TestObjectRolls(t *testing.T) {
	clock := time.Date(2026, 11, 21, 23, 59, 0, 0, time.UTC)
	st, e, g := objectGen(t, &clock)

	steps := []struct {
		n       int
		advance time.Duration
		want    string
	}{
		{10, 0, "logs/2026-11-21/G-0000"},               // first object
		{50, 0, "logs/2026-11-21/G-0000"},               // fits
		{50, 0, "logs/2026-11-21/G-0001"},               // 60+50 > 100: roll
		{10, 2 * time.Minute, "logs/2026-11-22/G-0002"}, // a new day
		{10, 0, "logs/2026-11-22/G-0002"},               // same day
		{200, 0, "logs/2026-11-22/G-0003"},              // bigger than roll-size: alone
	}
	for i, s := range steps {
		clock = clock.Add(s.advance)
		obj, err := g.object(s.n)
		if err != nil {
			t.Fatal(err)
		}
		if obj.Key != s.want {
			t.Fatalf("step %d: key %q, want %q", i, obj.Key, s.want)
		}
		if b, _ := ship.ReadFile(st.Path()); !strings.Contains(string(b), `"key": "`+s.want+`"`) {
			t.Fatalf("step %d: key %q not saved before the append", i, s.want)
		}
		e.Pos += int64(s.n) // as if appended
		e.Offset += int64(s.n)
	}
}

// TestKeyClockNeverGoesBack (issue 13, 7): the wall clock stepping back
// across midnight does not put later bytes under an earlier {date}, which
// would list them before the bytes written first.
func TestKeyClockNeverGoesBack(t *testing.T) {
	clock := time.Date(2026, 11, 22, 0, 0, 30, 0, time.UTC)
	_, e, g := objectGen(t, &clock)
	var keys []string
	for _, step := range []time.Duration{0, -time.Minute, 2 * time.Minute, 24 * time.Hour} {
		clock = clock.Add(step)
		obj, err := g.object(10)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, obj.Key)
		e.Pos += 10
		e.Offset += 10
	}
	want := []string{"logs/2026-11-22/G-0000", "logs/2026-11-22/G-0000", "logs/2026-11-22/G-0000", "logs/2026-11-23/G-0001"}
	if !slices.Equal(keys, want) {
		t.Fatalf("keys %q, want %q", keys, want)
	}
}

// objectGen is a generation of /var/log/app.log shipping to oss://b/logs/
// with the template {date}/{gen} and --roll-size 100, on the clock *clock.
func objectGen(t *testing.T, clock *time.Time) (*ship.State, *ship.Entry, *gen) {
	st, err := ship.Open(t.TempDir(), "oss://b/logs/")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tmpl, _ := keytmpl.Parse("{date}/{gen}")
	tl := newTailer(Options{Key: tmpl, RollSize: 100, Dest: ossx.URL{Bucket: "b", Key: "logs/"}}, st, nil,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	tl.now = func() time.Time { return *clock }
	e := &ship.Entry{Path: "/var/log/app.log", Gen: "G"}
	st.Entries = append(st.Entries, e)
	return st, e, &gen{t: tl, e: e}
}
