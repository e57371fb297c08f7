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
// directories (inotify through fsnotify), and in any case every Poll, so that
// an event lost or unsupported (NFS, overlay corner cases, directories that
// appear later) delays a change by at most Poll. Wakes are coalesced: C holds
// at most one pending wake, and bursts of events are folded into one wake per
// Settle, so a busy writer does not keep the follower spinning.
type Watcher struct {
	C <-chan struct{}

	c      chan struct{}
	fs     *fsnotify.Watcher
	log    *slog.Logger
	poll   time.Duration
	settle time.Duration

	mu   sync.Mutex
	dirs map[string]bool
}

// NewWatcher starts a watcher. Without inotify it still polls.
func NewWatcher(ctx context.Context, poll, settle time.Duration, log *slog.Logger) *Watcher {
	c := make(chan struct{}, 1)
	w := &Watcher{C: c, c: c, log: log, poll: poll, settle: settle, dirs: map[string]bool{}}
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
			// Not there yet: the poll picks it up, and Watch is tried again.
			continue
		}
		w.dirs[d] = true
	}
}

// Wake makes the follower look now.
func (w *Watcher) Wake() {
	select {
	case w.c <- struct{}{}:
	default:
	}
}

func (w *Watcher) loop(ctx context.Context) {
	tick := time.NewTicker(w.poll)
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
