package osslocal

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/btree"

	"github.com/ossx/ossx/internal/crc64ecma"
)

// ACL values (SDK const.go ACLType, plus "default" for objects that follow
// their bucket).
const (
	ACLDefault         = "default"
	ACLPrivate         = "private"
	ACLPublicRead      = "public-read"
	ACLPublicReadWrite = "public-read-write"
)

// Object types as x-oss-object-type reports them.
const (
	TypeNormal     = "Normal"
	TypeAppendable = "Appendable"
	TypeMultipart  = "Multipart"
)

type bucketInfo struct {
	Name         string    `json:"name"`
	Created      time.Time `json:"created"`
	ACL          string    `json:"acl"`
	StorageClass string    `json:"storage_class"`
	// Region is where the bucket lives when not in the server's region
	// (Server.SetBucketRegion); "" for the server's own.
	Region string `json:"region,omitempty"`
	// Config holds the configuration documents set through sub-resources
	// (cors, lifecycle, tagging…), as sent, by sub-resource name;
	// inventories are "inventory/ID". Never modified once published.
	Config map[string]string `json:"config,omitempty"`
	// Redundancy is the DataRedundancyType given at creation: LRS or ZRS.
	Redundancy string `json:"redundancy,omitempty"`
}

// objectMeta describes one object version. Published values are never
// modified: a change publishes a copy.
type objectMeta struct {
	Key          string    `json:"key"`
	Blob         string    `json:"blob"`
	Size         int64     `json:"size"`
	ETag         string    `json:"etag"` // upper-case hex, unquoted
	CRC64        uint64    `json:"crc64"`
	Type         string    `json:"type"`
	Modified     time.Time `json:"modified"`
	ACL          string    `json:"acl"`
	StorageClass string    `json:"storage_class"`
	// Header holds the stored HTTP headers (Content-Type, Cache-Control,
	// Content-Disposition, Content-Encoding, Content-Language, Expires and
	// X-Oss-Meta-*), canonical names.
	Header map[string]string `json:"header,omitempty"`
	// MD5State is the MD5 state after Size bytes of an appendable object,
	// so the next append continues the ETag without rereading the data.
	MD5State []byte `json:"md5_state,omitempty"`
	// MD5 is the whole object's MD5 when it is not its ETag (a
	// sequential multipart upload), else nil.
	MD5 []byte `json:"md5,omitempty"`
	// Tags are the object's tags (PutObjectTagging, x-oss-tagging).
	Tags []objectTag `json:"tags,omitempty"`
	// Target is the key a Symlink object points to.
	Target string `json:"target,omitempty"`
	// Restored is when a RestoreObject of an Archive or ColdArchive object
	// completes (zero when none was asked); RestoredUntil is when the
	// restored copy expires.
	Restored      time.Time `json:"restored,omitzero"`
	RestoredUntil time.Time `json:"restored_until,omitzero"`
	// Upload is the ID of the multipart upload the object was completed
	// from: an upload whose object already names it was completed by a
	// server that died before removing it, and is removed at load.
	Upload string `json:"upload,omitempty"`
}

type objectTag struct {
	Key   string `json:"k" xml:"Key"`
	Value string `json:"v" xml:"Value"`
}

func (m *objectMeta) clone() *objectMeta {
	c := *m
	c.Header = make(map[string]string, len(m.Header))
	for k, v := range m.Header {
		c.Header[k] = v
	}
	c.Tags = append([]objectTag(nil), m.Tags...)
	return &c
}

type part struct {
	Number   int       `json:"number"`
	Blob     string    `json:"blob"`
	Size     int64     `json:"size"`
	ETag     string    `json:"etag"`
	CRC64    uint64    `json:"crc64"`
	Modified time.Time `json:"modified"`
}

type upload struct {
	ID        string      `json:"id"`
	Key       string      `json:"key"`
	Initiated time.Time   `json:"initiated"`
	Template  *objectMeta `json:"template"`
	// Sequential uploads (?sequential at Initiate) get the whole object's
	// MD5 at Complete, returned as Content-MD5.
	Sequential bool `json:"sequential,omitempty"`
	parts      map[int]*part
}

type bucketState struct {
	info    bucketInfo
	objects map[string]*objectMeta
	// keys holds the object keys in byte order, for listing. A B-tree, not
	// a sorted slice: inserting into a slice moves half of it on average,
	// which made loading a million keys take minutes.
	keys    *btree.BTreeG[string]
	uploads map[string]*upload
}

// keysDegree is the B-tree's degree: nodes of up to 63 keys keep the tree
// shallow and a listing's walk mostly within one node.
const keysDegree = 32

func newBucketState(info bucketInfo) *bucketState {
	return &bucketState{info: info, objects: map[string]*objectMeta{}, keys: btree.NewOrderedG[string](keysDegree), uploads: map[string]*upload{}}
}

// store holds buckets, objects and multipart uploads. Metadata lives in
// memory under mu; with a directory it is also written there, one JSON file
// per bucket, object and part, each replaced atomically (temp file, fsync,
// rename). A write persists before it publishes, under a per-key lock, so
// memory and disk agree and readers never see an object that is not whole.
type store struct {
	dir   string
	blobs blobs
	locks keyLocks
	now   func() time.Time
	lock  *os.File // held on dir while the store is open

	mu      sync.RWMutex
	buckets map[string]*bucketState
}

func openStore(dir string, now func() time.Time) (*store, error) {
	s := &store{dir: dir, now: now, buckets: map[string]*bucketState{}, locks: keyLocks{m: map[string]*keyLock{}}}
	if dir == "" {
		s.blobs = newMemBlobs()
		return s, nil
	}
	s.blobs = &dirBlobs{dir: dir}
	// No "osslocal:" prefix: the command that prints the error names itself.
	if err := mkdirAll(dir); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	s.lock = lock
	if err := os.RemoveAll(filepath.Join(dir, "tmp")); err != nil {
		s.close()
		return nil, fmt.Errorf("clear %s: %w", dir, err)
	}
	for _, sub := range []string{"blobs", "tmp", "buckets", "objects", "uploads"} {
		if err := mkdirAll(filepath.Join(dir, sub)); err != nil {
			s.close()
			return nil, fmt.Errorf("data directory: %w", err)
		}
	}
	if err := s.load(); err != nil {
		s.close()
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	return s, nil
}

// close releases the data directory.
func (s *store) close() error {
	if s.lock == nil {
		return nil
	}
	err := s.lock.Close()
	s.lock = nil
	return err
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return &damagedError{path, err}
	}
	return nil
}

// damagedError is a metadata file that is not what osslocal wrote: no
// crash leaves one (writes are atomic), a damaged disk or a hand edit can.
type damagedError struct {
	path string
	err  error
}

func (e *damagedError) Error() string {
	return "damaged metadata file " + e.path + ": " + e.err.Error()
}
func (e *damagedError) Unwrap() error { return e.err }

// Hint implements ossx.Hinted.
func (e *damagedError) Hint() string {
	return "no crash leaves a file so (osslocal writes them whole): restore it from a backup or repair it, then start again; the objects and uploads are kept as they are"
}

func writeJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data)
}

func hashName(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

func (s *store) bucketPath(name string) string {
	return filepath.Join(s.dir, "buckets", name+".json")
}

func (s *store) objectPath(bucket, key string) string {
	return filepath.Join(s.dir, "objects", bucket, hashName(key)+".json")
}

func (s *store) uploadDir(bucket, id string) string {
	return filepath.Join(s.dir, "uploads", bucket, id)
}

// load reads what an earlier server stored, drops temp files left by a
// crash and deletes blobs no metadata refers to.
func (s *store) load() error {
	used := map[string]bool{}
	entries, err := os.ReadDir(filepath.Join(s.dir, "buckets"))
	if err != nil {
		return err
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || strings.HasPrefix(e.Name(), ".") {
			os.Remove(filepath.Join(s.dir, "buckets", e.Name()))
			continue
		}
		var info bucketInfo
		if err := readJSON(filepath.Join(s.dir, "buckets", e.Name()), &info); err != nil {
			return err
		}
		b := newBucketState(info)
		s.buckets[name] = b
	}
	for _, sub := range []string{"objects", "uploads"} {
		dirs, err := os.ReadDir(filepath.Join(s.dir, sub))
		if err != nil {
			return err
		}
		for _, d := range dirs {
			if _, ok := s.buckets[d.Name()]; !ok {
				// Left by a bucket deleted just before a crash.
				os.RemoveAll(filepath.Join(s.dir, sub, d.Name()))
			}
		}
	}
	for name, b := range s.buckets {
		dir := filepath.Join(s.dir, "objects", name)
		files, err := os.ReadDir(dir)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		for _, f := range files {
			path := filepath.Join(dir, f.Name())
			if strings.HasPrefix(f.Name(), ".") {
				os.Remove(path)
				continue
			}
			var m objectMeta
			if err := readJSON(path, &m); err != nil {
				return err
			}
			b.objects[m.Key] = &m
			b.keys.ReplaceOrInsert(m.Key)
			used[m.Blob] = true
			if m.Type == TypeAppendable {
				// Drop bytes of an append that never committed.
				os.Truncate(filepath.Join(s.dir, "blobs", m.Blob), m.Size)
			}
		}
		udirs, err := os.ReadDir(filepath.Join(s.dir, "uploads", name))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		for _, ud := range udirs {
			if !ud.IsDir() {
				// Not an upload (a Finder .DS_Store): not ours to
				// remove, nor damaged metadata.
				continue
			}
			udir := filepath.Join(s.dir, "uploads", name, ud.Name())
			var u upload
			if err := readJSON(filepath.Join(udir, "upload.json"), &u); errors.Is(err, os.ErrNotExist) {
				// Initiate did not complete, or Complete or Abort began
				// removing the upload: not an upload.
				os.RemoveAll(udir)
				continue
			} else if err != nil {
				// Damaged, not by a crash (writes are atomic): the
				// parts are the client's data, not garbage.
				return err
			}
			if m := b.objects[u.Key]; m != nil && m.Upload == u.ID {
				// Completed: the object is published, the upload was not
				// yet removed. OSS completes both at once.
				os.RemoveAll(udir)
				continue
			}
			u.parts = map[int]*part{}
			pfiles, err := os.ReadDir(udir)
			if err != nil {
				return err
			}
			for _, pf := range pfiles {
				if !strings.HasPrefix(pf.Name(), "part-") {
					if pf.Name() != "upload.json" {
						os.Remove(filepath.Join(udir, pf.Name()))
					}
					continue
				}
				var p part
				if err := readJSON(filepath.Join(udir, pf.Name()), &p); err != nil {
					return err
				}
				u.parts[p.Number] = &p
				used[p.Blob] = true
			}
			b.uploads[u.ID] = &u
		}
	}
	blobFiles, err := os.ReadDir(filepath.Join(s.dir, "blobs"))
	if err != nil {
		return err
	}
	for _, f := range blobFiles {
		if !used[f.Name()] {
			os.Remove(filepath.Join(s.dir, "blobs", f.Name()))
		}
	}
	return nil
}

// errNoSuchBucket names the bucket in a <BucketName> element, as OSS does:
// the NoSuchBucket bodies recorded from OSS in the Alibaba SDKs' tests
// (aliyun/aliyun-oss-php-sdk tests/OSS/Tests/ListBucketsResultTest.php,
// aliyun/aliyun-oss-ruby-sdk spec) end with <BucketName>NAME</BucketName>.
func errNoSuchBucket(name string) *Error {
	e := NewError(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist.")
	e.Extra = []ErrorField{field("BucketName", name)}
	return e
}

func errNoSuchKey() *Error {
	return NewError(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
}

func errNoSuchUpload() *Error {
	return NewError(http.StatusNotFound, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
}

// --- buckets ---

func (s *store) createBucket(name, acl, class string, now time.Time, with ...func(*bucketInfo)) (bucketInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.buckets[name]; ok {
		return b.info, NewError(http.StatusConflict, "BucketAlreadyExists", "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.")
	}
	info := bucketInfo{Name: name, Created: now.UTC().Truncate(time.Millisecond), ACL: acl, StorageClass: class}
	for _, f := range with {
		f(&info)
	}
	if s.dir != "" {
		if err := writeJSON(s.bucketPath(name), info); err != nil {
			return info, err
		}
	}
	s.buckets[name] = newBucketState(info)
	return info, nil
}

func (s *store) deleteBucket(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[name]
	if !ok {
		return errNoSuchBucket(name)
	}
	if len(b.objects) > 0 || len(b.uploads) > 0 {
		return NewError(http.StatusConflict, "BucketNotEmpty", "The bucket you tried to delete is not empty.")
	}
	if s.dir != "" {
		if err := os.Remove(s.bucketPath(name)); err != nil {
			return err
		}
		if err := syncDir(filepath.Join(s.dir, "buckets")); err != nil {
			return err
		}
		os.RemoveAll(filepath.Join(s.dir, "objects", name))
		os.RemoveAll(filepath.Join(s.dir, "uploads", name))
	}
	delete(s.buckets, name)
	return nil
}

func (s *store) bucket(name string) (bucketInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.buckets[name]
	if !ok {
		return bucketInfo{}, errNoSuchBucket(name)
	}
	return b.info, nil
}

func (s *store) listBuckets() []bucketInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]bucketInfo, 0, len(s.buckets))
	for _, b := range s.buckets {
		out = append(out, b.info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// changeBucket persists and publishes a changed copy of bucket name's info.
func (s *store) changeBucket(name string, change func(*bucketInfo)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[name]
	if !ok {
		return errNoSuchBucket(name)
	}
	info := b.info
	change(&info)
	if s.dir != "" {
		if err := writeJSON(s.bucketPath(name), info); err != nil {
			return err
		}
	}
	b.info = info
	return nil
}

// setBucketConfig sets (or, with value "", removes) the configuration
// document key of bucket name.
func (s *store) setBucketConfig(name, key, value string) error {
	return s.changeBucket(name, func(b *bucketInfo) {
		c := make(map[string]string, len(b.Config)+1)
		for k, v := range b.Config {
			c[k] = v
		}
		if value == "" {
			delete(c, key)
		} else {
			c[key] = value
		}
		b.Config = c
	})
}

func (s *store) setBucketACL(name, acl string) error {
	return s.changeBucket(name, func(b *bucketInfo) { b.ACL = acl })
}

// stat counts a bucket's objects and bytes by storage class.
func (s *store) stat(bucket string) (xmlBucketStat, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var st xmlBucketStat
	b, ok := s.buckets[bucket]
	if !ok {
		return st, errNoSuchBucket(bucket)
	}
	for _, m := range b.objects {
		st.Storage += m.Size
		st.ObjectCount++
		if t := m.Modified.Unix(); t > st.LastModifiedTime {
			st.LastModifiedTime = t
		}
		switch m.StorageClass {
		case "IA":
			st.InfrequentAccessStorage += m.Size
			st.InfrequentAccessRealStorage += m.Size
			st.InfrequentAccessObjectCount++
		case "Archive":
			st.ArchiveStorage += m.Size
			st.ArchiveRealStorage += m.Size
			st.ArchiveObjectCount++
		case "ColdArchive":
			st.ColdArchiveStorage += m.Size
			st.ColdArchiveRealStorage += m.Size
			st.ColdArchiveObjectCount++
		case "DeepColdArchive":
			st.DeepColdArchiveStorage += m.Size
			st.DeepColdArchiveRealStorage += m.Size
			st.DeepColdArchiveObjectCount++
		default:
			st.StandardStorage += m.Size
			st.StandardObjectCount++
		}
	}
	st.MultipartUploadCount = int64(len(b.uploads))
	return st, nil
}

// --- objects ---

func (s *store) head(bucket, key string) (*objectMeta, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.buckets[bucket]
	if !ok {
		return nil, errNoSuchBucket(bucket)
	}
	m, ok := b.objects[key]
	if !ok {
		return nil, errNoSuchKey()
	}
	return m, nil
}

// open returns an object's metadata and a reader of its blob. The blob
// cannot be removed while mu is held, and a removed file stays readable
// through an open descriptor.
func (s *store) open(bucket, key string) (*objectMeta, blobReader, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.buckets[bucket]
	if !ok {
		return nil, nil, errNoSuchBucket(bucket)
	}
	m, ok := b.objects[key]
	if !ok {
		return nil, nil, errNoSuchKey()
	}
	rd, err := s.blobs.open(m.Blob)
	if err != nil {
		return nil, nil, err
	}
	return m, rd, nil
}

// hasher computes MD5 (unless md5 is nil) and CRC-64/ECMA of what is
// written to it.
type hasher struct {
	md5 hash.Hash
	crc uint64
}

func newHasher() *hasher { return &hasher{md5: md5.New()} }

func (h *hasher) Write(p []byte) (int, error) {
	if h.md5 != nil {
		h.md5.Write(p)
	}
	h.crc = crc64ecma.Update(h.crc, p)
	return len(p), nil
}

func invalidDigest() *Error {
	return NewError(http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified did not match what we received.")
}

// commit persists m as the object m.Key of bucket and publishes it. check,
// when not nil, vets the current object first. The caller holds the key's
// lock. The replaced object's blob is removed.
func (s *store) commit(bucket string, m *objectMeta, check func(old *objectMeta) error) error {
	s.mu.RLock()
	b, ok := s.buckets[bucket]
	var old *objectMeta
	if ok {
		old = b.objects[m.Key]
	}
	s.mu.RUnlock()
	if !ok {
		return errNoSuchBucket(bucket)
	}
	if check != nil {
		if err := check(old); err != nil {
			return err
		}
	}
	var werr error
	if s.dir != "" {
		if werr = writeJSON(s.objectPath(bucket, m.Key), m); werr != nil && !renamed(werr) {
			return werr
		}
	}
	s.mu.Lock()
	if b, ok = s.buckets[bucket]; ok {
		b.objects[m.Key] = m
		b.keys.ReplaceOrInsert(m.Key)
	}
	s.mu.Unlock()
	crash("committed")
	if old != nil && old.Blob != m.Blob {
		s.blobs.remove(old.Blob)
	}
	if !ok {
		return errNoSuchBucket(bucket)
	}
	return werr
}

// putOptions are the checks of a PutObject-like write.
type putOptions struct {
	contentMD5      []byte // expected MD5, nil when not given
	forbidOverwrite bool
	max             int64 // largest body accepted; 0 for no limit
	min             int64 // smallest body accepted (PostObject's content-length-range)
	// precondition, when not nil, vets the object being replaced (nil when
	// there is none) at commit, under the key's lock.
	precondition func(old *objectMeta) error
}

func forbidOverwrite(old *objectMeta) error {
	if old != nil {
		return NewError(http.StatusConflict, "FileAlreadyExists", "The object you specified already exists and can not be overwritten.")
	}
	return nil
}

// put streams body into a new blob and publishes it as a Normal object
// built from tmpl (key, headers, ACL, storage class).
func (s *store) put(bucket string, tmpl *objectMeta, body io.Reader, opt putOptions) (*objectMeta, error) {
	if _, err := s.bucket(bucket); err != nil {
		return nil, err
	}
	if opt.max > 0 {
		body = io.LimitReader(body, opt.max+1)
	}
	h := newHasher()
	id, n, err := s.blobs.write(io.TeeReader(body, h))
	if err != nil {
		return nil, err
	}
	if opt.max > 0 && n > opt.max {
		s.blobs.remove(id)
		return nil, tooLarge()
	}
	if n < opt.min {
		s.blobs.remove(id)
		return nil, NewError(http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size.")
	}
	sum := h.md5.Sum(nil)
	if opt.contentMD5 != nil && !equalBytes(sum, opt.contentMD5) {
		s.blobs.remove(id)
		return nil, invalidDigest()
	}
	m := tmpl.clone()
	m.Blob, m.Size, m.CRC64, m.ETag = id, n, h.crc, strings.ToUpper(hex.EncodeToString(sum))
	// Last-Modified is when the whole body has arrived, not when it began.
	m.Modified = s.stamp()
	if m.Type == "" {
		m.Type = TypeNormal
	}
	m.MD5State = nil
	unlock := s.locks.lock(bucket + "/" + m.Key)
	defer unlock()
	check := func(old *objectMeta) error {
		if opt.forbidOverwrite {
			if err := forbidOverwrite(old); err != nil {
				return err
			}
		}
		if opt.precondition != nil {
			return opt.precondition(old)
		}
		return nil
	}
	if err := s.commit(bucket, m, check); err != nil {
		if !renamed(err) {
			s.blobs.remove(id)
		}
		return nil, err
	}
	return m, nil
}

func equalBytes(a, b []byte) bool { return string(a) == string(b) }

// updateUnlessReplaced is update for a change worked out from src, read
// earlier without the key's lock (CopyObject onto itself): when the object
// no longer holds src's body — a PUT, Complete or copy replaced it, or a
// delete removed it, meanwhile — the change is taken to have come first
// and to have been replaced with the rest, so nothing is written and src,
// changed, is returned. Applied to the successor, it would give the new
// bytes the old object's headers. An append in between keeps the body
// (the same blob, grown), so the change is applied to the grown object.
func (s *store) updateUnlessReplaced(bucket string, src *objectMeta, change func(m *objectMeta)) (*objectMeta, error) {
	unlock := s.locks.lock(bucket + "/" + src.Key)
	defer unlock()
	old, err := s.head(bucket, src.Key)
	var e *Error
	if errors.As(err, &e) && e.Code == "NoSuchKey" || err == nil && old.Blob != src.Blob {
		m := src.clone()
		change(m)
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	m := old.clone()
	change(m)
	return m, s.commit(bucket, m, nil)
}

// update publishes a changed copy of an existing object (ACL changes).
func (s *store) update(bucket, key string, change func(m *objectMeta)) (*objectMeta, error) {
	unlock := s.locks.lock(bucket + "/" + key)
	defer unlock()
	old, err := s.head(bucket, key)
	if err != nil {
		return nil, err
	}
	m := old.clone()
	change(m)
	return m, s.commit(bucket, m, nil)
}

func (s *store) deleteObject(bucket, key string) error {
	unlock := s.locks.lock(bucket + "/" + key)
	defer unlock()
	s.mu.RLock()
	b, ok := s.buckets[bucket]
	var old *objectMeta
	if ok {
		old = b.objects[key]
	}
	s.mu.RUnlock()
	if !ok {
		return errNoSuchBucket(bucket)
	}
	if old == nil {
		return nil
	}
	if s.dir != "" {
		path := s.objectPath(bucket, key)
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if err := syncDir(filepath.Dir(path)); err != nil {
			return err
		}
	}
	s.mu.Lock()
	if b, ok := s.buckets[bucket]; ok {
		delete(b.objects, key)
		b.keys.Delete(key)
	}
	s.mu.Unlock()
	s.blobs.remove(old.Blob)
	crash("deleted")
	return nil
}

// appendOptions are the parameters of an AppendObject.
type appendOptions struct {
	position   int64
	length     int64 // Content-Length, -1 when unknown
	max        int64
	contentMD5 []byte
	aclGiven   bool // the request set x-oss-object-acl
}

func positionError(next int64) *Error {
	e := NewError(http.StatusConflict, "PositionNotEqualToLength", "Position is not equal to file length")
	e.Headers = map[string]string{"x-oss-next-append-position": fmt.Sprint(next)}
	return e
}

func tooLarge() *Error {
	// Message as OSS words it (https://developer.aliyun.com/ask/635390).
	return NewError(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.")
}

// append adds body to the appendable object tmpl.Key at opt.position,
// creating it (with tmpl's metadata) when position is 0 and it does not
// exist. Appends to one key are serialized by the key's lock, so the
// position check and the write are one step.
func (s *store) append(bucket string, tmpl *objectMeta, body io.Reader, opt appendOptions) (*objectMeta, error) {
	unlock := s.locks.lock(bucket + "/" + tmpl.Key)
	defer unlock()
	s.mu.RLock()
	b, ok := s.buckets[bucket]
	var old *objectMeta
	if ok {
		old = b.objects[tmpl.Key]
	}
	s.mu.RUnlock()
	switch {
	case !ok:
		return nil, errNoSuchBucket(bucket)
	case old != nil && old.Type != TypeAppendable:
		return nil, NewError(http.StatusConflict, "ObjectNotAppendable", "The object is not appendable")
	case old == nil && opt.position != 0:
		return nil, positionError(0)
	case old != nil && opt.position != old.Size:
		return nil, positionError(old.Size)
	case opt.length >= 0 && opt.position+opt.length > opt.max:
		return nil, tooLarge()
	}
	whole := md5.New()
	var crc uint64
	if old != nil {
		if err := whole.(encoding.BinaryUnmarshaler).UnmarshalBinary(old.MD5State); err != nil {
			return nil, fmt.Errorf("append %s: md5 state: %w", tmpl.Key, err)
		}
		crc = old.CRC64
	}
	// The MD5 of this append alone is needed only to check a Content-MD5;
	// the object's ETag comes from whole. Without one, hashing it would be
	// a quarter of the CPU an append costs (BENCHMARKS.md).
	this := &hasher{}
	if opt.contentMD5 != nil {
		this.md5 = md5.New()
	}
	limit := opt.max - opt.position
	src := io.TeeReader(io.LimitReader(body, limit+1), io.MultiWriter(this, whole))
	var (
		id  string
		n   int64
		err error
	)
	if old == nil {
		id, n, err = s.blobs.write(src)
	} else {
		id = old.Blob
		n, err = s.blobs.extend(id, opt.position, src)
	}
	fail := func(e error) (*objectMeta, error) {
		if renamed(e) {
			return nil, e
		}
		if old == nil && id != "" {
			s.blobs.remove(id)
		} else if old != nil {
			s.blobs.truncate(id, opt.position)
		}
		return nil, e
	}
	if err != nil {
		return fail(err)
	}
	if n > limit {
		return fail(tooLarge())
	}
	if opt.contentMD5 != nil && !equalBytes(this.md5.Sum(nil), opt.contentMD5) {
		return fail(invalidDigest())
	}
	var m *objectMeta
	if old == nil {
		m = tmpl.clone()
		m.Type = TypeAppendable
		m.Blob = id
	} else {
		// Metadata comes from the first append only; an ACL given
		// later replaces the object's (the SDK's TestAppendObject).
		m = old.clone()
		if opt.aclGiven {
			m.ACL = tmpl.ACL
		}
	}
	state, err := whole.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return fail(err)
	}
	m.Size = opt.position + n
	m.CRC64 = crc64ecma.Combine(crc, this.crc, n)
	m.MD5State = state
	m.ETag = strings.ToUpper(hex.EncodeToString(whole.Sum(nil)))
	m.Modified = s.stamp()
	if err := s.commit(bucket, m, nil); err != nil {
		return fail(err)
	}
	return m, nil
}

// --- listing ---

type listing struct {
	objects   []*objectMeta
	prefixes  []string
	truncated bool
	next      string // last key or prefix returned, when truncated
}

// list returns up to max keys and common prefixes after marker, in byte
// order. A common prefix counts as one entry; when marker is itself a
// common prefix, its keys are skipped, so paging with NextMarker never
// returns a prefix twice.
func (s *store) list(bucket, prefix, marker, delimiter string, max int) (listing, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out listing
	b, ok := s.buckets[bucket]
	if !ok {
		return out, errNoSuchBucket(bucket)
	}
	start := marker
	if prefix > start {
		start = prefix
	}
	// Walk the keys from start; a common prefix ends the walk, which goes
	// on after the prefix's group. done says the listing is complete or full.
	count := 0
	from, done := start, false
	for !done {
		restart := ""
		done = true
		b.keys.AscendGreaterOrEqual(from, func(key string) bool {
			if key <= marker {
				return true
			}
			if !strings.HasPrefix(key, prefix) {
				return false
			}
			if delimiter != "" {
				if j := strings.Index(key[len(prefix):], delimiter); j >= 0 {
					cp := key[:len(prefix)+j+len(delimiter)]
					if cp != marker {
						if count == max {
							out.truncated = true
							return false
						}
						out.prefixes = append(out.prefixes, cp)
						out.next = cp
						count++
					}
					// Skip the rest of the group: keys are valid UTF-8,
					// which never holds the byte 0xff.
					restart, done = cp+"\xff", false
					return false
				}
			}
			if count == max {
				out.truncated = true
				return false
			}
			out.objects = append(out.objects, b.objects[key])
			out.next = key
			count++
			return true
		})
		from = restart
	}
	if !out.truncated {
		out.next = ""
	}
	return out, nil
}

// --- multipart ---

func (s *store) initiate(bucket string, tmpl *objectMeta, sequential bool, now time.Time) (*upload, error) {
	if _, err := s.bucket(bucket); err != nil {
		return nil, err
	}
	u := &upload{ID: strings.ToUpper(randomHex(16)), Key: tmpl.Key, Initiated: now.UTC().Truncate(time.Millisecond), Template: tmpl.clone(), Sequential: sequential, parts: map[int]*part{}}
	if s.dir != "" {
		if err := writeJSON(filepath.Join(s.uploadDir(bucket, u.ID), "upload.json"), u); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucket]
	if !ok {
		return nil, errNoSuchBucket(bucket)
	}
	b.uploads[u.ID] = u
	return u, nil
}

// getUpload returns upload id of bucket for key, with a copy of its parts.
func (s *store) getUpload(bucket, key, id string) (*upload, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.buckets[bucket]
	if !ok {
		return nil, errNoSuchBucket(bucket)
	}
	u, ok := b.uploads[id]
	if !ok || u.Key != key {
		return nil, errNoSuchUpload()
	}
	c := *u
	c.parts = make(map[int]*part, len(u.parts))
	for n, p := range u.parts {
		c.parts[n] = p
	}
	return &c, nil
}

func (s *store) uploadPart(bucket, key, id string, number int, body io.Reader, contentMD5 []byte, now time.Time) (*part, error) {
	if _, err := s.getUpload(bucket, key, id); err != nil {
		return nil, err
	}
	h := newHasher()
	blob, n, err := s.blobs.write(io.TeeReader(body, h))
	if err != nil {
		return nil, err
	}
	sum := h.md5.Sum(nil)
	if contentMD5 != nil && !equalBytes(sum, contentMD5) {
		s.blobs.remove(blob)
		return nil, invalidDigest()
	}
	p := &part{Number: number, Blob: blob, Size: n, ETag: strings.ToUpper(hex.EncodeToString(sum)), CRC64: h.crc, Modified: now.UTC().Truncate(time.Millisecond)}
	unlock := s.locks.lock("upload/" + id)
	defer unlock()
	if _, err := s.getUpload(bucket, key, id); err != nil {
		s.blobs.remove(blob)
		return nil, err
	}
	if s.dir != "" {
		if err := writeJSON(filepath.Join(s.uploadDir(bucket, id), fmt.Sprintf("part-%05d.json", number)), p); err != nil {
			s.blobs.remove(blob)
			return nil, err
		}
	}
	s.mu.Lock()
	u := s.buckets[bucket].uploads[id]
	old := u.parts[number]
	u.parts[number] = p
	s.mu.Unlock()
	if old != nil {
		s.blobs.remove(old.Blob)
	}
	return p, nil
}

// completePart is one <Part> of a CompleteMultipartUpload request.
type completePart struct {
	Number int
	ETag   string
}

// minPartSize is the smallest non-last part OSS accepts (100 KiB).
const minPartSize = 100 << 10

// complete checks the listed parts, joins them into the object and removes
// the upload with all its parts. The object appears at once, whole.
func (s *store) complete(bucket, key, id string, list []completePart, all bool, opt putOptions, now time.Time) (*objectMeta, error) {
	unlock := s.locks.lock("upload/" + id)
	defer unlock()
	u, err := s.getUpload(bucket, key, id)
	if err != nil {
		return nil, err
	}
	if all {
		list = list[:0]
		for n, p := range u.parts {
			list = append(list, completePart{Number: n, ETag: p.ETag})
		}
		sort.Slice(list, func(i, j int) bool { return list[i].Number < list[j].Number })
	}
	// An empty list completes an empty object: OSS accepts it (unlike S3),
	// which the SDKs' uploads of empty files rely on (issue 10).
	var (
		blobs []string
		etags []byte
		crc   uint64
		size  int64
	)
	for i, cp := range list {
		if i > 0 && cp.Number <= list[i-1].Number {
			return nil, NewError(http.StatusBadRequest, "InvalidPartOrder", "The list of parts was not in ascending order. Parts list must specified in order by part number.")
		}
		p, ok := u.parts[cp.Number]
		if !ok || !strings.EqualFold(strings.Trim(cp.ETag, `"`), p.ETag) {
			e := NewError(http.StatusBadRequest, "InvalidPart", "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.")
			e.Extra = []ErrorField{field("PartNumber", fmt.Sprint(cp.Number)), field("ETag", cp.ETag)}
			return nil, e
		}
		if i < len(list)-1 && p.Size < minPartSize {
			e := NewError(http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size.")
			e.Extra = []ErrorField{field("PartNumber", fmt.Sprint(cp.Number)), field("ProposedSize", fmt.Sprint(p.Size)), field("MinSizeAllowed", fmt.Sprint(minPartSize))}
			return nil, e
		}
		blobs = append(blobs, p.Blob)
		// OSS's multipart ETag is the MD5 of the parts' ETags, upper-case
		// hex one after another, then "-" and the number of parts: the Go
		// SDK's own download_test.go (TestDownloadRoutineWithRecovery)
		// expects "2351E662233817A7AE974D8C5B0876DD-5" for its sample image
		// in 100 KiB parts, which is that. (S3 hashes the binary MD5s.)
		etags = append(etags, strings.ToUpper(p.ETag)...)
		crc = crc64ecma.Combine(crc, p.CRC64, p.Size)
		size += p.Size
	}
	blob, err := s.blobs.concat(blobs)
	if err != nil {
		return nil, err
	}
	sum := md5.Sum(etags)
	m := u.Template.clone()
	m.Key, m.Blob, m.Size, m.CRC64, m.Type, m.Upload = key, blob, size, crc, TypeMultipart, id
	m.ETag = fmt.Sprintf("%s-%d", strings.ToUpper(hex.EncodeToString(sum[:])), len(list))
	m.Modified = now.UTC().Truncate(time.Millisecond)
	if u.Sequential {
		if m.MD5, err = s.blobMD5(blob, size); err != nil {
			s.blobs.remove(blob)
			return nil, err
		}
	}
	var check func(*objectMeta) error
	if opt.forbidOverwrite {
		check = forbidOverwrite
	}
	kunlock := s.locks.lock(bucket + "/" + key)
	err = s.commit(bucket, m, check)
	kunlock()
	if err != nil {
		if !renamed(err) {
			s.blobs.remove(blob)
		}
		return nil, err
	}
	crash("upload-done")
	s.dropUpload(bucket, u)
	return m, nil
}

// blobMD5 reads a blob of size bytes through and returns its MD5.
func (s *store) blobMD5(id string, size int64) ([]byte, error) {
	rd, err := s.blobs.open(id)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	h := md5.New()
	if _, err := io.Copy(h, io.NewSectionReader(rd, 0, size)); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// dropUpload forgets u and removes its parts. The caller holds its lock.
// Its upload.json goes first, so that a crash half-way leaves no upload
// with some of its parts (load removes a directory without one).
func (s *store) dropUpload(bucket string, u *upload) {
	if s.dir != "" {
		dir := s.uploadDir(bucket, u.ID)
		if os.Remove(filepath.Join(dir, "upload.json")) == nil {
			_ = syncDir(dir)
		}
		crash("upload-removed")
		os.RemoveAll(dir)
		_ = syncDir(filepath.Dir(dir))
	}
	s.mu.Lock()
	if b, ok := s.buckets[bucket]; ok {
		delete(b.uploads, u.ID)
	}
	s.mu.Unlock()
	for _, p := range u.parts {
		s.blobs.remove(p.Blob)
	}
}

func (s *store) abort(bucket, key, id string) error {
	unlock := s.locks.lock("upload/" + id)
	defer unlock()
	u, err := s.getUpload(bucket, key, id)
	if err != nil {
		return err
	}
	s.dropUpload(bucket, u)
	return nil
}

// uploads returns the bucket's uploads sorted by key, then upload ID.
func (s *store) uploads(bucket string) ([]*upload, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.buckets[bucket]
	if !ok {
		return nil, errNoSuchBucket(bucket)
	}
	out := make([]*upload, 0, len(b.uploads))
	for _, u := range b.uploads {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Key != out[j].Key {
			return out[i].Key < out[j].Key
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// --- helpers ---

// keyLocks are mutexes by name, created on demand and dropped when unused.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	sync.Mutex
	refs int
}

func (k *keyLocks) lock(name string) (unlock func()) {
	k.mu.Lock()
	l, ok := k.m[name]
	if !ok {
		l = &keyLock{}
		k.m[name] = l
	}
	l.refs++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.m, name)
		}
		k.mu.Unlock()
	}
}

// stamp is the current time at the millisecond precision OSS keeps.
func (s *store) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
