//go:build unix

package ship

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ossx/ossx/internal/follow"
)

func TestStateRoundTripAndLock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s, err := Open(dir, "oss://b/logs/")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, "oss://b/logs/"); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	other, err := Open(dir, "oss://b/other/")
	if err != nil {
		t.Fatalf("another destination: %v", err)
	}
	other.Close()
	s.Lock()
	s.Entries = append(s.Entries, &Entry{Path: "/var/log/app.log", Identity: follow.Identity{Dev: 1, Ino: 2, HeadLen: 3, HeadCRC: 4},
		Gen: "g", Offset: 10, Size: 12, Key: "k", Pos: 10, CRC: 99})
	s.LastGen = "g"
	s.Unlock()
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state mode %v, want 0600", fi.Mode().Perm())
	}
	if d, _ := os.Stat(dir); d.Mode().Perm() != 0o700 {
		t.Errorf("state dir mode %v, want 0700", d.Mode().Perm())
	}
	s.Close()
	s2, err := Open(dir, "oss://b/logs/")
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if len(s2.Entries) != 1 || *s2.Entries[0] != *s.Entries[0] || s2.LastGen != "g" {
		t.Fatalf("reloaded %+v", s2.Entries)
	}
}

func TestStateCorrupt(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, FileName("oss://b/x/")), []byte("{not json"), 0o600)
	if _, err := Open(dir, "oss://b/x/"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open = %v, want a corrupt-state error", err)
	}
}

func TestFileName(t *testing.T) {
	a, b := FileName("oss://b/logs/"), FileName("oss://b/logs_")
	if a == b {
		t.Fatalf("distinct destinations share %q", a)
	}
	if strings.ContainsAny(a, "/:") {
		t.Fatalf("%q is not a plain file name", a)
	}
}
