//go:build unix

package ship

import (
	"bytes"
	"errors"
	"fmt"
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

// saved opens the state of dest in dir, gives it n entries and saves it.
func saved(t *testing.T, dir string, n int) *State {
	t.Helper()
	s, err := Open(dir, "oss://b/logs/")
	if err != nil {
		t.Fatal(err)
	}
	setEntries(s, n)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	return s
}

func setEntries(s *State, n int) {
	s.Lock()
	defer s.Unlock()
	s.Entries = nil
	for i := range n {
		s.Entries = append(s.Entries, &Entry{Path: fmt.Sprintf("/var/log/app-%d.log", i), Identity: follow.Identity{Dev: 1, Ino: uint64(i)},
			Gen: "g", Offset: int64(i), Key: fmt.Sprintf("logs/app-%d.log/g-0000", i)})
	}
}

// reopen closes s and opens its state again, returning how many entries it
// holds.
func reopen(t *testing.T, s *State) int {
	t.Helper()
	s.Close()
	s2, err := Open(filepath.Dir(s.Path()), "oss://b/logs/")
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	return len(s2.Entries)
}

// TestStateSlotsInPlace: after the file is made, saves overwrite it in
// place (the same inode: no temporary file, no rename), alternating between
// its two slots; the file reads as text, each copy of the state followed
// by nothing but padding, also after the state shrank.
func TestStateSlotsInPlace(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s := saved(t, dir, 50)
	first, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	for n := 49; n >= 40; n-- {
		setEntries(s, n)
		if err := s.Save(); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(first, fi) || fi.Size() != first.Size() {
		t.Fatalf("the state file was replaced or resized by an in-place save")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("files in the state dir: %v, want the state and its lock", ents)
	}
	raw, _ := os.ReadFile(s.Path())
	size := len(raw) / 2
	if size != minSlot {
		t.Errorf("slot size %d, want %d", size, minSlot)
	}
	for i, seq := range []int{11, 10} { // 11 saves: the first made the file
		sl := string(raw[i*size : (i+1)*size])
		head := fmt.Sprintf("gtail-state seq=%020d len=", seq)
		if !strings.HasPrefix(sl, head) {
			t.Fatalf("slot %d starts %q, want %q", i, sl[:headerLen], head)
		}
		end := strings.LastIndex(sl, "}\n")
		if strings.TrimLeft(sl[end+2:], " ") != "\n" || !strings.Contains(sl, `"path": "/var/log/app-39.log"`) || strings.Contains(sl, "app-40.log") != (i == 1) {
			t.Errorf("slot %d is not its state and padding:\n%s", i, strings.TrimRight(sl, " \n"))
		}
	}
	if n := reopen(t, s); n != 40 {
		t.Fatalf("reopened with %d entries, want 40", n)
	}
}

// TestStateTornSlot: a save torn by a crash damages only the slot it
// wrote; Open loads the other, the last state saved whole, and the next save
// goes to the damaged slot, never over that state.
func TestStateTornSlot(t *testing.T) {
	for _, c := range []struct {
		name string
		tear func(slot []byte)
	}{
		{"garbage", func(sl []byte) {
			for i := range sl {
				sl[i] = byte(i*7 + 3)
			}
		}},
		{"half written", func(sl []byte) {
			// A newer save's header and the first half of its JSON over
			// the older bytes.
			newer := slotContent(99, bytes.Repeat([]byte("x"), 3000))
			copy(sl, newer[:len(newer)/2])
		}},
		{"a changed byte", func(sl []byte) { sl[headerLen+20] ^= 1 }},
		{"a newer seq over the old slot", func(sl []byte) { copy(sl, fmt.Sprintf("gtail-state seq=%020d", 99)) }},
		{"zeros", func(sl []byte) { clear(sl) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			s := saved(t, dir, 3) // slot 0
			setEntries(s, 4)
			if err := s.Save(); err != nil { // slot 1
				t.Fatal(err)
			}
			s.Close()
			raw, _ := os.ReadFile(s.Path())
			c.tear(raw[len(raw)/2:])
			os.WriteFile(s.Path(), raw, 0o600)
			s2, err := Open(dir, "oss://b/logs/")
			if err != nil {
				t.Fatal(err)
			}
			if len(s2.Entries) != 3 {
				t.Fatalf("loaded %d entries, want the 3 of the whole slot", len(s2.Entries))
			}
			setEntries(s2, 5)
			if err := s2.Save(); err != nil {
				t.Fatal(err)
			}
			after, _ := os.ReadFile(s.Path())
			if !bytes.Equal(after[:len(after)/2], raw[:len(raw)/2]) {
				t.Fatalf("the save after the tear overwrote the whole slot")
			}
			if n := reopen(t, s2); n != 5 {
				t.Fatalf("reopened with %d entries, want 5", n)
			}
		})
	}
}

// TestStateBothSlotsBad: a state file neither of whose copies is whole is
// refused as corrupt, saying why for each.
func TestStateBothSlotsBad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s := saved(t, dir, 3)
	setEntries(s, 4)
	s.Save()
	s.Close()
	raw, _ := os.ReadFile(s.Path())
	raw[headerLen+10] ^= 1
	copy(raw[len(raw)/2:], "gtail-state seq=xyz")
	os.WriteFile(s.Path(), raw, 0o600)
	_, err := Open(dir, "oss://b/logs/")
	want := s.Path() + ": state file is corrupt: neither of its two copies of the state is whole (first: seq 1, not whole (its checksum does not match: a torn write); second: a damaged header)"
	if !errors.Is(err, ErrCorrupt) || err.Error() != want {
		t.Fatalf("Open = %v,\nwant %s", err, want)
	}
	os.WriteFile(s.Path(), raw[:len(raw)-1], 0o600)
	if _, err := Open(dir, "oss://b/logs/"); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "not two slots") {
		t.Fatalf("Open of a cut file = %v, want a corrupt-state error", err)
	}
}

// TestStatePlainJSON: the plain JSON state files of older gtails (versions
// 1 and 2) load, and the first save converts them to slots.
func TestStatePlainJSON(t *testing.T) {
	for _, c := range []struct {
		name, json string
		noCRC      bool
	}{
		{"version 1", `{"version":1,"dest":"oss://b/logs/","last_gen":"g","files":[{"path":"/a.log","dev":1,"ino":2,"gen":"g","offset":10,"size":10,"key":"k","pos":10,"crc":7}]}`, true},
		{"version 2", `{"version":2,"dest":"oss://b/logs/","owner":"0123456789abcdef","last_gen":"g","files":[{"path":"/a.log","dev":1,"ino":2,"gen":"g","offset":10,"size":10,"key":"k","pos":10,"crc":7,"file_crc":8,"start_crc":0}]}`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			os.Mkdir(dir, 0o700)
			path := filepath.Join(dir, FileName("oss://b/logs/"))
			os.WriteFile(path, []byte(c.json), 0o600)
			s, err := Open(dir, "oss://b/logs/")
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Entries) != 1 || s.Entries[0].Key != "k" || s.Entries[0].NoFileCRC != c.noCRC || s.LastGen != "g" {
				t.Fatalf("loaded %+v", s.Entries[0])
			}
			if err := s.Save(); err != nil {
				t.Fatal(err)
			}
			raw, _ := os.ReadFile(path)
			if !bytes.HasPrefix(raw, []byte("gtail-state seq=00000000000000000001 ")) || len(raw) != 2*minSlot {
				t.Fatalf("not converted to slots: %q", raw[:min(len(raw), 100)])
			}
			if n := reopen(t, s); n != 1 {
				t.Fatalf("reopened with %d entries", n)
			}
		})
	}
}

// TestStateGrows: a state that outgrows its slot is written to a new,
// larger file (the old way: temporary file, rename); while that cannot be
// done (a full disk; here a directory where the temporary file goes) the
// save fails and the file keeps the last state saved.
func TestStateGrows(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s := saved(t, dir, 10)
	blocker := s.Path() + ".tmp"
	os.Mkdir(blocker, 0o700)
	setEntries(s, 1000)
	if err := s.Save(); err == nil {
		t.Fatal("a state outgrowing its slot saved with no room for a new file")
	}
	b, err := ReadFile(s.Path())
	if err != nil || !strings.Contains(string(b), "app-9.log") || strings.Contains(string(b), "app-10.log") {
		t.Fatalf("the failed save changed the state (%v)", err)
	}
	os.Remove(blocker)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(s.Path())
	if fi.Size() <= 2*minSlot || fi.Size()%slotAlign != 0 {
		t.Fatalf("grown to %d bytes", fi.Size())
	}
	setEntries(s, 1001)
	if err := s.Save(); err != nil { // in place again
		t.Fatal(err)
	}
	if n := reopen(t, s); n != 1001 {
		t.Fatalf("reopened with %d entries, want 1001", n)
	}
}

// TestStateFileDeleted: a state file deleted (or replaced) while gtail runs
// is made again at the next save, not written on unseen.
func TestStateFileDeleted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s := saved(t, dir, 3)
	os.Remove(s.Path())
	setEntries(s, 4)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	if n := reopen(t, s); n != 4 {
		t.Fatalf("reopened with %d entries, want 4", n)
	}
}

// TestStateTornAtEveryByte: a save cut off at any byte — its start reached
// the disk and not its end, or (sectors written out of order) its end and
// not its start — leaves the state saved before it, or, once all of its
// header and JSON are there, the new state; never anything else.
func TestStateTornAtEveryByte(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s := saved(t, dir, 2) // slot 0
	defer s.Close()
	save := func(n int) []byte {
		setEntries(s, n)
		if err := s.Save(); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(s.Path())
		return b
	}
	before := save(5) // slot 1 holds the newest
	after := save(4)  // the save torn below: slot 0
	old, _, _ := decode(before)
	cur, _, _ := decode(after)
	whole := headerLen + len(cur)
	written := len(after) / 2 // the bytes the save wrote, to the last that changed
	for written > 0 && before[written-1] == after[written-1] {
		written--
	}
	torn := make([]byte, len(after))
	for cut := 0; cut <= written; cut++ {
		for _, headFirst := range []bool{true, false} {
			copy(torn, before)
			if headFirst {
				copy(torn, after[:cut])
			} else {
				copy(torn[cut:], after[cut:written])
			}
			got, _, err := decode(torn)
			if err != nil {
				t.Fatalf("cut at %d: %v", cut, err)
			}
			want := old
			if bytes.Equal(torn[:whole], after[:whole]) {
				want = cur
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("cut at %d (head first %v): loaded the wrong state", cut, headFirst)
			}
		}
	}
}
