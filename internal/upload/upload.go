// Package upload puts local files and streams into OSS so that the object
// either holds exactly the bytes read or does not look finished: every object
// is checked against the server's CRC64-ECMA, single PUTs carry Content-MD5,
// large files go up in resumable multipart uploads, and a source that changes
// while it is read is an error, never a torn object. Against an
// OSS-compatible server that sends no CRC64 (Aliyun's Ruby oss-emulator),
// every PUT and part carries Content-MD5, which the server checks, and its
// ETag is compared with that MD5 (Result.Verified says which check held).
package upload

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"golang.org/x/time/rate"

	"github.com/ossx/ossx/internal/crc64ecma"
	"github.com/ossx/ossx/internal/ossx"
)

// Limits OSS puts on multipart uploads (OSS docs, "UploadPart"): at most
// 10,000 parts, each but the last at least 100 KiB and at most 5 GiB.
const (
	MaxParts    = 10000
	MinPartSize = 100 << 10
	MaxPartSize = 5 << 30

	// DefaultPartSize is the smallest part size chosen for a file: each
	// part costs a request and a checkpoint save, and a 256 MiB upload
	// took 0.29 s of CPU in 8 MiB parts, 0.26 s in 16 MiB ones (curl's
	// single PUT 0.23 s; BENCHMARKS.md).
	DefaultPartSize = 16 << 20
	// StreamPartSize is the part size used for stdin, whose parts are
	// held in memory while they are sent.
	StreamPartSize = 8 << 20
	// DefaultThreshold is the size above which a file goes up in parts.
	DefaultThreshold = 64 << 20
)

// Object holds what is set on the objects written: headers, metadata, ACL
// and storage class. Empty fields are left to OSS's defaults, except the
// content type, which defaults to one guessed from the extension.
type Object struct {
	ContentType        string
	CacheControl       string
	ContentDisposition string
	Meta               map[string]string // x-oss-meta-*
	ACL                string            // private, public-read, public-read-write, default
	StorageClass       string            // Standard, IA, Archive, ColdArchive, DeepColdArchive
}

// Options control an Uploader.
type Options struct {
	Object Object

	NoClobber     bool // never replace an existing object (x-oss-forbid-overwrite)
	SkipUnchanged bool // skip when the object has the same size and CRC64

	Threshold int64 // files larger than this go up in parts; 0: DefaultThreshold; <0: every non-empty file
	PartSize  int64 // 0: chosen from the size (files) or StreamPartSize (stdin)
	Jobs      int   // transfers in flight at once; <1: 1

	Limiter  *rate.Limiter // shared bandwidth limit; nil: unlimited
	StateDir string        // where multipart checkpoints live; "": not resumable
	StateErr error         // set: there is no state directory, and a file in parts fails with this
	Retry    ossx.RetryPolicy

	// Progress, when set, is told about bytes sent (negative when an
	// attempt is retried and its bytes will be sent again). It must be safe
	// for concurrent use.
	Progress func(delta int64)
}

// What proved an object whole (Result.Verified).
const (
	// VerifiedCRC64: the server's x-oss-hash-crc64ecma of the object
	// equals the CRC64 of the bytes read.
	VerifiedCRC64 = "crc64"
	// VerifiedMD5: the server sends no CRC64; every PUT and part carried
	// Content-MD5, which the server checks, its ETag is that MD5, and a
	// multipart object is those parts (Complete names them by ETag) and
	// has the size sent.
	VerifiedMD5 = "md5"
)

// Result describes an object that is now in OSS with the source's bytes.
type Result struct {
	URL      ossx.URL
	Size     int64
	CRC64    uint64
	ETag     string
	Verified string // VerifiedCRC64 or VerifiedMD5
	Skipped  bool   // --skip-unchanged: the object already held these bytes
	Resumed  int    // parts taken over from an earlier, interrupted run
	// StaleAborted: a stream's upload left open by an earlier, killed run of
	// the same command was aborted.
	StaleAborted bool
}

// Uploader uploads to one OSS endpoint. It is safe for concurrent use.
type Uploader struct {
	client   *oss.Client
	endpoint string
	opts     Options
	slots    chan struct{} // one per transfer (PUT or part) in flight
	// noCRC64 is set once the server answered a write without
	// x-oss-hash-crc64ecma: from then on every part carries Content-MD5.
	noCRC64 atomic.Bool
}

// New returns an Uploader using client. It turns off the SDK's own CRC
// check: the Uploader checks every object itself and, unlike the SDK
// (oss/error.go CheckCRC), treats a missing server CRC as a failure.
func New(client *oss.Client, opts Options) *Uploader {
	client.Config.IsEnableCRC = false
	client.Config.IsEnableMD5 = false
	switch {
	case opts.Threshold == 0:
		opts.Threshold = DefaultThreshold
	case opts.Threshold < 0:
		opts.Threshold = 0
	}
	opts.Jobs = max(opts.Jobs, 1)
	if opts.Retry.Attempts < 1 {
		opts.Retry = ossx.DefaultRetryPolicy(-1)
	}
	return &Uploader{
		client:   client,
		endpoint: client.Config.Endpoint,
		opts:     opts,
		slots:    make(chan struct{}, opts.Jobs),
	}
}

// CRCMismatchError means the server's CRC64 of an object differs from the
// CRC64 of the bytes sent: the object is corrupt and has been removed.
type CRCMismatchError struct {
	Local, Server uint64
}

func (e *CRCMismatchError) Error() string {
	return fmt.Sprintf("CRC64 mismatch: sent %d, server computed %d", e.Local, e.Server)
}

// Hint implements ossx.Hinted.
func (e *CRCMismatchError) Hint() string {
	return "the data was corrupted on the way; run the same command again"
}

// ErrSourceChanged means the source file was modified while it was read.
var ErrSourceChanged = errors.New("source changed while it was being uploaded")

// ExistsError means --no-clobber found the key taken.
type ExistsError struct{ URL ossx.URL }

func (e *ExistsError) Error() string { return e.URL.String() + " already exists" }

// Hint implements ossx.Hinted.
func (e *ExistsError) Hint() string {
	return "--no-clobber keeps existing objects; choose another key or drop --no-clobber"
}

func (u *Uploader) bucket(name string) (*oss.Bucket, error) {
	return u.client.Bucket(name)
}

// acquire takes a transfer slot, bounding the requests carrying data.
func (u *Uploader) acquire(ctx context.Context) error {
	select {
	case u.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (u *Uploader) release() { <-u.slots }

// permanentError stops a retry loop at once: a local condition (the source
// changed, a CRC mismatch) that another attempt cannot fix.
// ossx.IsRetryable treats every non-OSS error as transient, so these must
// not reach it.
type permanentError struct{ err error }

func (p *permanentError) Error() string { return p.err.Error() }

func permanent(err error) error { return &permanentError{err} }

// retry runs op under the retry policy; a permanentError ends it.
func (u *Uploader) retry(ctx context.Context, op func(ctx context.Context) error) error {
	var final error
	err := u.opts.Retry.Do(ctx, func(ctx context.Context) error {
		err := op(ctx)
		var p *permanentError
		if errors.As(err, &p) {
			final = p.err
			return nil
		}
		return err
	})
	if final != nil {
		return final
	}
	if err != nil && ctx.Err() != nil {
		return errors.Join(ctx.Err(), err)
	}
	return err
}

// headerOptions are the request options that set what Object says.
func (u *Uploader) headerOptions(key, source string) []oss.Option {
	o := u.opts.Object
	ct := o.ContentType
	if ct == "" {
		ct = contentType(source, key)
	}
	opts := []oss.Option{oss.ContentType(ct)}
	if o.CacheControl != "" {
		opts = append(opts, oss.CacheControl(o.CacheControl))
	}
	if o.ContentDisposition != "" {
		opts = append(opts, oss.ContentDisposition(o.ContentDisposition))
	}
	for k, v := range o.Meta {
		opts = append(opts, oss.Meta(k, v))
	}
	if o.ACL != "" {
		opts = append(opts, oss.ObjectACL(oss.ACLType(o.ACL)))
	}
	if o.StorageClass != "" {
		opts = append(opts, oss.ObjectStorageClass(oss.StorageClassType(o.StorageClass)))
	}
	if u.opts.NoClobber {
		opts = append(opts, oss.ForbidOverWrite(true))
	}
	return opts
}

// remote is what HEAD says about an object; ok is false when it is absent.
type remote struct {
	ok    bool
	size  int64
	crc   uint64
	hasCR bool
	etag  string
}

// head fetches an object's size, CRC64 and ETag.
func (u *Uploader) head(ctx context.Context, b *oss.Bucket, key string) (remote, error) {
	var r remote
	err := u.retry(ctx, func(ctx context.Context) error {
		h, err := b.GetObjectDetailedMeta(key, oss.WithContext(ctx))
		if isStatus(err, http.StatusNotFound) {
			r = remote{}
			return nil
		}
		if err != nil {
			return err
		}
		r = remote{ok: true, etag: trimETag(h.Get(oss.HTTPHeaderEtag))}
		r.size, _ = strconv.ParseInt(h.Get(oss.HTTPHeaderContentLength), 10, 64)
		r.crc, r.hasCR = serverCRC(h)
		return nil
	})
	return r, err
}

// matches reports whether the remote object holds size bytes with CRC64 crc.
func (r remote) matches(size int64, crc uint64) bool {
	return r.ok && r.hasCR && r.size == size && r.crc == crc
}

// deleteObject removes an object this run wrote and found corrupt.
func (u *Uploader) deleteObject(b *oss.Bucket, key string) error {
	// A fresh context: the object must go even when the run was cancelled.
	ctx := context.WithoutCancel(context.Background())
	return u.retry(ctx, func(ctx context.Context) error {
		return b.DeleteObject(key, oss.WithContext(ctx))
	})
}

func serverCRC(h http.Header) (uint64, bool) {
	v := h.Get(oss.HTTPHeaderOssCRC64)
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, 64)
	return n, err == nil
}

func trimETag(s string) string { return strings.Trim(s, `"`) }

func isStatus(err error, status int) bool {
	var se oss.ServiceError
	return errors.As(err, &se) && se.StatusCode == status
}

func isCode(err error, code string) bool {
	var se oss.ServiceError
	return errors.As(err, &se) && se.Code == code
}

// verify checks the answer h to a write of bytes with CRC64 crc: against
// the server's CRC64 or, from a server that sends none, against md5b64,
// the Content-MD5 the request carried ("" when it carried none). It
// returns what verified the write (VerifiedCRC64 or VerifiedMD5).
func (u *Uploader) verify(h http.Header, crc uint64, md5b64 string) (string, error) {
	if srv, ok := serverCRC(h); ok {
		if srv != crc {
			return "", &CRCMismatchError{Local: crc, Server: srv}
		}
		return VerifiedCRC64, nil
	}
	u.noCRC64.Store(true)
	if md5b64 == "" {
		return "", fmt.Errorf("server sent no %s header; cannot verify the upload", oss.HTTPHeaderOssCRC64)
	}
	// The server accepted the Content-MD5, so it holds bytes with that MD5,
	// and OSS's ETag of a PUT or a part is their MD5 in hex (OSS docs,
	// "ETag"; osslocal and the oss-emulator do the same). An ETag of
	// another form cannot confirm it.
	if etag := trimETag(h.Get(oss.HTTPHeaderEtag)); !etagIsMD5(etag, md5b64) {
		return "", fmt.Errorf("server sent no %s header, and its ETag %q is not the MD5 of the bytes sent; cannot verify the upload",
			oss.HTTPHeaderOssCRC64, etag)
	}
	return VerifiedMD5, nil
}

// etagIsMD5 reports whether etag (unquoted) is the MD5 md5b64 (base64) in hex.
func etagIsMD5(etag, md5b64 string) bool {
	raw, err := base64.StdEncoding.DecodeString(md5b64)
	return err == nil && len(raw) == md5.Size && strings.EqualFold(etag, hex.EncodeToString(raw))
}

// digests hashes the bytes read through it: CRC64, and MD5 when it was
// asked for (single PUTs carry Content-MD5; parts do not need it).
type digests struct {
	crc hash.Hash64
	md5 hash.Hash // nil: CRC64 only
}

func newDigests(withMD5 bool) *digests {
	d := &digests{crc: crc64ecma.New()}
	if withMD5 {
		d.md5 = md5.New()
	}
	return d
}

func (d *digests) Write(p []byte) (int, error) {
	d.crc.Write(p)
	if d.md5 != nil {
		d.md5.Write(p)
	}
	return len(p), nil
}

func (d *digests) md5Base64() string { return base64.StdEncoding.EncodeToString(d.md5.Sum(nil)) }

// body is a request body: it honours the bandwidth limit, reports progress,
// optionally hashes what it hands out (crc), and, before handing out the
// final bytes, runs final (used to check the source did not change, so that
// a changed source aborts the request before the server can commit it).
//
// A single PUT's body is not hashed: it goes with the Content-MD5 of the
// first read, so OSS itself rejects one that reads differently (400
// InvalidDigest), and a second CRC64 pass would cost about a third of an
// upload's CPU for nothing (BENCHMARKS.md). A part is read once: its CRC64
// is computed here, from the bytes handed out (Read) or from the read of
// each chunk just before sendfile(2) sends it (fileBody.SendFile), and
// checked against the x-oss-hash-crc64ecma OSS answers for the part and,
// combined, for the whole object at Complete.
type body struct {
	ctx      context.Context
	r        io.Reader
	left     int64
	limiter  *rate.Limiter
	progress func(int64)
	sent     int64
	crc      hash.Hash64 // nil: not hashed
	final    func() error
	// file and off are set when r reads a section of file: off is where
	// the bytes not read yet start.
	file *os.File
	off  int64
}

func (u *Uploader) newBody(ctx context.Context, r io.Reader, size int64, final func() error) *body {
	b := &body{
		ctx: ctx, r: r, left: size,
		limiter: u.opts.Limiter, progress: u.opts.Progress, final: final,
	}
	if sr, ok := r.(*io.SectionReader); ok {
		if ra, off, _ := sr.Outer(); ra != nil {
			if f, ok := ra.(*os.File); ok {
				if pos, err := sr.Seek(0, io.SeekCurrent); err == nil {
					b.file, b.off = f, off+pos
				}
			}
		}
	}
	return b
}

// reader is the request body to hand the SDK: a section of a file that is
// not rate-limited on the way goes as an ossx.FileBody, so that the
// connection sends it by sendfile(2) (a single PUT's body, whose CRC64 and
// MD5 came from the first read, with Content-MD5 making OSS check what
// arrives; a part, hashed as it is sent).
func (b *body) reader() io.Reader {
	if b.file != nil && b.limiter == nil {
		return fileBody{b}
	}
	return &io.LimitedReader{R: b, N: b.left}
}

// fileBody is a body that can be sent as sections of its file.
type fileBody struct{ *body }

var _ ossx.FileBody = fileBody{}

// sendChunk is the most one sendfile call of a body sends: progress is
// reported, and ctx checked, between them.
const sendChunk = 1 << 20

func (b fileBody) Len() int { return int(b.left) }

// Close does nothing: net/http closes a request body once sent, and the
// file is the caller's.
func (b fileBody) Close() error { return nil }

// SendFile implements ossx.FileBody, with what Read does around the
// bytes: hashing, final before the last of them, progress, ctx.
//
// A hashed body (a part) reads each chunk into memory for its CRC64 just
// before the kernel sends the same section of the file: that read is a
// copy the part costs anyway, while the send, a second copy through a
// buffer, is saved. Should the file change between the two, OSS's CRC64 of
// what it received differs from this one and the part fails verification;
// and as in Read, final checks the file before the last chunk goes.
func (b fileBody) SendFile(send func(f *os.File, off, n int64) (int64, error)) (int64, error) {
	var buf []byte
	if b.crc != nil {
		bp := readBufs.Get().(*[]byte)
		defer readBufs.Put(bp)
		buf = *bp
	}
	var total int64
	for b.left > 0 {
		if err := b.ctx.Err(); err != nil {
			return total, err
		}
		n := min(b.left, sendChunk)
		if b.crc != nil {
			// The chunk is hashed in full before it is sent: if fewer
			// bytes go, the body fails below and its CRC64 is never used.
			if err := hashAt(b.crc, b.file, b.off, n, buf); err != nil {
				return total, err
			}
		}
		if n == b.left && b.final != nil {
			if err := b.final(); err != nil {
				return total, err
			}
		}
		m, err := send(b.file, b.off, n)
		b.off += m
		b.left -= m
		b.sent += m
		total += m
		if m > 0 && b.progress != nil {
			b.progress(m)
		}
		if err != nil {
			return total, err
		}
		if m < n {
			return total, fmt.Errorf("%w: it is shorter than when the upload started", ErrSourceChanged)
		}
	}
	return total, nil
}

// readBufs hold what is read from a file to be hashed: 256 KiB reads keep
// the syscalls few (a thousand for 256 MiB) and the buffer within a core's
// L2 cache, and a pooled buffer spares the page faults a fresh one costs
// each time (about 20 µs per 4 KiB page in the benchmark's VM).
var readBufs = sync.Pool{New: func() any { b := make([]byte, readBufSize); return &b }}

const readBufSize = 256 << 10

// hashAt writes n bytes of f from off to h, reading them through buf.
func hashAt(h io.Writer, f *os.File, off, n int64, buf []byte) error {
	for n > 0 {
		m, err := f.ReadAt(buf[:min(n, int64(len(buf)))], off)
		h.Write(buf[:m])
		off += int64(m)
		n -= int64(m)
		if err == io.EOF && n > 0 {
			return fmt.Errorf("%w: it is shorter than when the upload started", ErrSourceChanged)
		}
		if err != nil && err != io.EOF {
			return err
		}
	}
	return nil
}

func (b *body) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	if b.limiter != nil && len(p) > b.limiter.Burst() {
		p = p[:b.limiter.Burst()]
	}
	n, err := b.r.Read(p)
	if n > 0 {
		b.left -= int64(n)
		b.off += int64(n)
		if b.crc != nil {
			b.crc.Write(p[:n])
		}
		if b.left == 0 && b.final != nil {
			if ferr := b.final(); ferr != nil {
				return 0, ferr
			}
		}
		if b.limiter != nil {
			if werr := b.limiter.WaitN(b.ctx, n); werr != nil {
				return 0, werr
			}
		}
		b.sent += int64(n)
		if b.progress != nil {
			b.progress(int64(n))
		}
	}
	if err == io.EOF && b.left > 0 {
		return n, fmt.Errorf("%w: it is shorter than when the upload started", ErrSourceChanged)
	}
	return n, err
}

// undo takes back the progress of a failed attempt.
func (b *body) undo() {
	if b.progress != nil && b.sent > 0 {
		b.progress(-b.sent)
	}
	b.sent = 0
}

// putObject sends one object in a single PUT: size bytes from open() (called
// afresh for each attempt), with Content-MD5 md5b64 and the expected CRC64
// crc. final, when set, runs before the last byte is handed over.
func (u *Uploader) putObject(ctx context.Context, dst ossx.URL, source string, size int64, md5b64 string, crc uint64,
	open func() (io.Reader, error), final func() error) (Result, error) {
	b, err := u.bucket(dst.Bucket)
	if err != nil {
		return Result{}, err
	}
	if err := u.acquire(ctx); err != nil {
		return Result{}, err
	}
	defer u.release()

	res := Result{URL: dst, Size: size, CRC64: crc}
	// uncertain is set once an attempt failed without a clear answer from
	// OSS: it may have been applied, so a later FileAlreadyExists may be our
	// own object.
	uncertain := false
	err = u.retry(ctx, func(ctx context.Context) error {
		r, err := open()
		if err != nil {
			return permanent(err)
		}
		bd := u.newBody(ctx, r, size, final)
		var h http.Header
		opts := append(u.headerOptions(dst.Key, source),
			oss.ContentMD5(md5b64), oss.GetResponseHeader(&h), oss.WithContext(ctx))
		err = putRequest(b, dst.Key, bd.reader(), opts)
		switch {
		case errors.Is(err, ErrSourceChanged):
			return permanent(err)
		case isCode(err, "FileAlreadyExists"):
			if uncertain {
				r, herr := u.head(ctx, b, dst.Key)
				switch {
				case herr == nil && r.matches(size, crc):
					res.ETag, res.Verified = r.etag, VerifiedCRC64
					return nil
				case herr == nil && r.ok && !r.hasCR && r.size == size && etagIsMD5(r.etag, md5b64):
					res.ETag, res.Verified = r.etag, VerifiedMD5
					return nil
				}
			}
			return permanent(&ExistsError{URL: dst})
		case err != nil:
			bd.undo()
			var se oss.ServiceError
			uncertain = uncertain || !errors.As(err, &se) || se.StatusCode >= 500
			return err
		}
		res.ETag = trimETag(h.Get(oss.HTTPHeaderEtag))
		verified, err := u.verify(h, crc, md5b64)
		if err != nil {
			return permanent(u.discard(b, dst, err))
		}
		res.Verified = verified
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// putRequest is the SDK's Bucket.DoPutObject (oss/bucket.go) through
// Bucket.Do, as the parts and the initiation of multipart uploads go: the
// same PUT, the same answer (a status other than 200 an error, an XML error
// body in it an oss.ServiceError). DoPutObject reaches oss.AddContentType,
// whose table the SDK builds as a 552-entry map at every start of a
// program that links it (1.3 % of a 4 KiB upload's CPU, BENCHMARKS.md);
// opts always name the content type here, so it was never used.
func putRequest(b *oss.Bucket, key string, body io.Reader, opts []oss.Option) error {
	if err := oss.CheckObjectName(key); err != nil {
		return err
	}
	resp, err := b.Do("PUT", key, map[string]any{}, opts, body, nil)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		return err
	}
	defer resp.Body.Close()
	err = oss.CheckRespCode(resp.StatusCode, []int{http.StatusOK})
	if data, _ := io.ReadAll(resp.Body); len(data) > 0 && err != nil {
		// As the SDK's tryConvertServiceError.
		var se oss.ServiceError
		if xml.Unmarshal(data, &se) == nil {
			se.StatusCode = resp.StatusCode
			se.RequestID = resp.Headers.Get(oss.HTTPHeaderOssRequestID)
			se.RawMessage = string(data)
			err = se
		}
	}
	return err
}

// discard deletes an object this run just wrote and that failed
// verification, so nothing good-looking is left behind; cause is returned,
// joined with any failure to delete.
func (u *Uploader) discard(b *oss.Bucket, dst ossx.URL, cause error) error {
	if err := u.deleteObject(b, dst.Key); err != nil {
		return errors.Join(cause, fmt.Errorf("could not delete the bad object %s: %w", dst, err))
	}
	return fmt.Errorf("%w; the object was deleted", cause)
}
