package tail

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/ossx/ossx/internal/follow"
	"github.com/ossx/ossx/internal/keytmpl"
	"github.com/ossx/ossx/internal/ossx"
	"github.com/ossx/ossx/internal/ship"
)

// gen follows one generation of one file through its open descriptor, which
// it keeps until the generation is drained: a renamed or deleted file is read
// to its end before it is let go. It reads with ReadAt from the offset in its
// state entry, so what it ships is always "the file's bytes from Offset".
type gen struct {
	t        *tailer
	e        *ship.Entry // fields under t.st.Lock
	f        *os.File
	wake     chan struct{}
	ended    chan struct{}
	detached atomic.Bool // the path no longer names this file

	lastSize     int64
	lastMod      time.Time
	lastGrowth   time.Time
	pendingSince time.Time
}

func (g *gen) poke() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

func (g *gen) run() {
	t := g.t
	defer t.wg.Done()
	defer close(g.ended)
	defer func() { g.f.Close() }()
	if fi, err := g.f.Stat(); err == nil {
		g.lastSize, g.lastGrowth = fi.Size(), fi.ModTime()
	}
	if err := g.reconcile(); err != nil {
		g.fail(err)
		return
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		stopping := isClosed(t.stopping)
		finished, err := g.step(stopping)
		if err != nil {
			g.fail(err)
			return
		}
		if finished || stopping {
			return
		}
		timer.Reset(g.nextLook())
		select {
		case <-g.wake:
		case <-t.stopping:
		case <-timer.C:
		}
	}
}

// reconcile settles the entry's object with OSS before anything new is sent.
func (g *gen) reconcile() error {
	t := g.t
	t.st.Lock()
	obj := ship.Object{Key: g.e.Key, Pos: g.e.Pos, CRC: g.e.CRC}
	off := g.e.Offset
	t.st.Unlock()
	if obj.Key == "" {
		return nil
	}
	fi, err := g.f.Stat()
	if err != nil {
		return err
	}
	got, n, err := t.app.Reconcile(t.shipCtx, obj, g.f, off, fi.Size()-off)
	if err != nil {
		return err
	}
	if got != obj {
		t.st.Lock()
		g.e.Offset += n
		g.e.Pos, g.e.CRC = got.Pos, got.CRC
		t.st.Unlock()
		t.markDirty()
	}
	return nil
}

// nextLook is when to look again without a wake: when waiting lines are due,
// a partial line may go, or a rotated file may be finished.
func (g *gen) nextLook() time.Duration {
	o := g.t.o
	d := time.Hour // the tailer pokes every generation on each watcher wake and poll
	now := time.Now()
	if !g.pendingSince.IsZero() {
		d = min(d, g.pendingSince.Add(o.FlushInterval).Sub(now), g.lastGrowth.Add(o.PartialTimeout).Sub(now))
	}
	if g.detached.Load() {
		d = min(d, g.lastGrowth.Add(o.RotateWait).Sub(now))
	}
	return max(d, 10*time.Millisecond)
}

// step looks at the file once and ships what is due. finished: the
// generation is over (drained after rotation, or truncated).
func (g *gen) step(stopping bool) (finished bool, err error) {
	t, o := g.t, g.t.o
	fi, err := g.f.Stat()
	if err != nil {
		return false, fmt.Errorf("stat %s: %w", g.e.Path, err)
	}
	size := fi.Size()
	t.st.Lock()
	id, off, seen := g.e.Identity, g.e.Offset, g.e.Size
	t.st.Unlock()
	// Unchanged size and mtime: nothing to recheck (a truncate and regrow
	// changes the mtime), which keeps an idle gtail near zero CPU.
	if size != g.lastSize || !fi.ModTime().Equal(g.lastMod) || stopping {
		// A file never shrinks but by truncation: below the size seen
		// before is truncated, even when still beyond the offset.
		chk, err := id.Recheck(g.f, size, max(off, seen))
		if err != nil {
			return false, fmt.Errorf("%s: %w", g.e.Path, err)
		}
		if chk == follow.Truncated {
			return g.truncated()
		}
	}
	g.lastMod = fi.ModTime()
	t.st.Lock()
	g.e.Identity.HeadLen, g.e.Identity.HeadCRC = id.HeadLen, id.HeadCRC
	grew := g.e.Size != size
	g.e.Size = size // so that bytes lost later can be counted
	t.st.Unlock()
	if grew {
		t.markDirty()
	}

	now := time.Now()
	if size != g.lastSize {
		g.lastSize, g.lastGrowth = size, now
	}
	pending := size - off
	switch {
	case pending <= 0:
		g.pendingSince = time.Time{}
	case g.pendingSince.IsZero():
		g.pendingSince = now
	}
	idle := now.Sub(g.lastGrowth)
	drained := g.detached.Load() && (o.Once || idle >= o.RotateWait)
	// --once leaves a young partial line for the next run; a stop ships it.
	all := (stopping && !o.Once) || drained || idle >= o.PartialTimeout
	due := stopping || drained || pending >= int64(o.FlushBytes) ||
		(pending > 0 && now.Sub(g.pendingSince) >= o.FlushInterval)
	if due && pending > 0 {
		if err := g.flush(size, all); err != nil {
			return false, err
		}
		if g.offset() < size {
			// A partial line is left: look again after another interval
			// (or when it is old enough), not at once.
			g.pendingSince = now
		}
	}
	if drained && g.offset() >= size {
		t.st.Lock()
		g.e.Done = true
		t.st.Unlock()
		t.markDirty()
		t.log.Info("rotated file drained", "path", g.e.Path, "bytes", size)
		t.w.Wake()
		return true, nil
	}
	return false, nil
}

func (g *gen) offset() int64 {
	g.t.st.Lock()
	defer g.t.st.Unlock()
	return g.e.Offset
}

// truncated ends the generation whose file was truncated (copytruncate, or
// "> app.log"): if a copy of it holds the bytes not yet shipped, the
// generation goes on from the copy; otherwise what was not shipped is lost
// and said so. The truncated file itself is a new generation for the tailer.
func (g *gen) truncated() (bool, error) {
	t := g.t
	if f := t.findCopy(g.e); f != nil {
		g.f.Close()
		g.f = f
		g.detached.Store(true)
		t.markDirty()
		t.w.Wake()
		return false, nil
	}
	t.st.Lock()
	lost := g.e.Size - g.e.Offset
	g.e.Done = true
	// The content this identity described is gone: match nothing, so that
	// new content starting with the same bytes is not taken for it.
	g.e.Identity = follow.Identity{}
	t.st.Unlock()
	t.log.Info("file truncated: starting a new generation", "path", g.e.Path)
	if lost > 0 {
		t.reportLoss(g.e.Path, lost, "truncated before it was shipped, and no copy found next to it")
	}
	t.markDirty()
	t.w.Wake()
	return true, nil
}

// flush ships the file from the entry's offset up to size: complete lines,
// or everything when all is set, in appends of at most --flush-bytes.
func (g *gen) flush(size int64, all bool) error {
	t := g.t
	for {
		off := g.offset()
		if off >= size {
			return nil
		}
		t.sem <- struct{}{}
		buf, _ := t.bufs.Get().([]byte)
		data, err := follow.Batch(g.f, off, size, t.o.FlushBytes, all, buf)
		if err == nil && len(data) > 0 {
			err = g.ship(data)
		}
		if cap(data) > 0 {
			//lint:ignore SA6002 a slice header per batch is fine
			t.bufs.Put(data[:0])
		}
		<-t.sem
		if err != nil || len(data) == 0 {
			return err
		}
	}
}

// ship appends data (the file's bytes at the entry's offset) exactly once.
func (g *gen) ship(data []byte) error {
	t := g.t
	body := t.app.Encode(data)
	obj, err := g.object(len(body))
	if err != nil {
		return err
	}
	got, err := t.app.Append(t.shipCtx, obj, body)
	if err != nil {
		return err
	}
	t.st.Lock()
	g.e.Offset += int64(len(data))
	g.e.Pos, g.e.CRC = got.Pos, got.CRC
	t.st.Unlock()
	t.markDirty()
	t.shipped.Add(int64(len(data)))
	g.pendingSince = time.Time{}
	if t.o.Echo {
		t.echoMu.Lock()
		t.o.Stdout.Write(data)
		t.echoMu.Unlock()
	}
	return nil
}

// object returns the object the next n bytes go to, starting a new one when
// there is none yet, when n would take it past --roll-size, or when its key
// would now read differently ({date}, {hour}). A new key is saved before
// anything is appended to it: after a crash gtail must find it again.
func (g *gen) object(n int) (ship.Object, error) {
	t := g.t
	now := t.now()
	if !t.o.LocalTime {
		now = now.UTC()
	}
	t.st.Lock()
	e := g.e
	fresh := e.Key == ""
	switch {
	case fresh:
	case e.Pos > 0 && e.Pos+int64(n) > t.o.RollSize:
		e.Seq++
		fresh = true
	case t.o.Key.UsesTime() && g.key(now) != e.Key:
		if e.Pos > 0 {
			e.Seq++
		}
		fresh = true
	}
	if fresh {
		e.Key, e.Pos, e.CRC, e.ObjStart = g.key(now), 0, 0, e.Offset
	}
	obj := ship.Object{Key: e.Key, Pos: e.Pos, CRC: e.CRC}
	t.st.Unlock()
	if !fresh {
		return obj, nil
	}
	if err := ossx.ValidKey(obj.Key); err != nil {
		return obj, fmt.Errorf("key template gives a bad key: %w", err)
	}
	if err := t.st.Save(); err != nil {
		return obj, err
	}
	t.log.Info("new object", "path", e.Path, "key", obj.Key)
	return obj, nil
}

// key renders the entry's key at now; call with the state locked.
func (g *gen) key(now time.Time) string {
	t := g.t
	return t.o.Dest.Key + t.o.Key.Expand(keytmpl.Vars{Host: t.o.Host, Path: g.e.Path, Time: now, Gen: g.e.Gen, Seq: g.e.Seq})
}

func (g *gen) fail(err error) {
	t := g.t
	if errors.Is(err, context.Canceled) {
		fi, serr := g.f.Stat()
		if serr == nil {
			n := max(fi.Size()-g.offset(), 0)
			t.unshipped.Add(n)
			t.log.Warn("not shipped within --shutdown-timeout; the next start ships it", "path", g.e.Path,
				"offset", g.offset(), "bytes", n)
		}
		return
	}
	t.failed.Add(1)
	err = fmt.Errorf("%s: %w", g.e.Path, err)
	t.firstErr.CompareAndSwap(nil, &err)
	t.log.Error("file stopped", "err", ossx.Message(err))
	t.w.Wake() // the tailer checks whether any file is left
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
