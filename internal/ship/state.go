// Package ship holds gtail's exactly-once machinery: the state file that
// records, per followed file generation, how far the file has been shipped
// and to which object; and the appender that moves bytes from a file to an
// OSS appendable object and settles every ambiguous outcome against OSS
// (object length + CRC64) instead of guessing.
package ship

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ossx/ossx/internal/follow"
)

// Entry is what the state knows about one generation of one file.
//
// The invariant that makes restarts exact: the object Key holds exactly the
// file bytes [ObjStart, Offset) (compressed when gzip), Pos bytes long with
// CRC64 CRC — or, if gtail died between an append and the next save, those
// bytes plus more that Reconcile verifies against the file before moving on.
// A new Key is saved before anything is appended to it.
//
// FileCRC and StartCRC make the shipped bytes provable without OSS: a file
// claimed as this generation's copytruncate copy must hold bytes [0, Offset)
// with CRC64 FileCRC, and a state edited by hand is noticed because the
// fields no longer agree (see Check). State files of version 1 did not
// record them (NoFileCRC); they are computed from the file when it is still
// there, and a copy of such a generation is proven by the object's CRC.
type Entry struct {
	Path string `json:"path"` // as followed (glob match or argument)
	follow.Identity
	Gen string `json:"gen"` // generation id, part of the key
	Seq int    `json:"seq"` // object number within the generation

	Offset   int64  `json:"offset"`    // file bytes shipped
	Size     int64  `json:"size"`      // file size when last seen
	Key      string `json:"key"`       // current object
	ObjStart int64  `json:"obj_start"` // file offset where Key began
	Pos      int64  `json:"pos"`       // object length (next append position)
	CRC      uint64 `json:"crc"`       // object CRC64-ECMA
	FileCRC  uint64 `json:"file_crc"`  // CRC64-ECMA of the file bytes [0, Offset)
	StartCRC uint64 `json:"start_crc"` // CRC64-ECMA of the file bytes [0, ObjStart)

	NoFileCRC bool `json:"no_file_crc,omitempty"` // FileCRC and StartCRC unknown (state version 1)

	Done bool `json:"done,omitempty"` // drained (or gone): kept only to recognise the file
}

// stateVersion 2 added FileCRC and StartCRC.
const stateVersion = 2

type file struct {
	Version  int       `json:"version"`
	Dest     string    `json:"dest"`
	Owner    string    `json:"owner"`
	LastGen  string    `json:"last_gen"`
	KeyClock time.Time `json:"key_clock"`
	Files    []*Entry  `json:"files"`
}

// State is the state file of one destination, locked against a second gtail.
// Entries are changed under Lock/Unlock and persisted by Save.
type State struct {
	mu      sync.Mutex
	Entries []*Entry
	LastGen string // the last generation id issued: ids never repeat
	// Owner is this state's id, made once: it names the gtail that ships
	// a file in the file's owner object (see Appender.Claim).
	Owner string
	// KeyClock is the latest time a key was made for ({date}, {hour}):
	// keys never use an earlier one, so that a clock stepped back does not
	// put later bytes before earlier ones in key order.
	KeyClock time.Time

	path       string
	dest       string
	lock       *os.File
	saveMu     sync.Mutex
	ownerSaved bool // Owner is in the state file (under mu)
}

// ErrLocked is returned by Open when another gtail holds the state.
var ErrLocked = errors.New("state is locked by another gtail")

// ErrCorrupt is returned by Open when the state file cannot be read as one.
var ErrCorrupt = errors.New("state file is corrupt")

// FileName is the state file name for a destination such as
// "oss://bucket/prefix/": readable, and unique through a hash.
func FileName(dest string) string {
	sum := sha256.Sum256([]byte(dest))
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, strings.TrimPrefix(dest, "oss://"))
	if len(name) > 80 {
		name = name[:80]
	}
	return name + "-" + hex.EncodeToString(sum[:4]) + ".json"
}

// Open locks and loads the state of dest in dir, creating dir (0700).
func Open(dir, dest string) (*State, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state dir: %w", err)
	}
	path := filepath.Join(dir, FileName(dest))
	lock, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state lock: %w", err)
	}
	if err := lockFile(lock); err != nil {
		lock.Close()
		if errors.Is(err, ErrLocked) {
			return nil, fmt.Errorf("%s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("state lock %s: %w", path, err)
	}
	s := &State{path: path, dest: dest, lock: lock, Owner: newOwner()}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return s, nil
	case err != nil:
		s.Close()
		return nil, fmt.Errorf("read state: %w", err)
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		s.Close()
		return nil, fmt.Errorf("%s: %w: %v", path, ErrCorrupt, err)
	}
	switch f.Version {
	case 1:
		for _, e := range f.Files {
			e.NoFileCRC = e.Offset > 0
		}
	case stateVersion:
	default:
		s.Close()
		return nil, fmt.Errorf("%s: %w: version %d, this gtail reads versions 1 and %d", path, ErrCorrupt, f.Version, stateVersion)
	}
	if f.Dest != dest {
		s.Close()
		return nil, fmt.Errorf("state file %s belongs to %s, not %s", path, f.Dest, dest)
	}
	s.Entries, s.LastGen, s.KeyClock = f.Files, f.LastGen, f.KeyClock
	if f.Owner != "" {
		s.Owner = f.Owner
		s.ownerSaved = true
	}
	return s, nil
}

func newOwner() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Forget drops the entries whose path match selects and returns them, in
// order; the caller saves.
func (s *State) Forget(match func(path string) bool) []*Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var gone []*Entry
	kept := s.Entries[:0]
	for _, e := range s.Entries {
		if match(e.Path) {
			gone = append(gone, e)
		} else {
			kept = append(kept, e)
		}
	}
	s.Entries = kept
	return gone
}

// Path is the state file's path.
func (s *State) Path() string { return s.path }

// Lock guards Entries and every Entry in it.
func (s *State) Lock() { s.mu.Lock() }

// Unlock releases Lock.
func (s *State) Unlock() { s.mu.Unlock() }

// Save writes the state atomically and durably: temp file, fsync, rename,
// fsync of the directory. Concurrent Saves are serialised; each writes a
// snapshot taken under Lock.
func (s *State) Save() error {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	data, err := json.MarshalIndent(file{Version: stateVersion, Dest: s.dest, Owner: s.Owner, LastGen: s.LastGen, KeyClock: s.KeyClock, Files: s.Entries}, "", " ")
	s.mu.Unlock()
	if err != nil {
		return err
	}
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	_, err = f.Write(append(data, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, s.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("save state: %w", err)
	}
	d, err := os.Open(filepath.Dir(s.path))
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("save state: sync dir: %w", err)
	}
	s.mu.Lock()
	s.ownerSaved = true
	s.mu.Unlock()
	return nil
}

// OwnerSaved reports whether Owner is in the state file already: an owner
// object must never name an id that a restart would not read back.
func (s *State) OwnerSaved() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ownerSaved
}

// Close releases the lock.
func (s *State) Close() error {
	if s.lock == nil {
		return nil
	}
	err := s.lock.Close()
	s.lock = nil
	return err
}
