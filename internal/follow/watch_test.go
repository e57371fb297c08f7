package follow

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestWatcherPollsRarelyWhenWatching: while every directory asked for is
// watched by inotify, the watcher polls only every safety interval; a
// directory it cannot watch (not there yet, a glob) brings the fast poll
// back until it can. Changes are still reported at once through inotify.
func TestWatcherPollsRarelyWhenWatching(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := NewWatcher(ctx, time.Second, time.Hour, time.Millisecond, slog.New(slog.DiscardHandler))
	if w.fs == nil {
		t.Skip("no inotify here")
	}
	dir := t.TempDir()
	later := filepath.Join(dir, "later")

	round := func(paths ...string) time.Duration {
		w.Begin()
		for _, p := range paths {
			w.Watch(p)
		}
		w.End()
		return w.interval()
	}
	if d := round(filepath.Join(dir, "app.log")); d != time.Hour {
		t.Errorf("every directory watched: polls every %v, want the safety interval", d)
	}
	if d := round(filepath.Join(dir, "app.log"), filepath.Join(later, "app.log")); d != time.Second {
		t.Errorf("a directory not there yet: polls every %v, want the poll interval", d)
	}
	if d := round(filepath.Join(dir, "*", "app.log")); d != time.Second {
		t.Errorf("a glob directory: polls every %v, want the poll interval", d)
	}
	if err := os.Mkdir(later, 0o755); err != nil {
		t.Fatal(err)
	}
	if d := round(filepath.Join(dir, "app.log"), filepath.Join(later, "app.log")); d != time.Hour {
		t.Errorf("the directory appeared: polls every %v, want the safety interval", d)
	}

	// Drain any wake so far, then a write in a watched directory wakes.
	select {
	case <-w.C:
	default:
	}
	if err := os.WriteFile(filepath.Join(later, "app.log"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.C:
	case <-time.After(30 * time.Second):
		t.Fatal("no wake from inotify")
	}
}
