// Package ship holds gtail's exactly-once machinery: the state file that
// records, per followed file generation, how far the file has been shipped
// and to which object; and the appender that moves bytes from a file to an
// OSS appendable object and settles every ambiguous outcome against OSS
// (object length + CRC64) instead of guessing.
package ship

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ossx/ossx/internal/crc64ecma"
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

	// Under saveMu: the slotted state file, open for writing (nil before
	// the first save of a new or plain JSON state), and its layout.
	f          *os.File
	slots      slots
	dirPending bool // f was renamed into place but the directory not yet synced
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
	sf, err := os.OpenFile(path, os.O_RDWR, 0)
	writable := err == nil
	if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EROFS) {
		// Readable but not writable in place: the first save makes a new file.
		sf, err = os.Open(path)
	}
	switch {
	case errors.Is(err, os.ErrNotExist):
		return s, nil
	case err != nil:
		s.Close()
		return nil, fmt.Errorf("read state: %w", err)
	}
	raw, err := io.ReadAll(sf)
	if err != nil {
		sf.Close()
		s.Close()
		return nil, fmt.Errorf("read state: %w", err)
	}
	data, sl, err := decode(raw)
	if err != nil {
		sf.Close()
		s.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if sl.size > 0 && writable {
		s.f, s.slots = sf, sl
	} else {
		sf.Close()
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

// Save writes the state durably. Normally it overwrites, in place, the
// slot of the state file that does not hold the newest state (see slots),
// and syncs its data: no new block, no rename, no directory sync — so it
// works on a full disk, and a write torn by a crash leaves the other slot's
// state whole. Only when there is no slotted file yet (the first save, or a
// plain JSON file of an older gtail), it was deleted or replaced, or the
// state has outgrown its slot is a new file made (see create), which needs
// space. Concurrent Saves are serialised; each writes a snapshot taken under
// Lock.
func (s *State) Save() error {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	data, err := json.MarshalIndent(file{Version: stateVersion, Dest: s.dest, Owner: s.Owner, LastGen: s.LastGen, KeyClock: s.KeyClock, Files: s.Entries}, "", " ")
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if s.dirPending {
		// The last new file's rename is not known to be durable yet.
		if err := syncDir(filepath.Dir(s.path)); err != nil {
			return fmt.Errorf("save state: %w", err)
		}
		s.dirPending = false
	}
	if s.f != nil && !s.stillThere() {
		// Deleted or replaced behind gtail's back: writing on would save
		// to a file no start reads.
		s.f.Close()
		s.f = nil
	}
	if s.f != nil && s.slots.fits(data) {
		err = s.slots.write(s.f, data)
	} else {
		err = s.create(data)
	}
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	s.mu.Lock()
	s.ownerSaved = true
	s.mu.Unlock()
	return nil
}

// stillThere reports whether the open state file is still the one at its
// path.
func (s *State) stillThere() bool {
	open, err := s.f.Stat()
	if err != nil {
		return false
	}
	named, err := os.Stat(s.path)
	return err == nil && os.SameFile(open, named)
}

// create writes a new slotted state file holding data, sized for data to
// double, the old way — temporary file, fsync, rename, fsync of the
// directory — and keeps it open for the next saves. It needs free space:
// on a full disk it fails, and the caller retries (the files hold the
// bytes meanwhile).
func (s *State) create(data []byte) error {
	sl := newSlots(data, s.slots.seq)
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(sl.file(data))
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = os.Rename(tmp, s.path)
	}
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	// The file is the state now, whatever follows.
	if s.f != nil {
		s.f.Close()
	}
	s.f, s.slots, s.dirPending = f, sl, true
	if err := syncDir(filepath.Dir(s.path)); err != nil {
		return err
	}
	s.dirPending = false
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	return nil
}

// OwnerSaved reports whether Owner is in the state file already: an owner
// object must never name an id that a restart would not read back.
func (s *State) OwnerSaved() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ownerSaved
}

// Close closes the state file and releases the lock.
func (s *State) Close() error {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
	if s.lock == nil {
		return nil
	}
	err := s.lock.Close()
	s.lock = nil
	return err
}

// The state file is two slots of equal size, each holding a whole copy of
// the state: a one-line header — sequence number, length and CRC64-ECMA of
// the header's start and the JSON — then the JSON, then spaces up to a final
// newline. `cat` shows both copies; the one with the higher seq is current.
//
//	gtail-state seq=00000000000000000042 len=0000001234 crc64=9a3e5c0d1b2f4a67
//	{ "version": 2, ... }
//
// A save overwrites the slot that does not hold the newest state, then
// syncs its data (fdatasync). The slot's blocks were written when the file
// was made, so the write needs no new block and works on a full disk — on
// filesystems that overwrite in place (ext4, xfs, tmpfs); copy-on-write
// ones (btrfs, zfs) write every block anew and may still need space. Slots
// start on 4 KiB boundaries, so a write torn by a crash or power loss can
// only damage the slot being written: its checksum no longer matches and
// Open takes the other, the last state saved whole. Space is reserved by
// writing the padding rather than with fallocate, whose unwritten extents
// would need the filesystem to record their conversion on the first write.
const (
	slotMagic  = "gtail-state"
	headerLen  = len(slotMagic+" seq=") + 20 + len(" len=") + 10 + len(" crc64=") + 16 + len("\n")
	slotAlign  = 4 << 10
	minSlot    = 64 << 10 // some 140 files' entries
	slotGrowth = 2        // a new file's slots hold twice the state
)

// slots is the layout of an open slotted state file.
type slots struct {
	size   int    // bytes per slot
	seq    uint64 // the newest whole state's sequence number
	newest int    // its slot, or -1
	// used are the bytes at the start of each slot that may differ from
	// padding (size: not known), which a write must cover.
	used [2]int
}

// slotSize is the slot size for a state of n bytes of JSON: room for it to
// double before the file must grow — the one save that needs free space —,
// and at least 64 KiB, so that a few more files never make it grow; 128 KiB
// on disk is nothing beside the logs. Only the bytes in use are rewritten,
// so the slack costs no write.
func slotSize(n int) int {
	n = max(minSlot, slotGrowth*(headerLen+n+2))
	return (n + slotAlign - 1) / slotAlign * slotAlign
}

// newSlots is the layout of a new file holding data in its first slot.
func newSlots(data []byte, lastSeq uint64) slots {
	return slots{size: slotSize(len(data)), seq: lastSeq + 1, used: [2]int{headerLen + len(data) + 1, 0}}
}

// file returns the bytes of a new file of layout s holding data in its
// first slot, the second blank.
func (s slots) file(data []byte) []byte {
	b := padded(slotContent(s.seq, data), s.size)
	return append(b, padded(nil, s.size)...)
}

func (s slots) fits(data []byte) bool { return headerLen+len(data)+2 <= s.size }

// write saves data in the slot that does not hold the newest state.
func (s *slots) write(f *os.File, data []byte) error {
	target := 0
	if s.newest == 0 {
		target = 1
	}
	c := slotContent(s.seq+1, data)
	var b []byte
	if n := max(len(c), s.used[target]); n < s.size-1 {
		b = append(c, bytes.Repeat([]byte{' '}, n-len(c))...)
	} else {
		b = padded(c, s.size)
	}
	_, err := f.WriteAt(b, int64(target*s.size))
	if err == nil {
		err = datasync(f)
	}
	if err != nil {
		s.used[target] = s.size // perhaps torn
		return err
	}
	s.seq++
	s.newest = target
	s.used[target] = len(c)
	return nil
}

// slotContent is a slot's header, data and the newline after it.
func slotContent(seq uint64, data []byte) []byte {
	b := make([]byte, 0, headerLen+len(data)+1)
	b = fmt.Appendf(b, "%s seq=%020d len=%010d ", slotMagic, seq, len(data))
	crc := crc64ecma.Update(crc64ecma.Checksum(b), data)
	b = fmt.Appendf(b, "crc64=%016x\n", crc)
	b = append(b, data...)
	return append(b, '\n')
}

// padded returns c followed by spaces and a newline, size bytes in all.
func padded(c []byte, size int) []byte {
	b := append(c, bytes.Repeat([]byte{' '}, size-1-len(c))...)
	return append(b, '\n')
}

// readSlot returns the sequence number and data of slot b, or why it does
// not hold a whole state.
func readSlot(b []byte) (uint64, []byte, error) {
	if !bytes.HasPrefix(b, []byte(slotMagic+" ")) || len(b) < headerLen+2 {
		return 0, nil, errors.New("no state in it")
	}
	var seq, n uint64
	var err error
	f := strings.Fields(string(b[:headerLen]))
	if len(f) == 4 {
		seq, err = strconv.ParseUint(strings.TrimPrefix(f[1], "seq="), 10, 64)
		if err == nil {
			n, err = strconv.ParseUint(strings.TrimPrefix(f[2], "len="), 10, 64)
		}
	}
	switch {
	case len(f) != 4 || err != nil:
		return 0, nil, errors.New("a damaged header")
	case n > uint64(len(b)-headerLen-2):
		return 0, nil, fmt.Errorf("a length of %d bytes, beyond the slot", n)
	}
	data := b[headerLen : headerLen+int(n)]
	if !bytes.Equal(slotContent(seq, data)[:headerLen], b[:headerLen]) {
		return 0, nil, fmt.Errorf("seq %d, not whole (its checksum does not match: a torn write)", seq)
	}
	return seq, data, nil
}

// decode returns the JSON of the newest whole state in a state file's
// bytes and, for a slotted file, its layout (size 0 for a plain JSON file,
// as gtail wrote before the slots).
func decode(raw []byte) ([]byte, slots, error) {
	if !bytes.HasPrefix(raw, []byte(slotMagic+" ")) {
		return raw, slots{}, nil
	}
	if len(raw)%2 != 0 || len(raw) < 2*(headerLen+2) {
		return nil, slots{}, fmt.Errorf("%w: %d bytes, not two slots", ErrCorrupt, len(raw))
	}
	sl := slots{size: len(raw) / 2, newest: -1}
	var data []byte
	var why [2]error
	for i := range 2 {
		seq, d, err := readSlot(raw[i*sl.size : (i+1)*sl.size])
		why[i] = err
		if err != nil {
			sl.used[i] = sl.size
			continue
		}
		sl.used[i] = headerLen + len(d) + 1
		if sl.newest < 0 || seq > sl.seq {
			sl.newest, sl.seq, data = i, seq, d
		}
	}
	if sl.newest < 0 {
		return nil, slots{}, fmt.Errorf("%w: neither of its two copies of the state is whole (first: %v; second: %v)", ErrCorrupt, why[0], why[1])
	}
	return data, sl, nil
}

// ReadFile returns the JSON of the current state in the state file at path
// — the newest whole slot, or the file itself if it is plain JSON —
// without taking the lock: to look at the state of a running gtail.
func ReadFile(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	data, _, err := decode(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}
