package progress

import (
	"strings"
	"testing"
	"time"
)

// clock is a fake time that the test moves.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestBar() (*Bar, *clock, *strings.Builder) {
	c := &clock{t: time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)}
	var out strings.Builder
	return newBar(&out, "uploading", func() int { return 120 }, c.now), c, &out
}

// TestLineMonotonic: a retry (negative delta) and items found late move
// nothing backwards; the percentage appears once the batch is complete.
func TestLineMonotonic(t *testing.T) {
	b, c, _ := newTestBar()
	b.AddItem(10 << 20)
	b.Start("a.bin")
	b.Add(4 << 20)
	if got, want := b.line(c.now(), 120), "uploading  4.0 MiB / 10.0 MiB+  a.bin"; got != want {
		t.Errorf("walking: %q, want %q", got, want)
	}
	b.AddItem(10 << 20)
	b.Final()
	b.Add(-3 << 20) // a part is sent again
	c.t = c.t.Add(time.Second)
	if got, want := b.line(c.now(), 120), "uploading  4.0 MiB / 20.0 MiB  20%  0/2 files  a.bin"; got != want {
		t.Errorf("after a retry: %q, want %q", got, want)
	}
	b.Add(2 << 20) // 3 MiB done: still 4.0 shown
	b.ItemDone(0)
	b.Start("dir/b.bin")
	c.t = c.t.Add(time.Second)
	if got, want := b.line(c.now(), 120), "uploading  4.0 MiB / 20.0 MiB  20%  2.0 MiB/s  ETA 8s  1/2 files  dir/b.bin"; got != want {
		t.Errorf("catching up: %q, want %q", got, want)
	}
	// b.bin is skipped: it leaves the total, the percentage rises.
	b.ItemDone(10 << 20)
	if got := b.line(c.now(), 120); !strings.Contains(got, "/ 10.0 MiB  40%") {
		t.Errorf("after a skip: %q", got)
	}
}

// TestRate: no rate before two seconds of samples, however fast the first
// bytes went; then bytes over the last seconds, in MiB/s; an ETA.
func TestRate(t *testing.T) {
	b, c, _ := newTestBar()
	b.AddItem(100 << 20)
	b.Final()
	b.line(c.now(), 120)
	b.Add(8 << 20) // a socket buffer filled at once
	c.t = c.t.Add(200 * time.Millisecond)
	if got := b.line(c.now(), 120); strings.Contains(got, "/s") {
		t.Errorf("rate after 200ms: %q", got)
	}
	for range 9 { // then 2 MiB per 200ms: 10 MiB/s
		c.t = c.t.Add(200 * time.Millisecond)
		b.Add(2 << 20)
		b.line(c.now(), 120)
	}
	for range 25 {
		c.t = c.t.Add(200 * time.Millisecond)
		b.Add(2 << 20)
	}
	got := b.line(c.now(), 120)
	if !strings.Contains(got, "  10.0 MiB/s  ETA 2s") {
		t.Errorf("steady 10 MiB/s: %q", got)
	}
}

// TestWidth: the name is cut at the front to fit; nothing is wider than
// the terminal.
func TestWidth(t *testing.T) {
	b, c, _ := newTestBar()
	b.AddItem(1 << 30)
	b.Start("var/www/assets/images/2026/12/very-long-file-name-of-a-photo.jpg")
	for _, w := range []int{120, 60, 40, 10} {
		got := b.line(c.now(), w)
		if n := len([]rune(got)); n > w-1 {
			t.Errorf("width %d: %d columns: %q", w, n, got)
		}
		if w == 60 && !strings.HasSuffix(got, "photo.jpg") || w == 60 && !strings.Contains(got, "…") {
			t.Errorf("width 60: %q, want the name's end after …", got)
		}
	}
}

// TestUnknownSize: stdin has no total and no percentage.
func TestUnknownSize(t *testing.T) {
	b, c, out := newTestBar()
	b.AddItem(-1)
	b.Final()
	b.Add(1536)
	if got, want := b.line(c.now(), 120), "uploading  1.5 KiB"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	b.Draw()
	b.Clear()
	if got := out.String(); !strings.HasPrefix(got, "\r") || !strings.HasSuffix(got, "\r\x1b[K") {
		t.Errorf("drawn %q", got)
	}
}
