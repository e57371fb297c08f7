package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCheckpointSweep (issue 13.10): what kill -9 leaves of a checkpoint
// write is removed when the next transfer takes its lock — but never a
// temporary file a running ossuploader or ossget may still be writing.
func TestCheckpointSweep(t *testing.T) {
	s := New(filepath.Join(t.TempDir(), "uploads"))
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
	own := s.Name("/src/own", "e", "b", "k")
	busy := s.Name("/src/busy", "e", "b", "k")
	gone := s.Name("/src/gone", "e", "b", "k")
	idle := s.Name("/src/idle", "e", "b", "k")

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
	f, err := s.Lock(own)
	if err != nil {
		t.Fatal(err)
	}
	defer Unlock(f, true)
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
	s := New(t.TempDir())
	name := s.Name("/src/a", "e", "b", "k")
	f, err := s.Lock(name)
	if err != nil {
		t.Fatal(err)
	}
	defer Unlock(f, true)
	if err := s.Save(name, map[string]int{"version": 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(name + ".json"); err != nil {
		t.Fatal(err)
	}
	if m, _ := filepath.Glob(filepath.Join(s.dir, "*"+tmpInfix+"*")); len(m) != 0 {
		t.Errorf("temporary files left: %q", m)
	}
}

// TestStore: a checkpoint goes through Save, Load and Drop as written,
// private to its user, and a missing or damaged one reads as none.
func TestStore(t *testing.T) {
	s := New(filepath.Join(t.TempDir(), "state", "downloads"))
	name := s.Name("endpoint", "bucket", "key", "/dest")
	if name == s.Name("endpoint", "bucket", "ke", "y/dest") {
		t.Fatal("Name does not keep its fields apart")
	}
	f, err := s.Lock(name)
	if err != nil {
		t.Fatal(err)
	}
	defer Unlock(f, true)
	if fi, err := os.Stat(s.Dir()); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("directory: %v, %v; want mode 0700", fi.Mode(), err)
	}

	type rec struct {
		Version int   `json:"version"`
		Parts   []int `json:"parts"`
	}
	var got rec
	if ok, err := s.Load(name, &got); ok || err != nil || s.Exists(name) {
		t.Errorf("Load before Save: %v, %v; want none", ok, err)
	}
	want := rec{Version: 1, Parts: []int{1}}
	if err := s.Save(name, &want); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(name, &want, func() { want.Parts = append(want.Parts, 2) }); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Load(name, &got); !ok || err != nil || got.Version != 1 || len(got.Parts) != 2 {
		t.Errorf("Load = %v, %v, %+v; want %+v", ok, err, got, want)
	}
	if fi, err := os.Stat(name + ".json"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("checkpoint: %v, %v; want mode 0600", fi.Mode(), err)
	}

	if err := os.WriteFile(name+".json", []byte(`{"version":`), 0o600); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Load(name, &got); ok || err != nil {
		t.Errorf("Load of a damaged checkpoint: %v, %v; want none", ok, err)
	}
	if err := s.Drop(name); err != nil || s.Exists(name) {
		t.Errorf("Drop: %v", err)
	}
	if err := s.Drop(name); err != nil {
		t.Errorf("Drop of a missing checkpoint: %v", err)
	}
}

// TestLockHeld: a second run of the same transfer finds the lock taken,
// another transfer does not, and the lock is free again once released.
func TestLockHeld(t *testing.T) {
	s := New(t.TempDir())
	a, b := s.Name("a"), s.Name("b")
	f, err := s.Lock(a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lock(a); !errors.Is(err, ErrLocked) {
		t.Errorf("second Lock of a: %v, want ErrLocked", err)
	}
	g, err := s.Lock(b)
	if err != nil {
		t.Errorf("Lock of b: %v", err)
	} else {
		Unlock(g, true)
	}
	Unlock(f, false)
	if _, err := os.Stat(a + ".lock"); err != nil {
		t.Errorf("Unlock without remove removed the lock file: %v", err)
	}
	f, err = s.Lock(a)
	if err != nil {
		t.Fatalf("Lock after Unlock: %v", err)
	}
	Unlock(f, true)
	if _, err := os.Stat(a + ".lock"); !os.IsNotExist(err) {
		t.Errorf("Unlock with remove left the lock file: %v", err)
	}
}

// TestLockNoDirectory: a state directory that cannot be made is an error of
// Lock, not ErrLocked.
func TestLockNoDirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s := New(filepath.Join(file, "uploads"))
	if _, err := s.Lock(s.Name("a")); err == nil || errors.Is(err, ErrLocked) {
		t.Errorf("Lock under a file: %v, want a directory error", err)
	}
}
