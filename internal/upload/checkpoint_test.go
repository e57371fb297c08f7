package upload

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCheckpointSweep (issue 13.10): what kill -9 leaves of a checkpoint
// write is removed at the next multipart upload — but never a temporary file
// a running ossuploader may still be writing.
func TestCheckpointSweep(t *testing.T) {
	state := t.TempDir()
	s := newCheckpoints(Options{StateDir: state})
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	file := func(name string, mtime time.Time) string {
		p := filepath.Join(s.dir, name)
		if err := os.WriteFile(p, []byte("{"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	own := s.name("/src/own", "e", "b", "k")
	busy := s.name("/src/busy", "e", "b", "k")
	gone := s.name("/src/gone", "e", "b", "k")
	idle := s.name("/src/idle", "e", "b", "k")

	// busy's lock is held by a "running ossuploader" (another open file).
	file(filepath.Base(busy)+".lock", time.Now())
	holder, err := os.OpenFile(busy+".lock", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if err := lockFile(holder); err != nil {
		t.Fatal(err)
	}
	file(filepath.Base(idle)+".lock", old) // left by a killed run: nobody holds it

	removed := map[string]string{
		"own, fresh":        file(filepath.Base(own)+".tmp-1", time.Now()),
		"no lock file, old": file(filepath.Base(gone)+".tmp-2", old),
		"lock not held":     file(filepath.Base(idle)+".tmp-3", old),
		"old naming, old":   file(".tmp-4", old),
	}
	kept := map[string]string{
		"lock held":           file(filepath.Base(busy)+".tmp-5", old),
		"no lock file, fresh": file(filepath.Base(gone)+".tmp-6", time.Now()),
		"old naming, fresh":   file(".tmp-7", time.Now()),
		"a checkpoint":        file(filepath.Base(idle)+".json", old),
	}
	f, err := s.lock(own)
	if err != nil {
		t.Fatal(err)
	}
	defer s.unlock(f, true)
	for what, p := range removed {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s: %s not removed (%v)", what, filepath.Base(p), err)
		}
	}
	for what, p := range kept {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %s removed (%v)", what, filepath.Base(p), err)
		}
	}
}

// TestCheckpointTmpNamed: a checkpoint being written carries its name, so
// that sweep can tell whose it is.
func TestCheckpointTmpNamed(t *testing.T) {
	s := newCheckpoints(Options{StateDir: t.TempDir()})
	name := s.name("/src/a", "e", "b", "k")
	f, err := s.lock(name)
	if err != nil {
		t.Fatal(err)
	}
	defer s.unlock(f, true)
	if err := s.save(name, &checkpoint{Version: checkpointVersion}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(name + ".json"); err != nil {
		t.Fatal(err)
	}
	if m, _ := filepath.Glob(filepath.Join(s.dir, "*"+tmpInfix+"*")); len(m) != 0 {
		t.Errorf("temporary files left: %q", m)
	}
}
