package upload

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/ossx"
)

// checkpoint records a multipart upload in progress so that a later run of
// the same command can continue it. It is rewritten (atomically) after every
// part.
type checkpoint struct {
	Version  int      `json:"version"`
	Source   string   `json:"source"` // absolute path
	File     identity `json:"file"`
	Endpoint string   `json:"endpoint"`
	Bucket   string   `json:"bucket"`
	Key      string   `json:"key"`
	Headers  string   `json:"headers"` // digest of the object's headers and options
	UploadID string   `json:"upload_id"`
	PartSize int64    `json:"part_size"`
	Parts    []part   `json:"parts"` // uploaded, by number
}

type part struct {
	Number int    `json:"number"`
	Size   int64  `json:"size"`
	ETag   string `json:"etag"`
	CRC64  uint64 `json:"crc64"`
}

const checkpointVersion = 1

// checkpoints is the store of checkpoints under a state directory.
type checkpoints struct {
	dir string // …/ossx/uploads
	err error  // why there is no state directory; returned by lock
	mu  sync.Mutex
}

// newCheckpoints returns the store under o.StateDir, nil when uploads are
// not to be resumable, or a store whose lock fails with o.StateErr.
func newCheckpoints(o Options) *checkpoints {
	if o.StateErr != nil {
		return &checkpoints{err: o.StateErr}
	}
	if o.StateDir == "" {
		return nil
	}
	return &checkpoints{dir: filepath.Join(o.StateDir, "uploads")}
}

// name is the file a checkpoint for source → endpoint/bucket/key lives in.
// The file's size and mtime are kept inside rather than in the name, so that
// a run over a changed source finds, and drops, the stale checkpoint.
func (s *checkpoints) name(source, endpoint, bucket, key string) string {
	h := sha256.New()
	for _, v := range []string{source, endpoint, bucket, key} {
		h.Write([]byte(v))
		h.Write([]byte{0})
	}
	return filepath.Join(s.dir, hex.EncodeToString(h.Sum(nil))[:32])
}

// lock takes an exclusive lock for one upload, so that two runs of the same
// command do not fight over one checkpoint. The kernel drops it when the
// process dies, kill -9 included.
//
// The state directory is made here, when a checkpoint is first needed: a
// run of small files needs none, and works without a HOME. Failing to make
// it, or to write in it, is a configuration error (ossx.StateError).
func (s *checkpoints) lock(name string) (*os.File, error) {
	if s.err != nil {
		return nil, s.err
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, ossx.StateError(s.dir, err)
	}
	f, err := os.OpenFile(name+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, ossx.StateError(s.dir, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, errors.New("another ossuploader is uploading the same file to the same object")
		}
		return nil, err
	}
	s.sweep(name)
	return f, nil
}

// staleTmp is how old another checkpoint's temporary file must be before
// sweep looks at it: a write takes milliseconds.
const staleTmp = 10 * time.Minute

// sweep removes what kill -9 left of checkpoint writes (issue 13.10): the
// temporary files of own, whose lock this process holds; those of other
// checkpoints when they are stale and no running process holds their lock
// (the kernel drops a lock with its process); and stale ones named before
// temporary files carried their checkpoint's name (".tmp-*"). Best effort:
// what cannot be removed now is looked at next time.
func (s *checkpoints) sweep(own string) {
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
			// upload removes the lock file: nobody is writing it.
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

// tmpInfix marks a checkpoint being written: NAME.tmp-RANDOM, renamed to
// NAME.json once it is whole and synced.
const tmpInfix = ".tmp-"

// unlock releases the lock; with remove, the lock file goes too.
func (s *checkpoints) unlock(f *os.File, remove bool) {
	if remove {
		os.Remove(f.Name())
	}
	f.Close()
}

// load reads a checkpoint; a missing one is (nil, nil).
func (s *checkpoints) load(name string) (*checkpoint, error) {
	data, err := os.ReadFile(name + ".json")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var cp checkpoint
	if err := json.Unmarshal(data, &cp); err != nil || cp.Version != checkpointVersion {
		// Unreadable (another version, or damaged): start afresh rather
		// than fail every future run.
		return nil, nil
	}
	return &cp, nil
}

// save writes cp atomically: a temporary file (mode 0600), synced, renamed.
func (s *checkpoints) save(name string, cp *checkpoint) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.write(name, cp)
}

// add records an uploaded part and saves cp.
func (s *checkpoints) add(name string, cp *checkpoint, p part) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp.Parts = append(cp.Parts, p)
	return s.write(name, cp)
}

func (s *checkpoints) write(name string, cp *checkpoint) error {
	sort.Slice(cp.Parts, func(i, j int) bool { return cp.Parts[i].Number < cp.Parts[j].Number })
	// Compact: rewritten after every part, and MarshalIndent took a tenth
	// of an upload's CPU with small parts (BENCHMARKS.md).
	data, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.dir, filepath.Base(name)+tmpInfix+"*")
	if err != nil {
		return err
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

// drop removes a checkpoint.
func (s *checkpoints) drop(name string) error {
	err := os.Remove(name + ".json")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// streamRecord remembers, under the state directory, the multipart upload
// of a stream (stdin) in progress: a stream cannot be resumed — its bytes are
// gone — so when the run is killed, the next run of the same command aborts
// the upload it left open on OSS rather than let its parts linger (and cost)
// (issue 13.10). It is keyed like a file's checkpoint, with "-" for source.
type streamRecord struct {
	s    *checkpoints
	name string
	lock *os.File
}

// takeStream takes the record of a stream to dst and aborts the upload an
// earlier, killed run left in it; aborted says whether there was one. With
// create false only an existing record is looked at, and nothing is made.
// It returns nil when no record can be kept — no state directory, or
// another run streams to dst — for a stream needs no state to work.
func (u *Uploader) takeStream(b *oss.Bucket, dst ossx.URL, create bool) (r *streamRecord, aborted bool) {
	s := newCheckpoints(u.opts)
	if s == nil || s.err != nil {
		return nil, false
	}
	name := s.name("-", u.endpoint, dst.Bucket, dst.Key)
	if !create {
		if _, err := os.Stat(name + ".json"); err != nil {
			return nil, false
		}
	}
	f, err := s.lock(name)
	if err != nil {
		return nil, false
	}
	if cp, _ := s.load(name); cp != nil && cp.UploadID != "" {
		u.abort(b, dst.Key, cp.UploadID)
		aborted = true
	}
	s.drop(name)
	return &streamRecord{s: s, name: name, lock: f}, aborted
}

// save records the upload in progress; best effort, like the record.
func (r *streamRecord) save(cp *checkpoint) {
	if r != nil {
		r.s.save(r.name, cp)
	}
}

// done forgets the record: the upload completed or was aborted.
func (r *streamRecord) done() {
	if r != nil {
		r.s.drop(r.name)
		r.s.unlock(r.lock, true)
	}
}
