// Package checkpoint keeps the records of resumable transfers (ossuploader's
// multipart uploads, ossget's ranged downloads) under a state directory: one
// JSON file a transfer, named by a digest of what identifies it, written
// atomically (a temporary file, mode 0600, synced, renamed), guarded by a
// lock file that the kernel drops with its process, and swept of what
// kill -9 left of a write.
package checkpoint

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// ErrLocked means another process holds the lock of the same transfer.
var ErrLocked = errors.New("locked")

// Store is the directory of one kind of checkpoint (…/ossx/uploads,
// …/ossx/downloads). A checkpoint is named by Name and lives in NAME.json,
// its lock in NAME.lock.
type Store struct {
	dir string
	mu  sync.Mutex // one write at a time: the last rename holds the latest record
}

// New returns the store in dir; dir is made (0700) by the first Lock.
func New(dir string) *Store { return &Store{dir: dir} }

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// Name is the path, without extension, of the checkpoint identified by
// fields (source, endpoint, bucket, key, destination…).
func (s *Store) Name(fields ...string) string {
	h := sha256.New()
	for _, v := range fields {
		h.Write([]byte(v))
		h.Write([]byte{0})
	}
	return filepath.Join(s.dir, hex.EncodeToString(h.Sum(nil))[:32])
}

// Lock takes an exclusive lock for one transfer, so that two runs of the
// same command do not fight over one checkpoint; the kernel drops it when
// the process dies, kill -9 included. A lock held elsewhere is ErrLocked;
// other errors are the state directory's (it cannot be made, or written).
//
// The directory is made here, when a checkpoint is first needed: a run that
// needs none works without a HOME. Holding the lock, Lock sweeps the
// directory of the temporary files of interrupted writes.
func (s *Store) Lock(name string) (*os.File, error) {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, err
	}
	s.sweep(name)
	return f, nil
}

// TryLock takes the kind of lock Lock takes on f, any open file: ossget
// holds one on each temporary file it writes, so that a run sweeping the
// leftovers of killed runs passes over a live one's. ErrLocked when another
// process holds it.
func TryLock(f *os.File) error { return lockFile(f) }

// Unlock releases a lock taken by Lock; with remove, the lock file goes too
// (no checkpoint is left for it to guard).
func Unlock(f *os.File, remove bool) {
	if remove {
		os.Remove(f.Name())
	}
	f.Close()
}

// Load reads name's checkpoint into v and says whether there was one. A
// checkpoint that does not parse (another version's, or damaged) is as good
// as none: a run starts afresh rather than fail every time.
func (s *Store) Load(name string, v any) (bool, error) {
	data, err := os.ReadFile(name + ".json")
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return json.Unmarshal(data, v) == nil, nil
}

// Save writes v as name's checkpoint, atomically.
func (s *Store) Save(name string, v any) error { return s.Update(name, v, nil) }

// Update applies change (which may be nil) to the record v and saves it, one
// caller at a time: parts finishing together each add themselves to v.
func (s *Store) Update(name string, v any, change func()) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if change != nil {
		change()
	}
	// Compact: rewritten after every part, and MarshalIndent took a tenth
	// of an upload's CPU with small parts (BENCHMARKS.md).
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.dir, filepath.Base(name)+tmpInfix+"*")
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name+".json")
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("save checkpoint: %w", err)
	}
	return nil
}

// Drop removes name's checkpoint; a missing one is no error.
func (s *Store) Drop(name string) error {
	err := os.Remove(name + ".json")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Exists says whether name has a checkpoint.
func (s *Store) Exists(name string) bool {
	_, err := os.Stat(name + ".json")
	return err == nil
}

// tmpInfix marks a checkpoint being written: NAME.tmp-RANDOM, renamed to
// NAME.json once it is whole and synced.
const tmpInfix = ".tmp-"

// staleTmp is how old another checkpoint's temporary file must be before
// sweep looks at it: a write takes milliseconds.
const staleTmp = 10 * time.Minute

// sweep removes what kill -9 left of checkpoint writes (issue 13.10): the
// temporary files of own, whose lock this process holds; those of other
// checkpoints when they are stale and no running process holds their lock
// (the kernel drops a lock with its process); and stale ones named before
// temporary files carried their checkpoint's name (".tmp-*"). Best effort:
// what cannot be removed now is looked at next time.
func (s *Store) sweep(own string) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		n := e.Name()
		i := strings.Index(n, tmpInfix)
		if i < 0 {
			continue
		}
		p := filepath.Join(s.dir, n)
		base := filepath.Join(s.dir, n[:i])
		if i > 0 && base == own {
			os.Remove(p)
			continue
		}
		if fi, err := e.Info(); err != nil || time.Since(fi.ModTime()) < staleTmp {
			continue
		}
		if i == 0 {
			os.Remove(p)
			continue
		}
		f, err := os.OpenFile(base+".lock", os.O_RDWR, 0)
		if errors.Is(err, fs.ErrNotExist) {
			// Its writer held the lock while writing, and a finished
			// transfer removes the lock file: nobody is writing it.
			os.Remove(p)
			continue
		}
		if err != nil {
			continue
		}
		if lockFile(f) == nil {
			os.Remove(p)
		}
		f.Close()
	}
}
