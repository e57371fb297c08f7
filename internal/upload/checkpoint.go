package upload

import (
	"errors"
	"os"
	"path/filepath"
	"sort"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	cpstore "github.com/ossx/ossx/internal/checkpoint"
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

// checkpoints is the store of upload checkpoints under a state directory.
type checkpoints struct {
	*cpstore.Store
	err error // why there is no state directory; returned by lock
}

// newCheckpoints returns the store under o.StateDir, nil when uploads are
// not to be resumable, or a store whose lock fails with o.StateErr.
func newCheckpoints(o Options) *checkpoints {
	if o.StateErr != nil {
		// name works, lock fails: nothing is written.
		return &checkpoints{Store: cpstore.New(""), err: o.StateErr}
	}
	if o.StateDir == "" {
		return nil
	}
	return &checkpoints{Store: cpstore.New(filepath.Join(o.StateDir, "uploads"))}
}

// name is the file a checkpoint for source → endpoint/bucket/key lives in.
// The file's size and mtime are kept inside rather than in the name, so that
// a run over a changed source finds, and drops, the stale checkpoint.
func (s *checkpoints) name(source, endpoint, bucket, key string) string {
	return s.Name(source, endpoint, bucket, key)
}

// lock takes the lock of one upload (cpstore.Store.Lock). The state
// directory is made then, when a checkpoint is first needed; failing to
// make it, or to write in it, is a configuration error (ossx.StateError).
func (s *checkpoints) lock(name string) (*os.File, error) {
	if s.err != nil {
		return nil, s.err
	}
	f, err := s.Lock(name)
	switch {
	case errors.Is(err, cpstore.ErrLocked):
		return nil, errors.New("another ossuploader is uploading the same file to the same object")
	case err != nil:
		return nil, ossx.StateError(s.Dir(), err)
	}
	return f, nil
}

// load reads a checkpoint; a missing or unreadable one is (nil, nil).
func (s *checkpoints) load(name string) (*checkpoint, error) {
	var cp checkpoint
	if ok, err := s.Load(name, &cp); !ok || cp.Version != checkpointVersion {
		return nil, err
	}
	return &cp, nil
}

// save writes cp atomically.
func (s *checkpoints) save(name string, cp *checkpoint) error {
	return s.Update(name, cp, cp.sortParts)
}

// add records an uploaded part and saves cp.
func (s *checkpoints) add(name string, cp *checkpoint, p part) error {
	return s.Update(name, cp, func() {
		cp.Parts = append(cp.Parts, p)
		cp.sortParts()
	})
}

func (cp *checkpoint) sortParts() {
	sort.Slice(cp.Parts, func(i, j int) bool { return cp.Parts[i].Number < cp.Parts[j].Number })
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
	if !create && !s.Exists(name) {
		return nil, false
	}
	f, err := s.lock(name)
	if err != nil {
		return nil, false
	}
	if cp, _ := s.load(name); cp != nil && cp.UploadID != "" {
		u.abort(b, dst.Key, cp.UploadID)
		aborted = true
	}
	s.Drop(name)
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
		r.s.Drop(r.name)
		cpstore.Unlock(r.lock, true)
	}
}
