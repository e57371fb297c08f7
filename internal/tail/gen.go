package tail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ossx/ossx/internal/command"
	"github.com/ossx/ossx/internal/crc64ecma"
	"github.com/ossx/ossx/internal/follow"
	"github.com/ossx/ossx/internal/keytmpl"
	"github.com/ossx/ossx/internal/ossx"
	"github.com/ossx/ossx/internal/ship"
)

// gen follows one generation of one file through its open descriptor, which
// it keeps until the generation is drained: a renamed or deleted file is read
// to its end before it is let go. It reads with ReadAt from the offset in its
// state entry, so what it ships is always "the file's bytes from Offset".
//
// Besides, while it follows a file a reader beside it (gen.read) reads the
// file as soon as the watcher reports a write, whatever the gen is doing —
// an append to a slow or unreachable OSS included — and holds the last
// bytes read (up to holdMax, while the file is being written to): with
// copytruncate, lines written after logrotate's copy and before its
// truncation are in neither file afterwards, but gtail read them from the
// original, so it ships them after the copy's bytes. What is shipped is
// still read from the file by offset (the file is the buffer); the held
// bytes serve only when the file no longer has them.
type gen struct {
	t        *tailer
	e        *ship.Entry // fields under t.st.Lock
	f        *os.File    // the generation's file as it was followed (after a truncation, its copy is final.f)
	wake     chan struct{}
	rwake    chan struct{} // wakes the reader
	ended    chan struct{}
	detached atomic.Bool // the path no longer names this file

	unsubscribe func() // from the watcher's events for the path

	lastSize     int64
	again        bool // look again at once
	lastMod      time.Time
	lastGrowth   time.Time
	pendingSince time.Time

	// mu orders the reader and the gen: both read the file ahead and may
	// find it truncated. Taken before t.st.Lock, never after.
	mu       sync.Mutex
	k        known   // what the generation's bytes are known to be (read ahead)
	final    *splice // the file was truncated: what is left to ship
	inflight int64   // the end of the batch being appended from f (0: none)
}

// errCut stops shipping from the followed file: it was truncated (at some
// point after the last look), so the batch read from it may not be this
// generation's bytes; the next look decides what is left (gen.truncated).
var errCut = errors.New("the file was truncated")

// testHookRead, when set (by tests), is called after each read ahead with
// the path and how far the generation has been read.
var testHookRead func(path string, readEnd int64)

// holdMax bounds the bytes held per file (see gen). The bytes that matter
// are those written in the moment between a copy and a truncation; they are
// held only while the file is being written to (dropped after --rotate-wait
// of quiet).
const holdMax = 1 << 20

func (g *gen) poke() { nudge(g.wake) }

// rpoke wakes the reader: the watcher reported a change of the file.
func (g *gen) rpoke() { nudge(g.rwake) }

func nudge(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// read is the reader: until stop, it reads what is written to the file as
// soon as the watcher reports it (see gen), and ends the generation when it
// finds the file truncated — also while the gen waits on OSS, so that the
// truncated file's next generation is followed (and read) at once.
func (g *gen) read(stop <-chan struct{}) {
	for {
		select {
		case <-g.rwake:
		case <-stop:
			return
		}
		g.mu.Lock()
		fi, err := g.f.Stat()
		cut := false
		if err == nil {
			cut, err = g.look(fi)
		}
		g.mu.Unlock()
		// A read error is the gen's to report: its own look meets it.
		if err == nil && cut {
			g.poke()
		}
	}
}

// look reads the file ahead up to its size (fi: its fstat, taken under
// g.mu), or ends the generation (truncated) when the file was truncated;
// call with g.mu held. It records the file's identity, extended over a
// small file's new bytes, and size in the entry — the reader too, while the
// gen waits for OSS: what gtail has seen is in the state at its next save,
// so that bytes lost later (a kill -9, then logrotate deleting the file
// before the restart) are counted and reported. cut: the generation ended.
func (g *gen) look(fi os.FileInfo) (cut bool, err error) {
	if g.final != nil {
		return true, nil
	}
	t := g.t
	size := fi.Size()
	t.st.Lock()
	id, off, seen := g.e.Identity, g.e.Offset, g.e.Size
	t.st.Unlock()
	// A file never shrinks but by truncation: below the size seen before
	// is truncated, even when still beyond the offset.
	chk, err := id.Recheck(g.f, size, max(off, seen, g.k.readEnd(), g.inflight))
	if err != nil {
		return false, fmt.Errorf("%s: %w", g.e.Path, err)
	}
	if chk == follow.Truncated {
		g.truncated()
		return true, nil
	}
	if err := g.readAhead(size); err != nil {
		return false, err
	}
	if testHookRead != nil {
		testHookRead(g.e.Path, g.k.readEnd())
	}
	t.st.Lock()
	g.e.Identity.HeadLen, g.e.Identity.HeadCRC = id.HeadLen, id.HeadCRC
	g.k.head = g.e.Identity
	grew := g.e.Size != size
	g.e.Size = size // so that bytes lost later can be counted
	t.st.Unlock()
	if grew {
		t.markDirty()
	}
	return false, nil
}

func (g *gen) run() {
	t := g.t
	defer t.wg.Done()
	defer close(g.ended)
	defer func() {
		g.f.Close()
		if sp := g.finalSplice(); sp != nil {
			if c, ok := sp.f.(io.Closer); ok {
				c.Close() // the copy
			}
		}
	}()
	if g.unsubscribe != nil {
		defer g.unsubscribe()
	}
	if fi, err := g.f.Stat(); err == nil {
		g.lastSize, g.lastGrowth = fi.Size(), fi.ModTime()
	}
	if err := t.claim(g.e.Path); err != nil {
		g.fail(err)
		return
	}
	if err := g.reconcile(); err != nil {
		g.fail(err)
		return
	}
	g.mu.Lock()
	t.st.Lock()
	g.k = knownOf(g.e, !t.o.Gzip)
	t.st.Unlock()
	g.mu.Unlock()
	if !t.o.Once {
		stop, stopped := make(chan struct{}), make(chan struct{})
		go func() { g.read(stop); close(stopped) }()
		defer func() { close(stop); <-stopped }() // before the files are closed
		g.rpoke()
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
		if finished {
			return
		}
		if g.finalSplice() != nil || g.again {
			// What is left of a truncated file is shipped at once; a
			// batch found cut short is looked at again at once.
			g.again = false
			continue
		}
		if stopping {
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

// StateError is a state that does not agree with itself or with the file it
// describes (edited by hand, or restored from elsewhere): gtail refuses to
// ship that file on a guess.
type StateError struct {
	Path   string // the state file
	Reason string
}

func (e *StateError) Error() string {
	return fmt.Sprintf("the state does not agree with the file: %s; not shipping it on a guess", e.Reason)
}

// Hint names the way out.
func (e *StateError) Hint() string {
	return "the state file " + e.Path + " was edited or damaged; to ship this file again from the start, move the state file aside"
}

// reconcile checks the entry against the file and settles its object with
// OSS before anything new is sent. The state implies invariants: the file's
// bytes [ObjStart, Offset) have the CRC64 that extends StartCRC to FileCRC,
// and with plain objects they are the object (Pos bytes, CRC64 CRC). A state
// that breaks them (an offset edited by hand) is reconciled with the object
// when the object proves where the file stands, else refused.
func (g *gen) reconcile() error {
	t := g.t
	t.st.Lock()
	e := *g.e
	t.st.Unlock()
	fi, err := g.f.Stat()
	if err != nil {
		return err
	}
	plain := !t.o.Gzip
	if e.NoFileCRC {
		// State of version 1: compute what it did not record, from the
		// file it found (at its path, by inode, or a proven copy).
		crcs, err := prefixCRCs(g.f, []int64{e.ObjStart, e.Offset})
		if err != nil {
			return fmt.Errorf("read %s: %w", e.Path, err)
		}
		t.st.Lock()
		g.e.StartCRC, g.e.FileCRC, g.e.NoFileCRC = crcs[0], crcs[1], false
		e = *g.e
		t.st.Unlock()
	}
	ok := e.ObjStart <= e.Offset && e.Offset <= fi.Size() && (e.Key != "" || (e.Pos == 0 && e.Offset == e.ObjStart))
	if ok {
		data, err := rangeCRC(g.f, e.ObjStart, e.Offset)
		if err != nil {
			return fmt.Errorf("read %s: %w", e.Path, err)
		}
		ok = crc64ecma.Combine(e.StartCRC, data, e.Offset-e.ObjStart) == e.FileCRC &&
			(!plain || (e.Pos == e.Offset-e.ObjStart && data == e.CRC))
	}
	if !ok {
		if err := g.repair(e, fi.Size(), plain); err != nil {
			return err
		}
		t.st.Lock()
		e = *g.e
		t.st.Unlock()
	}
	if e.Key == "" {
		return nil
	}
	obj := ship.Object{Key: e.Key, Pos: e.Pos, CRC: e.CRC}
	got, n, err := t.app.Reconcile(t.shipCtx, obj, g.f, e.Offset, fi.Size()-e.Offset)
	if err != nil {
		return err
	}
	if got != obj {
		crc, err := rangeCRC(g.f, e.Offset, e.Offset+n)
		if err != nil {
			return err
		}
		t.st.Lock()
		g.e.Offset += n
		g.e.Pos, g.e.CRC = got.Pos, got.CRC
		g.e.FileCRC = crc64ecma.Combine(g.e.FileCRC, crc, n)
		t.st.Unlock()
		t.markDirty()
	}
	return nil
}

// repair settles an entry that breaks the state's invariants with OSS: a
// plain object holds the file bytes from ObjStart, so its length and CRC64,
// checked against the file, say how far the file was shipped. Anything else
// is refused.
func (g *gen) repair(e ship.Entry, size int64, plain bool) error {
	t := g.t
	bad := &StateError{Path: t.st.Path(), Reason: fmt.Sprintf("offset %d, object start %d, object length %d", e.Offset, e.ObjStart, e.Pos)}
	if !plain || e.Key == "" || e.ObjStart < 0 || e.ObjStart > size {
		return bad
	}
	got, err := t.app.Head(t.shipCtx, e.Key)
	if err != nil {
		return err
	}
	if e.ObjStart+got.Pos > size {
		return bad
	}
	crcs, err := prefixCRCs(g.f, []int64{e.ObjStart, e.ObjStart + got.Pos})
	if err != nil {
		return err
	}
	if crc64ecma.Combine(crcs[0], got.CRC, got.Pos) != crcs[1] {
		return bad
	}
	t.st.Lock()
	g.e.Offset, g.e.Pos, g.e.CRC = e.ObjStart+got.Pos, got.Pos, got.CRC
	g.e.StartCRC, g.e.FileCRC = crcs[0], crcs[1]
	t.st.Unlock()
	t.markDirty()
	t.log.Warn("the state did not agree with the file; reconciled with the object, which the file's bytes prove",
		"path", e.Path, "key", e.Key, "state_offset", e.Offset, "offset", e.ObjStart+got.Pos)
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
	g.mu.Lock()
	heldShipped := g.k.held.Len() > 0 && g.k.heldStart < g.offset()
	g.mu.Unlock()
	if g.detached.Load() || heldShipped {
		d = min(d, g.lastGrowth.Add(o.RotateWait).Sub(now))
	}
	return max(d, 10*time.Millisecond)
}

// step looks at the file once and ships what is due. finished: the
// generation is over (drained after rotation, or truncated).
func (g *gen) step(stopping bool) (finished bool, err error) {
	if g.finalSplice() != nil {
		return g.finish()
	}
	o := g.t.o
	// The size is taken under g.mu: the reader may read past an older one.
	g.mu.Lock()
	fi, err := g.f.Stat()
	if err != nil {
		g.mu.Unlock()
		return false, fmt.Errorf("stat %s: %w", g.e.Path, err)
	}
	size := fi.Size()
	// Unchanged size and mtime: nothing to recheck (a truncate and regrow
	// changes the mtime), which keeps an idle gtail near zero CPU.
	if size != g.lastSize || !fi.ModTime().Equal(g.lastMod) || stopping {
		cut, err := g.look(fi)
		if err != nil || cut {
			g.mu.Unlock()
			return false, err
		}
	}
	g.mu.Unlock()
	g.lastMod = fi.ModTime()
	off := g.offset()

	now := time.Now()
	if size != g.lastSize {
		g.lastSize, g.lastGrowth = size, now
	}
	idle := now.Sub(g.lastGrowth)
	g.mu.Lock()
	if drop := min(off-g.k.heldStart, int64(g.k.held.Len())); idle >= o.RotateWait && drop > 0 {
		// Quiet: a copy made now holds everything; let the memory of
		// what was shipped go (what was not is kept: a truncation
		// without a copy ships it).
		g.k.heldCRC = g.k.held.Drop(int(drop), g.k.heldCRC)
		g.k.heldStart += drop
		if g.k.held.Len() == 0 {
			g.k.held = heldBytes{}
		}
	}
	g.mu.Unlock()
	pending := size - off
	switch {
	case pending <= 0:
		g.pendingSince = time.Time{}
	case g.pendingSince.IsZero():
		g.pendingSince = now
	}
	rotated := g.detached.Load()
	drained := rotated && (o.Once || idle >= o.RotateWait)
	// --once leaves a young partial line for the next run; a stop ships it.
	all := (stopping && !o.Once) || drained || idle >= o.PartialTimeout
	// A rotated file's whole lines go at once, not after --flush-interval:
	// logrotate may compress and delete it at its next run, and a gtail
	// killed before then would find it gone (the logrotate soak's
	// create-kill phase lost 298 lines so).
	due := stopping || rotated || pending >= int64(o.FlushBytes) ||
		(pending > 0 && now.Sub(g.pendingSince) >= o.FlushInterval)
	if due && pending > 0 {
		if err := g.flush(g.f, size, all); errors.Is(err, errCut) {
			g.lastSize, g.again = -1, true // look again, now: what is left comes from the copy
			return false, nil
		} else if err != nil {
			return false, err
		}
		if g.offset() < size {
			// A partial line is left: look again after another interval
			// (or when it is old enough), not at once.
			g.pendingSince = now
		}
	}
	if drained && g.offset() >= size {
		t := g.t
		t.st.Lock()
		n, crc := g.e.Offset, g.e.FileCRC // all shipped: the whole file
		t.st.Unlock()
		g.done("rotated file drained", size, n, crc)
		return true, nil
	}
	return false, nil
}

// done ends the generation. Its file's first n bytes, with CRC64 crc, are
// all of it: the finished entry is fingerprinted over them (see doneMatching),
// so that a new file given its inode is not taken for it.
func (g *gen) done(msg string, size, n int64, crc uint64) {
	t := g.t
	t.st.Lock()
	g.e.Done = true
	if id := &g.e.Identity; (id.Dev != 0 || id.Ino != 0) && !g.e.NoFileCRC && n > id.HeadLen {
		id.HeadLen, id.HeadCRC = n, crc
	}
	t.st.Unlock()
	t.markDirty()
	t.log.Info(msg, "path", g.e.Path, "bytes", size)
	t.w.Wake()
}

// readAhead reads the file from where it was last read up to size and keeps
// the last holdMax bytes, with the CRC64 of everything before them.
func (g *gen) readAhead(size int64) error {
	k := &g.k
	if !k.crcOK {
		return nil
	}
	g.t.st.Lock()
	off, crc := g.e.Offset, g.e.FileCRC
	g.t.st.Unlock()
	if k.readEnd() < off {
		// Shipped past what was read (a read ahead cut short): read on
		// from what was shipped.
		k.offset, k.fileCRC = off, crc
		k.held.Reset()
		k.heldStart, k.heldCRC = off, crc
	}
	for end := k.readEnd(); end < size; end = k.readEnd() {
		n := int(min(size-end, holdMax))
		if drop := k.held.Len() + n - holdMax; drop > 0 {
			k.heldCRC = k.held.Drop(drop, k.heldCRC)
			k.heldStart += int64(drop)
		}
		// Nothing else refers to the ring: the generation goroutine
		// alone reads it, and truncated copies what it keeps.
		a, b := k.held.room(n)
		got, err := g.f.ReadAt(a, end)
		if got == len(a) && len(b) > 0 {
			var more int
			more, err = g.f.ReadAt(b, end+int64(got))
			got += more
		}
		k.held.Grew(got)
		if got < n {
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("read %s: %w", g.e.Path, err)
			}
			return nil // truncated meanwhile: the next look sees it
		}
	}
	return nil
}

func (g *gen) offset() int64 {
	g.t.st.Lock()
	defer g.t.st.Unlock()
	return g.e.Offset
}

// truncated ends the generation whose file was truncated (copytruncate, or
// "> app.log"); call with g.mu held. What is left of it is shipped from its
// copy, proven to be this generation's (see known.proves), followed by the
// bytes gtail read from the original before the truncation and that the copy
// does not hold (written after logrotate's copy); without a copy, from those
// held bytes alone. What neither holds is lost and said so. The truncated
// file itself is a new generation for the tailer. The reader may decide this
// while the gen is appending a batch it read before the truncation: that
// batch is still this generation's, and what is left starts after it.
func (g *gen) truncated() {
	t := g.t
	k := g.k
	t.st.Lock()
	k.offset, k.fileCRC, k.objStart, k.objCRC = g.e.Offset, g.e.FileCRC, g.e.ObjStart, g.e.CRC
	seen := g.e.Size
	t.st.Unlock()
	readEnd := k.readEnd()
	sp := &splice{heldStart: k.heldStart}
	copyFile, copySize := t.findCopy(g.e, k)
	if copyFile != nil {
		sp.f, sp.fileEnd, sp.end = copyFile, copySize, copySize
	}
	if k.crcOK && k.held.Len() > 0 && k.heldStart <= max(sp.fileEnd, k.offset) && readEnd > sp.fileEnd {
		sp.end = readEnd // the held bytes continue the copy (or what was shipped)
	}
	if sp.f == nil && sp.end == 0 {
		sp.end = k.offset
	}
	from := max(sp.fileEnd, k.offset, sp.heldStart)
	if copyFile != nil && sp.end > from {
		// The held bytes beyond the copy were written after it, and the
		// truncation took the rest of their last line when gtail had
		// not read all of it: ship whole lines; the piece is lost, and
		// said so, rather than shipped torn.
		sp.end = from + int64(bytes.LastIndexByte(k.held.Bytes(int(from-sp.heldStart), int(sp.end-sp.heldStart)), '\n')+1)
	}
	// Keep only the held bytes the copy lacks (a few lines, as a rule),
	// not the whole read-ahead buffer, while what is left waits for OSS.
	if sp.end > from {
		sp.held = append([]byte(nil), k.held.Bytes(int(from-sp.heldStart), int(sp.end-sp.heldStart))...)
		sp.heldStart = from
	} else {
		sp.held, sp.heldStart = nil, sp.end
	}
	t.st.Lock()
	lost := max(seen, readEnd) - max(sp.end, g.e.Offset, g.inflight)
	g.e.Size = sp.end
	if copyFile != nil {
		g.detached.Store(true)
	} else {
		// The content this identity described is gone: match nothing,
		// so that new content starting with the same bytes is not
		// taken for it.
		g.e.Identity = follow.Identity{}
	}
	t.st.Unlock()
	if copyFile != nil {
		t.log.Info("copytruncate: finishing the generation from its copy", "path", g.e.Path, "copy", copyFile.Name(),
			"copy_bytes", copySize, "held_bytes", max(sp.end-copySize, 0))
	} else {
		t.log.Info("file truncated: starting a new generation", "path", g.e.Path, "held_bytes", max(sp.end-k.offset, 0))
	}
	if lost > 0 {
		why := "truncated before it was shipped, and no copy found next to it"
		if copyFile != nil {
			why = "truncated; its copy and the bytes gtail held end before them"
		}
		t.reportLoss(g.e.Path, lost, why)
	}
	g.final = sp
	g.k = known{}
	t.markDirty()
	t.w.Wake()
}

// finalSplice is what is left of a truncated generation, or nil.
func (g *gen) finalSplice() *splice {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.final
}

// finish ships what is left of a truncated generation and ends it.
func (g *gen) finish() (bool, error) {
	sp := g.finalSplice()
	if err := g.flush(sp, sp.end, true); err != nil {
		return false, err
	}
	// The copy (the entry's file now) holds the generation's first
	// fileEnd bytes; the held bytes after them are in no file.
	t := g.t
	t.st.Lock()
	off, crc := g.e.Offset, g.e.FileCRC
	t.st.Unlock()
	n := sp.fileEnd
	if sp.f != nil && off != n {
		crcs, err := prefixCRCs(sp.f, []int64{n})
		if err != nil {
			n = 0 // fingerprinted by its head only
		} else {
			crc = crcs[0]
		}
	}
	g.done("truncated generation finished", sp.end, n, crc)
	return true, nil
}

// flush ships src from the entry's offset up to size: complete lines, or
// everything when all is set, in appends of at most --flush-bytes. src is
// the followed file (g.f) or what is left of it after a truncation.
func (g *gen) flush(src io.ReaderAt, size int64, all bool) error {
	t := g.t
	live := src == io.ReaderAt(g.f)
	for {
		off := g.offset()
		if off >= size {
			return nil
		}
		t.sem <- struct{}{}
		var bb batchBuf
		select {
		case bb = <-t.bufs:
		default:
		}
		data, err := follow.Batch(src, off, size, t.o.FlushBytes, all, bb.data)
		if err == nil && len(data) > 0 && live {
			err = g.sending(off + int64(len(data)))
		}
		if err == nil && len(data) > 0 {
			bb.body, err = g.ship(data, bb.body)
		}
		if live {
			g.mu.Lock()
			g.inflight = 0
			g.mu.Unlock()
		}
		if cap(data) > 0 {
			bb.data = data
		}
		select {
		case t.bufs <- bb:
		default:
		}
		<-t.sem
		if err != nil || len(data) == 0 {
			return err
		}
	}
}

// sending checks, before a batch read from the followed file up to end is
// appended, that the file still held it when it was read: not truncated
// since (a file never shrinks but by truncation; one truncated and regrown
// has another head). Else the batch may be the next generation's bytes, and
// errCut sends the gen to look again. It marks the batch in flight, for
// truncated.
func (g *gen) sending(end int64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.final != nil {
		return errCut
	}
	fi, err := g.f.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", g.e.Path, err)
	}
	g.t.st.Lock()
	id := g.e.Identity
	g.t.st.Unlock()
	if fi.Size() < end {
		return errCut
	}
	if ok, err := id.HeadMatches(g.f); err != nil {
		return fmt.Errorf("%s: %w", g.e.Path, err)
	} else if !ok {
		return errCut
	}
	g.inflight = end
	return nil
}

// ship appends data (the file's bytes at the entry's offset) exactly once.
// enc is a buffer for the encoded body (Appender.Encode), returned for the
// next batch.
func (g *gen) ship(data, enc []byte) ([]byte, error) {
	t := g.t
	body := t.app.Encode(enc, data)
	if t.app.Gzip {
		enc = body // not data, which is the batch's own buffer
	}
	obj, err := g.object(len(body))
	if err != nil {
		return enc, err
	}
	got, err := t.app.Append(t.shipCtx, obj, body)
	if err != nil {
		return enc, err
	}
	if obj.Pos == 0 {
		// Said once the object exists, not when its key was chosen: the
		// first append may fail.
		t.log.Info("new object", "path", g.e.Path, "key", obj.Key)
	}
	t.st.Lock()
	g.e.Offset += int64(len(data))
	g.e.FileCRC = crc64ecma.Update(g.e.FileCRC, data)
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
	return enc, nil
}

// object returns the object the next n bytes go to, starting a new one when
// there is none yet, when n would take it past --roll-size, or when its key
// would now read differently ({date}, {hour}). A new key is saved before
// anything is appended to it: after a crash gtail must find it again.
func (g *gen) object(n int) (ship.Object, error) {
	t := g.t
	now := t.now()
	t.st.Lock()
	if now.Before(t.st.KeyClock) {
		now = t.st.KeyClock // the clock stepped back: keys do not
	} else {
		t.st.KeyClock = now
	}
	if !t.o.LocalTime {
		now = now.UTC()
	}
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
		e.Key, e.Pos, e.CRC, e.ObjStart, e.StartCRC = g.key(now), 0, 0, e.Offset, e.FileCRC
	}
	obj := ship.Object{Key: e.Key, Pos: e.Pos, CRC: e.CRC}
	t.st.Unlock()
	if !fresh {
		return obj, nil
	}
	if err := ossx.ValidKey(obj.Key); err != nil {
		return obj, fmt.Errorf("key template gives a bad key: %w", err)
	}
	if err := t.save(t.shipCtx, "save the new object's key"); err != nil {
		return obj, err
	}
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
			size := fi.Size()
			if sp := g.finalSplice(); sp != nil {
				size = sp.end
			}
			n := max(size-g.offset(), 0)
			t.unshipped.Add(n)
			t.log.Warn("not shipped within --shutdown-timeout; the next start ships it", "path", g.e.Path,
				"offset", g.offset(), "bytes", n)
		}
		return
	}
	t.failed.Add(1)
	var ce *ship.ConflictError
	if errors.As(err, &ce) {
		err = &StoppedError{Err: err, Path: g.e.Path, State: t.st.Path(), Dest: t.o.Dest.String()}
	}
	err = fmt.Errorf("%s: %w", g.e.Path, err)
	t.firstErr.CompareAndSwap(nil, &err)
	t.log.Error("file stopped", "err", ossx.Message(err))
	t.w.Wake() // the tailer checks whether any file is left
}

// StoppedError is a file stopped because its object is not what gtail left
// there; its hint names the way out.
type StoppedError struct {
	Err               error
	Path, State, Dest string
}

func (e *StoppedError) Error() string { return e.Err.Error() }
func (e *StoppedError) Unwrap() error { return e.Err }

// Hint says what happened and how to start the file over, with the
// command as the user runs it: "ossx gtail --forget ..." under the
// multi-call binary.
func (e *StoppedError) Hint() string {
	var ce *ship.ConflictError
	errors.As(e.Err, &ce)
	return ce.Hint() + "; to ship this file again from the start, to new objects: " + command.Invocation("gtail") + " --forget " + e.Path + " " + e.Dest +
		" (drops its state in " + e.State + ")"
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
