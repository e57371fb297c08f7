package download

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/ossx/ossx/internal/upload"
)

// checkpoint records a ranged download in progress so that the same command
// run again continues it. It lives under the state directory (next to the
// upload checkpoints, never beside DEST), mode 0600, and is rewritten
// atomically after each part, once that part's bytes are synced to disk.
type checkpoint struct {
	Version  int    `json:"version"`
	Endpoint string `json:"endpoint"`
	Bucket   string `json:"bucket"`
	Key      string `json:"key"`
	Dest     string `json:"dest"` // absolute path of DEST
	Temp     string `json:"temp"` // the temporary file, in DEST's directory
	ETag     string `json:"etag"`
	Size     int64  `json:"size"`
	CRC64    uint64 `json:"crc64"`
	PartSize int64  `json:"part_size"`
	Parts    []done `json:"parts"` // fetched and synced, by offset
}

type done struct {
	Off   int64  `json:"off"`
	N     int64  `json:"n"`
	CRC64 uint64 `json:"crc64"`
}

const checkpointVersion = 1

type checkpoints struct {
	dir string // …/ossx/downloads
	mu  sync.Mutex
}

func newCheckpoints(stateDir string) *checkpoints {
	if stateDir == "" {
		return nil
	}
	return &checkpoints{dir: filepath.Join(stateDir, "downloads")}
}

// name is the file a checkpoint of endpoint/bucket/key → dest lives in.
func (s *checkpoints) name(endpoint, bucket, key, dest string) string {
	h := sha256.New()
	for _, v := range []string{endpoint, bucket, key, dest} {
		h.Write([]byte(v))
		h.Write([]byte{0})
	}
	return filepath.Join(s.dir, hex.EncodeToString(h.Sum(nil))[:32])
}

// lock keeps two runs of the same download apart; the kernel drops it when
// the process dies.
func (s *checkpoints) lock(name string) (*os.File, error) {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, err
	}
	f, err := upload.LockPath(name + ".lock")
	if errors.Is(err, upload.ErrLocked) {
		return nil, errors.New("another ossget is downloading the same object to the same file")
	}
	return f, err
}

func (s *checkpoints) unlock(f *os.File, remove bool) {
	if remove {
		os.Remove(f.Name())
	}
	f.Close()
}

// load reads a checkpoint; a missing or unreadable one is nil.
func (s *checkpoints) load(name string) *checkpoint {
	data, err := os.ReadFile(name + ".json")
	if err != nil {
		return nil
	}
	var cp checkpoint
	if json.Unmarshal(data, &cp) != nil || cp.Version != checkpointVersion {
		return nil
	}
	return &cp
}

// add records a part and saves cp.
func (s *checkpoints) add(name string, cp *checkpoint, p done) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp.Parts = append(cp.Parts, p)
	return s.write(name, cp)
}

func (s *checkpoints) save(name string, cp *checkpoint) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.write(name, cp)
}

// write saves cp atomically: a temporary file (0600), synced, renamed.
func (s *checkpoints) write(name string, cp *checkpoint) error {
	sort.Slice(cp.Parts, func(i, j int) bool { return cp.Parts[i].Off < cp.Parts[j].Off })
	data, err := json.MarshalIndent(cp, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.dir, ".tmp-*")
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

func (s *checkpoints) drop(name string) { os.Remove(name + ".json") }
