// Package tail is gtail's follower: it finds the files to follow, tells
// their generations apart across rotation (rename, copytruncate, symlink
// switch) and restarts, and ships each generation's bytes exactly once to
// its own objects through internal/ship.
//
// The flow is follow → generation → ship: the tailer (supervisor) re-reads
// the globs on every wake and starts one gen goroutine per file generation;
// a gen reads its file by offset (internal/follow), decides when a
// generation ends (drained after rotation, truncated, finished from its
// copytruncate copy) and appends through ship.Appender, recording every step
// in the ship.State.
package tail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ossx/ossx/internal/follow"
	"github.com/ossx/ossx/internal/keytmpl"
	"github.com/ossx/ossx/internal/ossx"
	"github.com/ossx/ossx/internal/ship"
)

// Options is what the follower needs from gtail's flags.
type Options struct {
	Sources []string // files and globs
	Dest    ossx.URL // the destination prefix (Key ends in "/" or is empty)

	Key       keytmpl.Template
	Host      string
	LocalTime bool // {date} and {hour} in local time

	FlushInterval   time.Duration
	FlushBytes      int
	PartialTimeout  time.Duration
	RollSize        int64
	RotateWait      time.Duration
	Poll            time.Duration
	SafetyPoll      time.Duration
	ShutdownTimeout time.Duration

	Gzip    bool
	Once    bool
	FromEnd bool
	Echo    bool      // also write what is shipped to Stdout
	Stdout  io.Writer // for Echo
}

// Run follows what o says until ctx ends (a clean stop returns nil) or,
// with o.Once, until everything there is has been shipped. st is the
// destination's locked state; app appends to OSS.
func Run(ctx context.Context, o Options, st *ship.State, app *ship.Appender, log *slog.Logger) error {
	return newTailer(o, st, app, log).run(ctx)
}

// tailer is the supervisor: it finds files (globs re-evaluated on every
// wake), recognises them across restarts and rotations by identity, and runs
// one gen goroutine per file generation. Each generation ships to its own
// objects, so a rotated file being drained and its successor being followed
// never interleave.
type tailer struct {
	o   Options
	st  *ship.State
	app *ship.Appender
	log *slog.Logger
	w   *follow.Watcher
	now func() time.Time // the clock for keys; tests move it

	shipCtx  context.Context // ends only when --shutdown-timeout runs out
	stopping chan struct{}   // closed when gtail is asked to stop
	sem      chan struct{}   // bounds the batches held in memory at once
	bufs     chan batchBuf   // the buffers of batches not in flight (see batchBuf)
	dirty    chan struct{}
	echoMu   sync.Mutex

	gens     map[*ship.Entry]*gen     // supervisor goroutine only
	deferred map[[2]uint64]*candidate // new files held back as possible copytruncate copies
	warned   map[string]bool
	wg       sync.WaitGroup

	claimMu sync.Mutex
	claimed map[string]bool // paths whose owner object names this gtail

	firstErr  atomic.Pointer[error] // the first file failure, for the exit message
	shipped   atomic.Int64
	lost      atomic.Int64
	failed    atomic.Int64
	total     atomic.Int64
	unshipped atomic.Int64
}

// maxBatches is how many batches are read and shipped at once, across all
// files.
const maxBatches = 4

// batchBuf holds a batch's buffers between batches: the bytes read from
// the file and, with --gzip, the encoded body. Kept in tailer.bufs, a free
// list, rather than a sync.Pool, which drops its contents at every other GC:
// with a collection every few appends (GOGC 25, --gzip), a new MiB batch
// buffer every few appends made gtail's peak RSS (BENCHMARKS.md).
type batchBuf struct{ data, body []byte }

func newTailer(o Options, st *ship.State, app *ship.Appender, log *slog.Logger) *tailer {
	return &tailer{
		o: o, st: st, app: app, log: log, now: time.Now, shipCtx: context.Background(),
		stopping: make(chan struct{}),
		sem:      make(chan struct{}, maxBatches),
		bufs:     make(chan batchBuf, maxBatches),
		dirty:    make(chan struct{}, 1),
		gens:     map[*ship.Entry]*gen{},
		deferred: map[[2]uint64]*candidate{},
		warned:   map[string]bool{},
		claimed:  map[string]bool{},
	}
}

func (t *tailer) run(ctx context.Context) error {
	shipCtx, cancelShip := context.WithCancel(context.Background())
	defer cancelShip()
	t.shipCtx = shipCtx
	wctx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	t.w = follow.NewWatcher(wctx, t.o.Poll, t.o.SafetyPoll, 20*time.Millisecond, t.log)
	saverDone := make(chan struct{})
	go func() { t.saver(wctx); close(saverDone) }()
	usr1 := make(chan os.Signal, 1)
	notifyStatus(usr1)
	defer signal.Stop(usr1)

	// A signal stops gtail: what is due is shipped within the timeout.
	go func() {
		select {
		case <-ctx.Done():
			time.AfterFunc(t.o.ShutdownTimeout, cancelShip)
		case <-shipCtx.Done():
		}
	}()
	t.resume()
	t.scan(true)
	if t.total.Load() == 0 {
		t.log.Warn("no file matches yet", "files", strings.Join(t.o.Sources, " "))
	}
	if !t.o.Once {
		t.follow(ctx, usr1)
	}
	close(t.stopping)
	t.wg.Wait()
	// A generation that ended (truncated) leaves its file to a new one,
	// which the tailer may not have looked at yet: look again until a scan
	// finds nothing new. Stopping, what they hold is shipped too.
	for n := t.total.Load(); ; n = t.total.Load() {
		t.scan(false)
		t.wg.Wait()
		if t.total.Load() == n {
			break
		}
	}
	stopWatch()
	<-saverDone
	if err := t.save(t.shipCtx, "the final state"); err != nil {
		return err
	}
	t.log.Info("stopped", "shipped_bytes", t.shipped.Load(), "state", t.st.Path())
	return t.result()
}

func (t *tailer) follow(ctx context.Context, usr1 <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			t.log.Info("stopping: shipping what is left", "timeout", t.o.ShutdownTimeout)
			return
		case <-t.w.C:
			if n := t.total.Load(); n > 0 && t.failed.Load() == n {
				// Every file stopped on an error (a wrong bucket, no
				// permission, …): say so instead of idling forever.
				t.log.Error("every file has stopped; exiting")
				return
			}
			t.scan(false)
			for _, g := range t.gens {
				g.poke()
			}
		case <-usr1:
			t.status()
		}
	}
}

// result turns what went wrong during the run into the exit status.
func (t *tailer) result() error {
	var errs []error
	if n := t.lost.Load(); n > 0 {
		errs = append(errs, fmt.Errorf("%d bytes were lost: files were truncated or deleted before gtail could ship them (see the log)", n))
	}
	if n := t.unshipped.Load(); n > 0 {
		errs = append(errs, fmt.Errorf("%w: %d bytes not shipped within --shutdown-timeout; they will be shipped at the next start", ossx.ErrInterrupted, n))
	}
	if n, total := t.failed.Load(), t.total.Load(); n > 0 {
		switch {
		case n == 1 && total == 1:
			errs = append(errs, *t.firstErr.Load())
		case len(errs) == 0 && n < total:
			return &ossx.PartialError{Failed: int(n), Total: int(total)}
		default:
			errs = append(errs, fmt.Errorf("%d of %d files failed (see the log)", n, total))
		}
	}
	return errors.Join(errs...)
}

// saver persists the state shortly after it changes. Between saves the
// state may lag the objects; Reconcile settles that at the next start. What
// must never lag — a new object key — is saved synchronously instead (see
// save). A failed save is tried again, with backoff, until it succeeds.
func (t *tailer) saver(ctx context.Context) {
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.dirty:
		}
		pause := 100 * time.Millisecond
		if err := t.st.Save(); err != nil {
			failures++
			t.saveFailed(err, failures)
			t.markDirty()
			pause = saveBackoff(failures)
		} else if failures > 0 {
			t.log.Info("state saved again", "state", t.st.Path())
			failures = 0
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
	}
}

// save writes the state now, retrying with backoff while it fails (a full or
// read-only disk): nothing is shipped to a new object before its key is
// saved, and the files hold the bytes meanwhile, so a generation waits
// rather than stops. With --once it gives up after --retries like an append.
func (t *tailer) save(ctx context.Context, what string) error {
	for attempt := 1; ; attempt++ {
		err := t.st.Save()
		if err == nil {
			if attempt > 1 {
				t.log.Info("state saved again", "state", t.st.Path())
			}
			return nil
		}
		t.saveFailed(err, attempt)
		if t.o.Once && attempt > t.retries() {
			return fmt.Errorf("%s: giving up after %d attempts: %w", what, attempt, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (%w)", what, ctx.Err(), err)
		case <-time.After(saveBackoff(attempt)):
		}
	}
}

func (t *tailer) retries() int {
	if t.app == nil {
		return 0
	}
	return t.app.Retry.Attempts
}

// saveFailed logs a failed save loudly: the first five, then every tenth.
func (t *tailer) saveFailed(err error, attempt int) {
	if attempt <= 5 || attempt%10 == 0 {
		t.log.Error("cannot save the state; retrying (nothing is lost: the files hold the bytes)",
			"state", t.st.Path(), "attempt", attempt, "err", err)
	}
}

// saveBackoff is the pause after the n-th failed save: 100 ms doubling to 5 s.
func saveBackoff(n int) time.Duration {
	return min(100*time.Millisecond<<min(n-1, 6), 5*time.Second)
}

func (t *tailer) markDirty() {
	select {
	case t.dirty <- struct{}{}:
	default:
	}
}

// resume reopens every generation the state says is not finished: at its
// path if it is still there, or wherever the inode went (renamed while gtail
// was down), or reports its unshipped bytes lost.
func (t *tailer) resume() {
	t.st.Lock()
	entries := append([]*ship.Entry(nil), t.st.Entries...)
	t.st.Unlock()
	for _, e := range entries {
		if e.Done {
			continue
		}
		f, detached := t.locate(e)
		if f == nil {
			t.st.Lock()
			lost := e.Size - e.Offset
			e.Done = true
			e.Identity = follow.Identity{} // gone: match no file any more
			t.st.Unlock()
			if lost > 0 && e.Key != "" && !t.o.Gzip {
				// An append may have landed after the last save: those
				// bytes are not lost (though, the file gone, they can
				// no longer be checked).
				if got, err := t.app.Head(t.shipCtx, e.Key); err == nil && got.Pos > e.Pos {
					t.log.Warn("the object holds bytes the state had not recorded; the file is gone, so they cannot be verified",
						"path", e.Path, "key", e.Key, "bytes", got.Pos-e.Pos)
					lost -= min(got.Pos-e.Pos, lost)
				}
			}
			if lost > 0 {
				t.reportLoss(e.Path, lost, "was deleted or truncated while gtail was not running")
			}
			continue
		}
		t.start(e, f, detached)
	}
	t.markDirty()
}

// locate finds the file of e: at its path, else by inode among the matches
// and e's directory (rotated by rename), else a copy (copytruncate).
func (t *tailer) locate(e *ship.Entry) (f *os.File, detached bool) {
	// The file must hold at least what was seen of it: a file never
	// shrinks but by truncation.
	least := max(e.Offset, e.Size)
	if f := openMatching(e.Path, e.Identity, least); f != nil {
		return f, false
	}
	cands := append(t.expand(), dirFiles(filepath.Dir(e.Path))...)
	for _, p := range cands {
		if f := openMatching(p, e.Identity, least); f != nil {
			t.log.Info("found rotated file", "path", e.Path, "now", p)
			return f, true
		}
	}
	t.st.Lock()
	k := knownOf(e, !t.o.Gzip)
	t.st.Unlock()
	if f, _ := t.findCopy(e, k); f != nil {
		t.log.Info("copytruncate: finishing the generation from its copy", "path", e.Path, "copy", f.Name())
		return f, true
	}
	return nil, false
}

// openMatching opens p if it is the generation id with at least offset bytes.
func openMatching(p string, id follow.Identity, offset int64) *os.File {
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() || !id.SameInode(fi) || fi.Size() < offset {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return nil
	}
	if ok, err := id.HeadMatches(f); err != nil || !ok {
		f.Close()
		return nil
	}
	return f
}

// findCopy looks in e's directory for this generation's copy (logrotate's
// copytruncate copies, then truncates) — a file k proves to hold the
// generation's bytes, not merely one that starts the same way — so that the
// generation can be finished from it, and makes it e's file: e's identity
// becomes the copy's and its size the copy's. The claim is made under the
// state lock, where add also checks, so a copy is never both finished from
// and followed as a new file. A file another unfinished generation follows
// is not a candidate.
func (t *tailer) findCopy(e *ship.Entry, k known) (*os.File, int64) {
	t.st.Lock()
	taken := map[[2]uint64]bool{}
	for _, o := range t.st.Entries {
		if !o.Done {
			taken[[2]uint64{o.Dev, o.Ino}] = true
		}
	}
	t.st.Unlock()
	type cand struct {
		p  string
		fi os.FileInfo
	}
	var cands []cand
	for _, p := range dirFiles(filepath.Dir(e.Path)) {
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 {
			continue
		}
		dev, ino := follow.DevIno(fi)
		if taken[[2]uint64{dev, ino}] {
			continue
		}
		cands = append(cands, cand{p, fi})
	}
	// The newest first: a rotation leaves older copies (app.log.2) beside.
	sort.Slice(cands, func(i, j int) bool { return cands[i].fi.ModTime().After(cands[j].fi.ModTime()) })
	for _, c := range cands {
		f, err := os.Open(c.p)
		if err != nil {
			continue
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			continue
		}
		ok, err := k.proves(f, fi.Size())
		if err != nil || !ok {
			f.Close()
			continue
		}
		id, err := follow.Fingerprint(f, fi)
		if err != nil {
			f.Close()
			continue
		}
		t.st.Lock()
		// The scan may have started following the copy since it was looked at.
		lost := owned(t.st.Entries, [2]uint64{id.Dev, id.Ino})
		if !lost {
			e.Identity = id
			e.Size = fi.Size()
		}
		t.st.Unlock()
		if lost {
			f.Close()
			continue
		}
		return f, fi.Size()
	}
	return nil, 0
}

// owned reports whether an unfinished entry follows the inode di; call with
// the state locked.
func owned(entries []*ship.Entry, di [2]uint64) bool {
	for _, e := range entries {
		if !e.Done && e.Dev == di[0] && e.Ino == di[1] {
			return true
		}
	}
	return false
}

func dirFiles(dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(ents))
	for _, d := range ents {
		if d.Type().IsRegular() {
			out = append(out, filepath.Join(dir, d.Name()))
		}
	}
	return out
}

// expand evaluates the arguments: globs, and plain paths that exist.
func (t *tailer) expand() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range t.o.Sources {
		var ps []string
		if strings.ContainsAny(s, "*?[") {
			ps, _ = filepath.Glob(s) // the only error is a bad pattern, checked at start
		} else {
			ps = []string{s}
		}
		for _, p := range ps {
			if abs, err := filepath.Abs(p); err == nil {
				p = abs
			}
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}

// scan re-evaluates the arguments: new files get a generation, files whose
// path now names another inode are marked rotated (their gen drains them),
// finished entries no file matches any more are forgotten.
func (t *tailer) scan(initial bool) {
	for e, g := range t.gens {
		select {
		case <-g.ended:
			delete(t.gens, e)
			continue
		default:
		}
		t.st.Lock()
		p, id := e.Path, e.Identity
		t.st.Unlock()
		fi, err := os.Stat(p)
		g.detached.Store(err != nil || !id.SameInode(fi))
	}
	keep := map[*ship.Entry]bool{}
	seen := map[[2]uint64]bool{}
	// Every unfinished entry owns its inode, also when its gen stopped on an
	// error: the file must not be taken for a new one and shipped again.
	live := map[[2]uint64]bool{}
	// Only entries finished before this scan looked may be forgotten: one
	// that finishes meanwhile was skipped as live, not matched as done.
	wasDone := map[*ship.Entry]bool{}
	t.st.Lock()
	for _, e := range t.st.Entries {
		if e.Done {
			wasDone[e] = true
		} else {
			live[[2]uint64{e.Dev, e.Ino}] = true
		}
	}
	t.st.Unlock()
	now := time.Now()
	t.w.Begin()
	defer t.w.End()
	for _, s := range t.o.Sources {
		// The directory a glob or a missing file will appear in, when
		// it exists: files created there are seen at once, not at the
		// next poll.
		t.w.Watch(s)
	}
	for _, p := range t.expand() {
		t.w.Watch(p)
		fi, err := os.Stat(p)
		if err != nil {
			continue // not there (yet)
		}
		if !fi.Mode().IsRegular() {
			t.warnOnce(p, "not a regular file; skipped", nil)
			continue
		}
		dev, ino := follow.DevIno(fi)
		di := [2]uint64{dev, ino}
		if seen[di] {
			continue // the same file through a second path or symlink
		}
		seen[di] = true
		if live[di] {
			t.release(di) // claimed as a copy since it was held
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			t.unreadable(p, err)
			continue
		}
		if e := t.doneMatching(di, f); e != nil {
			keep[e] = true
			f.Close()
			continue
		}
		if t.looksLikeCopy(p, di, f, fi, now) {
			continue // held, with f open
		}
		t.release(di)
		if !t.add(p, f, fi, initial, false) {
			f.Close()
		}
	}
	t.vanished(seen, now)
	t.st.Lock()
	kept := t.st.Entries[:0]
	for _, e := range t.st.Entries {
		if !wasDone[e] || keep[e] {
			kept = append(kept, e)
		}
	}
	pruned := len(kept) != len(t.st.Entries)
	t.st.Entries = kept
	t.st.Unlock()
	if pruned {
		t.markDirty()
	}
}

// doneMatching returns the finished entry f is (a rotated file already
// drained, still matched by a glob), if any.
func (t *tailer) doneMatching(di [2]uint64, f *os.File) *ship.Entry {
	t.st.Lock()
	var cands []*ship.Entry
	for _, e := range t.st.Entries {
		if e.Done && e.Dev == di[0] && e.Ino == di[1] {
			cands = append(cands, e)
		}
	}
	t.st.Unlock()
	for _, e := range cands {
		if ok, _ := e.Identity.HeadMatches(f); ok {
			return e
		}
	}
	return nil
}

// candidate is a new file held back as a possible copytruncate copy, as it
// was at the last look. It is held open: renamed away or deleted before it
// is decided, it is still followed as its own file unless it proves to be
// the copy — a held file is never forgotten.
type candidate struct {
	path    string // where it was found
	f       *os.File
	size    int64
	mod     time.Time
	changed time.Time // when it was first seen, or last seen changing
}

// release lets go of the held file di (decided, or claimed as a copy).
func (t *tailer) release(di [2]uint64) {
	if c := t.deferred[di]; c != nil {
		c.f.Close()
		delete(t.deferred, di)
	}
}

// vanished decides the held files the scan no longer finds at a followed
// name (renamed away, deleted) through their open descriptors: one a
// generation claimed as its copy is let go; one that may still be a copy
// stays held (the generation finds its copy by listing its directory); any
// other is followed as its own file, detached, so that it is drained like
// any rotated file.
func (t *tailer) vanished(seen map[[2]uint64]bool, now time.Time) {
	for di, c := range t.deferred {
		if seen[di] {
			continue
		}
		t.st.Lock()
		claimed := owned(t.st.Entries, di)
		t.st.Unlock()
		if claimed {
			t.release(di)
			continue
		}
		fi, err := c.f.Stat()
		if err != nil {
			t.log.Warn("cannot read a held file", "path", c.path, "err", err)
			continue // tried again at the next look
		}
		if t.looksLikeCopy(c.path, di, c.f, fi, now) {
			continue
		}
		f := c.f
		delete(t.deferred, di)
		t.log.Info("renamed before it was followed; following it as its own file", "path", c.path)
		if !t.add(c.path, f, fi, false, true) {
			f.Close()
		}
	}
}

// looksLikeCopy holds back a new file that may be logrotate's copytruncate
// copy of a generation being followed in the same directory: one whose bytes
// so far are the start of that generation's file (empty, being written, or
// complete), or any file while that generation's file is truncated and its
// gen is deciding. logrotate creates the copy, fills it, then truncates the
// original; gtail may look at any point of that, and the generation then
// finishes from the copy (gen.truncated) instead of the copy being shipped a
// second time as a new file.
//
// A file whose bytes part from every followed file's (two logs with the same
// banner line, cp a.log b.log and both grow) is not a copy and is followed at
// once. A held file stays held until that is decided: it is the copy (the
// generation claims it, and it is no longer new), or it has not changed for
// --rotate-wait while the generation's file is still intact — not
// truncated, still at its path — in which case it merely starts the same way
// (or is logrotate's copy without truncation) and is shipped. An empty file
// is never released this way: it has nothing to ship, and logrotate may not
// have started copying into it yet.
func (t *tailer) looksLikeCopy(p string, di [2]uint64, f *os.File, fi os.FileInfo, now time.Time) bool {
	t.st.Lock()
	var all []ship.Entry
	for _, e := range t.st.Entries {
		// A generation's copy is never at the generation's own name: a
		// new file there is its successor (logrotate's create). And a
		// generation whose name no longer holds its file was renamed
		// or deleted, not truncated: it has no copy to wait for.
		if !e.Done && e.Path != p && filepath.Dir(e.Path) == filepath.Dir(p) && (e.HeadLen > 0 || e.Offset > 0) {
			all = append(all, *e)
		}
	}
	t.st.Unlock()
	var srcs []ship.Entry
	for _, e := range all {
		if sfi, err := os.Stat(e.Path); err == nil && e.Identity.SameInode(sfi) {
			srcs = append(srcs, e)
		}
	}
	if len(srcs) == 0 {
		return false
	}
	c := t.deferred[di]
	changed := c == nil || c.size != fi.Size() || !c.mod.Equal(fi.ModTime())
	held, intact := fi.Size() == 0, true
	for _, e := range srcs {
		if fi.Size() == 0 {
			break
		}
		like, ok := copyOf(f, fi.Size(), e, changed)
		if like {
			held, intact = true, intact && ok
		}
	}
	if !held {
		return false
	}
	if c == nil {
		c = &candidate{path: p, f: f}
		t.deferred[di] = c
	}
	if changed {
		c.size, c.mod, c.changed = fi.Size(), fi.ModTime(), now
		// Look again when the wait is over, whether or not anything
		// else wakes the tailer by then.
		time.AfterFunc(t.o.RotateWait, t.w.Wake)
	}
	hold := changed || fi.Size() == 0 || !intact || now.Sub(c.changed) < t.o.RotateWait
	if hold && c.f != f {
		f.Close() // the held descriptor stays
	}
	// Not held any more: the caller follows the file through f (and lets
	// the held descriptor go).
	return hold
}

// copyOf reports whether f (size bytes, not empty) may be a copy of the
// generation e: e's file is intact at e's path and f's bytes are its first
// size bytes (compared only when compare is set, else as at the last look:
// f has not changed, and an intact original only grows), or e's file is not intact (truncated, gone: only
// e's gen can tell whether f is its copy) and f's head does not rule it out.
func copyOf(f *os.File, size int64, e ship.Entry, compare bool) (like, intact bool) {
	src := openMatching(e.Path, e.Identity, max(e.Offset, e.Size))
	if src == nil {
		if size < e.HeadLen {
			return true, false
		}
		ok, _ := e.Identity.HeadMatches(f)
		return ok, false
	}
	defer src.Close()
	if !compare {
		return true, true
	}
	sfi, err := src.Stat()
	if err != nil || size > sfi.Size() {
		return false, true // a copy is never longer than its intact original
	}
	same, _ := prefixOf(f, src, size)
	return same, true
}

// add starts a generation for a file seen for the first time.
func (t *tailer) add(p string, f *os.File, fi os.FileInfo, initial, detached bool) bool {
	id, err := follow.Fingerprint(f, fi)
	if err != nil {
		t.log.Warn("cannot read", "path", p, "err", err)
		return false
	}
	t.st.Lock()
	if owned(t.st.Entries, [2]uint64{id.Dev, id.Ino}) {
		// A generation claimed the file as its copytruncate copy since
		// the scan looked: it is not new.
		t.st.Unlock()
		return false
	}
	gen := keytmpl.NextGenID(time.Now(), t.st.LastGen)
	t.st.LastGen = gen
	known := false
	for _, e := range t.st.Entries {
		known = known || e.Path == p
	}
	e := &ship.Entry{Path: p, Identity: id, Gen: gen, Size: fi.Size()}
	if initial && t.o.FromEnd && !known {
		e.Offset, e.ObjStart = fi.Size(), fi.Size()
		// What is skipped is still this generation's: its CRC64 proves
		// a copy of it later.
		crcs, err := prefixCRCs(f, []int64{e.Offset})
		if err != nil {
			t.st.Unlock()
			t.log.Warn("cannot read", "path", p, "err", err)
			return false
		}
		e.FileCRC, e.StartCRC = crcs[0], crcs[0]
	}
	t.st.Entries = append(t.st.Entries, e)
	t.st.Unlock()
	t.log.Info("following", "path", p, "generation", gen, "from", e.Offset)
	t.markDirty()
	t.start(e, f, detached)
	return true
}

func (t *tailer) start(e *ship.Entry, f *os.File, detached bool) {
	g := &gen{t: t, e: e, f: f, wake: make(chan struct{}, 1), rwake: make(chan struct{}, 1), ended: make(chan struct{})}
	g.detached.Store(detached)
	t.gens[e] = g
	t.total.Add(1)
	t.w.Watch(e.Path)
	// Every write wakes the reader at once; the gen, which ships, is woken
	// with the rest by the watcher's settled wakes.
	g.unsubscribe = t.w.Subscribe(e.Path, g.rpoke)
	t.wg.Add(1)
	go g.run()
}

// claim makes sure no other gtail (one with another state) ships path to
// this destination, through the file's owner object (see
// ship.Appender.Claim): two would ship every line twice, each to objects of
// its own, which nothing else would notice.
func (t *tailer) claim(path string) error {
	t.claimMu.Lock()
	defer t.claimMu.Unlock()
	if t.claimed[path] {
		return nil
	}
	// The id goes to disk before the owner object that names it: a gtail
	// killed in between would otherwise come back with a new id and find
	// the file owned by "another gtail", itself, for good.
	if !t.st.OwnerSaved() {
		if err := t.save(t.shipCtx, "save the state's owner id"); err != nil {
			return err
		}
	}
	key := t.o.Dest.Key + keytmpl.OwnerDir + "owner/" + strings.ReplaceAll(t.o.Host, "/", "_") + "/" + strings.TrimLeft(filepath.ToSlash(path), "/")
	if err := t.app.Claim(t.shipCtx, key, t.st.Owner, "host "+t.o.Host+", state "+t.st.Path()); err != nil {
		return err
	}
	t.claimed[path] = true
	return nil
}

// warnOnce logs a problem with a path the first time it is seen, not on
// every poll.
func (t *tailer) warnOnce(path, msg string, err error) {
	if t.warned[path+msg] {
		return
	}
	t.warned[path+msg] = true
	if err != nil {
		t.log.Warn(msg, "path", path, "err", err)
	} else {
		t.log.Warn(msg, "path", path)
	}
}

// unreadable reports a file gtail may not open (permissions). Following,
// it is tried again on every look, so that fixing the permissions is
// enough; with --once it counts as a failed file, so cron sees a non-zero
// status.
func (t *tailer) unreadable(p string, err error) {
	if !t.o.Once {
		t.warnOnce(p, "cannot open; will try again", err)
		return
	}
	if t.warned[p+"unreadable"] {
		return
	}
	t.warned[p+"unreadable"] = true
	t.total.Add(1)
	t.failed.Add(1)
	t.firstErr.CompareAndSwap(nil, &err)
	t.log.Error("file skipped", "path", p, "err", err)
}

func (t *tailer) reportLoss(path string, n int64, why string) {
	t.lost.Add(n)
	t.log.Error("BYTES LOST", "path", path, "bytes", n, "why", why)
}

// status logs a summary on SIGUSR1: per file where it is and how far behind.
func (t *tailer) status() {
	var files int
	var lag int64
	for e, g := range t.gens {
		select {
		case <-g.ended:
			continue
		default:
		}
		t.st.Lock() // the gen owns g.f; its entry says what it last saw
		off, size, key, pos := e.Offset, e.Size, e.Key, e.Pos
		t.st.Unlock()
		files++
		lag += max(size-off, 0)
		t.log.Info("status", "path", e.Path, "rotated", g.detached.Load(), "offset", off, "size", size,
			"lag_bytes", max(size-off, 0), "object", key, "object_size", pos)
	}
	t.log.Info("status summary", "files", files, "shipped_bytes", t.shipped.Load(), "lag_bytes", lag,
		"failed_files", t.failed.Load(), "lost_bytes", t.lost.Load())
}
