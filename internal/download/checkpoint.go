package download

import (
	"errors"
	"os"
	"path/filepath"
	"sort"

	cpstore "github.com/ossx/ossx/internal/checkpoint"
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
	Type     string `json:"type,omitempty"` // Appendable: resumed as it grows
	PartSize int64  `json:"part_size"`
	Parts    []done `json:"parts"` // fetched and synced, by offset
}

type done struct {
	Off   int64  `json:"off"`
	N     int64  `json:"n"`
	CRC64 uint64 `json:"crc64"`
}

const checkpointVersion = 1

// checkpoints is the store of download checkpoints under a state directory.
type checkpoints struct{ *cpstore.Store }

func newCheckpoints(stateDir string) *checkpoints {
	if stateDir == "" {
		return nil
	}
	return &checkpoints{cpstore.New(filepath.Join(stateDir, "downloads"))}
}

// name is the file a checkpoint of endpoint/bucket/key → dest lives in.
func (s *checkpoints) name(endpoint, bucket, key, dest string) string {
	return s.Name(endpoint, bucket, key, dest)
}

// lock keeps two runs of the same download apart (cpstore.Store.Lock).
func (s *checkpoints) lock(name string) (*os.File, error) {
	f, err := s.Lock(name)
	if errors.Is(err, cpstore.ErrLocked) {
		return nil, errors.New("another ossget is downloading the same object to the same file")
	}
	return f, err
}

// load reads a checkpoint; a missing or unreadable one is nil.
func (s *checkpoints) load(name string) *checkpoint {
	var cp checkpoint
	if ok, _ := s.Load(name, &cp); !ok || cp.Version != checkpointVersion {
		return nil
	}
	return &cp
}

// add records a part and saves cp.
func (s *checkpoints) add(name string, cp *checkpoint, p done) error {
	return s.Update(name, cp, func() {
		cp.Parts = append(cp.Parts, p)
		cp.sortParts()
	})
}

func (s *checkpoints) save(name string, cp *checkpoint) error {
	return s.Update(name, cp, cp.sortParts)
}

func (cp *checkpoint) sortParts() {
	sort.Slice(cp.Parts, func(i, j int) bool { return cp.Parts[i].Off < cp.Parts[j].Off })
}
