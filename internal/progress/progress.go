// Package progress draws the one-line progress display of a batch of
// transfers on a terminal:
//
//	uploading  12.0 MiB / 40.0 MiB  30%  2.0 MiB/s  ETA 14s  3/10 files  www/img/a.jpg
//
// What it shows only moves forward over the whole batch: the bytes shown
// never drop when a retry sends a part again (the byte count falls, the
// display waits until it is passed again), and the percentage is shown only
// once every item of the batch is known (a directory walk adds items as it
// goes) and never falls. The rate is measured over the last few seconds and
// shown only once two seconds have been measured, so the first samples (a
// socket buffer filled at once) do not show absurd rates. Sizes and rates
// are in IEC units (MiB, MiB/s), the units of --bwlimit and --part-size.
//
// schollz/progressbar, used before, has none of this: Add64 with a negative
// delta moves its bar back, its max grows while a walk finds files, its
// first rate samples are taken over half a second, and its rendering cannot
// be tested without a real clock.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ossx/ossx/internal/listing"
)

const (
	// rateWindow is how far back the rate looks; minRateSpan is how much
	// must have been measured before a rate is shown.
	rateWindow  = 5 * time.Second
	minRateSpan = 2 * time.Second
	tick        = 200 * time.Millisecond
)

// Bar is a progress line on a terminal. Its methods are safe for
// concurrent use, and do nothing on a nil *Bar (no progress display).
type Bar struct {
	w     io.Writer
	verb  string
	width func() int
	now   func() time.Time

	mu        sync.Mutex
	total     int64 // bytes of the items known so far
	final     bool  // no more items will be added
	unknown   bool  // an item of unknown size (stdin): no percentage
	done      int64 // bytes reported, falling when a retry sends again
	shown     int64 // the most done has been: what is displayed
	pct       int   // the percentage displayed; -1 none yet
	items     int
	itemsDone int
	current   string
	samples   []sample
	drawn     bool
	stop      chan struct{}
	stopped   chan struct{}
}

type sample struct {
	at    time.Time
	bytes int64
}

// New returns a Bar drawing on w (a terminal) every 200ms until Finish;
// width reports the terminal's width (0 if unknown: 80). Each drawing holds
// out, the lock under which the caller prints its own lines (after Clear).
func New(w io.Writer, verb string, width func() int, out sync.Locker) *Bar {
	b := newBar(w, verb, width, time.Now)
	b.stop, b.stopped = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(b.stopped)
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-b.stop:
				return
			case <-t.C:
				out.Lock()
				b.Draw()
				out.Unlock()
			}
		}
	}()
	return b
}

func newBar(w io.Writer, verb string, width func() int, now func() time.Time) *Bar {
	return &Bar{w: w, verb: verb, width: width, now: now, pct: -1}
}

// AddItem counts one more item of size bytes (-1: unknown) in the batch.
func (b *Bar) AddItem(size int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.items++
	if size < 0 {
		b.unknown = true
		return
	}
	b.total += size
}

// Final says that every item of the batch has been added.
func (b *Bar) Final() {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.final = true
	b.mu.Unlock()
}

// Start names the item being transferred and draws the line at once
// (a small file may be done before the next tick). Call it holding the lock
// given to New.
func (b *Bar) Start(name string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.current = name
	b.mu.Unlock()
	b.Draw()
}

// Add reports delta bytes sent (negative when a retry will send them again).
func (b *Bar) Add(delta int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.done += delta
	b.shown = max(b.shown, b.done)
	b.mu.Unlock()
}

// ItemDone counts an item as finished. unsent is what of its size will not
// be sent (it was skipped or failed): it leaves the total.
func (b *Bar) ItemDone(unsent int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.itemsDone++
	if unsent > 0 {
		b.total -= min(unsent, b.total)
	}
}

// Draw redraws the line.
func (b *Bar) Draw() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	w := 80
	if b.width != nil && b.width() > 0 {
		w = b.width()
	}
	io.WriteString(b.w, "\r"+b.line(b.now(), w)+"\x1b[K")
	b.drawn = true
}

// Clear erases the line, so that another line can be printed; the next
// tick draws it again below.
func (b *Bar) Clear() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.clear()
}

func (b *Bar) clear() {
	if b.drawn {
		io.WriteString(b.w, "\r\x1b[K")
		b.drawn = false
	}
}

// Finish stops drawing and erases the line. The caller must not hold the
// lock given to New.
func (b *Bar) Finish() {
	if b == nil {
		return
	}
	if b.stop != nil {
		close(b.stop)
		<-b.stopped
		b.stop = nil
	}
	b.Clear()
}

// line renders the display at now, at most width columns, and takes a
// rate sample.
func (b *Bar) line(now time.Time, width int) string {
	b.samples = append(b.samples, sample{now, b.shown})
	for len(b.samples) > 2 && now.Sub(b.samples[1].at) >= rateWindow {
		b.samples = b.samples[1:]
	}
	parts := []string{b.verb, human(b.shown)}
	switch {
	case b.unknown:
	case b.final:
		parts[1] += " / " + human(b.total)
		if b.total > 0 {
			b.pct = max(b.pct, int(min(100, b.shown*100/b.total)))
		} else {
			b.pct = 100
		}
		parts = append(parts, fmt.Sprintf("%d%%", b.pct))
	default:
		parts[1] += " / " + human(b.total) + "+"
	}
	rate := 0.0
	if first := b.samples[0]; now.Sub(first.at) >= minRateSpan {
		rate = float64(b.shown-first.bytes) / now.Sub(first.at).Seconds()
		parts = append(parts, human(int64(rate))+"/s")
	}
	if rate > 0 && b.final && !b.unknown && b.total > b.shown {
		eta := time.Duration(float64(b.total-b.shown)/rate) * time.Second
		parts = append(parts, "ETA "+eta.Round(time.Second).String())
	}
	if b.items > 1 {
		parts = append(parts, fmt.Sprintf("%d/%d files", b.itemsDone, b.items))
	}
	s := strings.Join(parts, "  ")
	if b.current != "" {
		// The name gets what is left, cut at the front: its end tells most.
		room := width - 1 - utf8.RuneCountInString(s) - 2
		if name := []rune(b.current); room >= 8 {
			if len(name) > room {
				name = append([]rune("…"), name[len(name)-room+1:]...)
			}
			s += "  " + string(name)
		}
	}
	if r := []rune(s); len(r) > width-1 {
		s = string(r[:max(0, width-1)])
	}
	return s
}

func human(n int64) string { return string(listing.AppendHuman(nil, n)) }
