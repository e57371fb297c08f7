package follow

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watcher wakes a follower when something may have changed in the watched
// directories (inotify through fsnotify), and besides by polling: every Poll
// while inotify cannot cover everything (unavailable, or a directory that
// could not be watched: not there yet, a glob, the watch limit reached), and
// only every Safety once every directory asked for is watched — a safety net
// for events lost or never sent (writes from another NFS client), which
// then delay a change by at most Safety. Waking 100 followed files every
// second costs CPU for nothing when inotify already says what changed.
// Wakes are coalesced: C holds at most one pending wake, and bursts of
// events are folded into one wake per Settle, so a busy writer does not keep
// the follower spinning.
type Watcher struct {
	C <-chan struct{}

	c      chan struct{}
	fs     *fsnotify.Watcher
	log    *slog.Logger
	poll   time.Duration
	safety time.Duration
	settle time.Duration

	mu        sync.Mutex
	dirs      map[string]bool
	subs      map[string]map[*func()]bool // per file: called at once on its events
	unwatched bool                        // a directory asked for is not watched
	retick    chan struct{}               // the poll interval may have changed
}

// NewWatcher starts a watcher polling every poll, or every safety (at least
// poll) while inotify watches every directory asked for. Without inotify it
// polls every poll.
func NewWatcher(ctx context.Context, poll, safety, settle time.Duration, log *slog.Logger) *Watcher {
	c := make(chan struct{}, 1)
	w := &Watcher{C: c, c: c, log: log, poll: poll, safety: max(safety, poll), settle: settle,
		dirs: map[string]bool{}, subs: map[string]map[*func()]bool{}, retick: make(chan struct{}, 1)}
	fs, err := fsnotify.NewWatcher()
	if err != nil {
		log.Warn("inotify unavailable; polling", "interval", poll, "err", err)
	} else {
		w.fs = fs
	}
	go w.loop(ctx)
	return w
}

// Watch adds the directory of path (and, for a symlink, of its target), once.
// Call it for every path and pattern of interest on every look (Begin …
// Watch… End): a directory that cannot be watched keeps the fast poll on.
func (w *Watcher) Watch(path string) {
	if w.fs == nil {
		return
	}
	dirs := []string{filepath.Dir(path)}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if real, err := filepath.EvalSymlinks(path); err == nil {
			dirs = append(dirs, filepath.Dir(real))
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, d := range dirs {
		if w.dirs[d] {
			continue
		}
		if err := w.fs.Add(d); err != nil {
			// Not there yet (or a glob, or no watches left): poll
			// every Poll, and Watch is tried again.
			w.unwatched = true
			continue
		}
		w.dirs[d] = true
	}
}

// Subscribe calls f on every inotify event naming path (or, for a symlink,
// its target), at once, without the settling C has, until the returned
// function is called. f must not block. A follower uses it to read what is
// written as soon as it is written: with copytruncate, bytes written between
// logrotate's copy and its truncation are gone a few milliseconds later.
func (w *Watcher) Subscribe(path string, f func()) (cancel func()) {
	names := []string{filepath.Clean(path)}
	if real, err := filepath.EvalSymlinks(path); err == nil && real != names[0] {
		names = append(names, real)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, n := range names {
		if w.subs[n] == nil {
			w.subs[n] = map[*func()]bool{}
		}
		w.subs[n][&f] = true
	}
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, n := range names {
			delete(w.subs[n], &f)
			if len(w.subs[n]) == 0 {
				delete(w.subs, n)
			}
		}
	}
}

func (w *Watcher) notify(name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for f := range w.subs[name] {
		(*f)()
	}
}

// Begin starts a round of Watch calls; End, after them, sets the poll
// interval by whether every directory asked for in the round is watched.
func (w *Watcher) Begin() {
	w.mu.Lock()
	w.unwatched = false
	w.mu.Unlock()
}

// End: see Begin.
func (w *Watcher) End() {
	select {
	case w.retick <- struct{}{}:
	default:
	}
}

// interval is how often to poll now.
func (w *Watcher) interval() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fs == nil || w.unwatched {
		return w.poll
	}
	return w.safety
}

// Wake makes the follower look now.
func (w *Watcher) Wake() {
	select {
	case w.c <- struct{}{}:
	default:
	}
}

func (w *Watcher) loop(ctx context.Context) {
	every := w.poll
	tick := time.NewTicker(every)
	defer tick.Stop()
	var events <-chan fsnotify.Event
	var errs <-chan error
	if w.fs != nil {
		defer w.fs.Close()
		events, errs = w.fs.Events, w.fs.Errors
	}
	var settle <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			w.Wake()
		case <-w.retick:
			if d := w.interval(); d != every {
				every = d
				tick.Reset(d)
			}
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
				w.mu.Lock()
				delete(w.dirs, ev.Name) // a watched directory went away
				w.mu.Unlock()
			}
			w.notify(ev.Name)
			if settle == nil {
				settle = time.After(w.settle)
			}
		case <-settle:
			settle = nil
			w.Wake()
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			w.log.Warn("inotify", "err", err)
			w.Wake()
		}
	}
}
