// Package download reads objects out of OSS so that what lands is exactly
// what OSS holds, or nothing: the CRC64-ECMA of the bytes received is
// checked against the object's x-oss-hash-crc64ecma (ranged parts are
// combined, never re-read), every request is pinned to the ETag first seen,
// files are written to a temporary file, synced and renamed, and large
// objects come in parallel ranged GETs that resume from a checkpoint after
// kill -9, a lost network or Ctrl-C.
package download

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"golang.org/x/time/rate"

	"github.com/ossx/ossx/internal/crc64ecma"
	"github.com/ossx/ossx/internal/ossx"
)

// Defaults for ranged downloads.
const (
	// DefaultPartSize is the size of one ranged GET.
	DefaultPartSize = 8 << 20
	// DefaultThreshold is the size above which an object comes in
	// parallel ranged GETs (and a file download can resume).
	DefaultThreshold = 32 << 20
	// MinPartSize keeps the number of requests and checkpoint entries sane.
	MinPartSize = 64 << 10
)

// Options control a Downloader.
type Options struct {
	Jobs      int   // ranged GETs in flight for one object; <1: 1
	PartSize  int64 // 0: DefaultPartSize
	Threshold int64 // 0: DefaultThreshold; <0: every non-empty object in parts

	Limiter  *rate.Limiter // shared bandwidth limit; nil: unlimited
	StateDir string        // where checkpoints live; "": file downloads do not resume
	Retry    ossx.RetryPolicy

	// Progress, when set, is told about bytes received (negative when bytes
	// are thrown away to be fetched again). Safe for concurrent use.
	Progress func(delta int64)
}

// Verification says how the bytes received were checked.
type Verification string

const (
	VerifiedCRC64 Verification = "crc64" // against x-oss-hash-crc64ecma
	VerifiedMD5   Verification = "md5"   // against Content-MD5 (object without a CRC64)
	VerifiedNone  Verification = "none"  // OSS gave neither
)

// Meta is what HEAD says about an object; every GET is pinned to it.
type Meta struct {
	Size     int64
	ETag     string // without quotes
	CRC64    uint64
	HasCRC   bool
	MD5      []byte // from Content-MD5; nil when absent
	Type     string // Normal, Multipart, Appendable
	Modified time.Time
}

// Result describes an object read in full and verified.
type Result struct {
	URL      ossx.URL
	Meta     Meta
	CRC64    uint64       // of the bytes received
	Verified Verification // how they were checked
	Resumed  int          // parts taken from an earlier, interrupted run
	// Restarted says why an earlier, interrupted run was not continued
	// (RestartChanged, RestartNoTemp); "" when there was none to continue.
	Restarted string
	Skipped   bool // --skip-unchanged: the local file already held these bytes
}

// CRCMismatchError means the bytes received do not have the object's CRC64
// (or MD5): nothing was kept.
type CRCMismatchError struct {
	Kind          string // "CRC64" or "MD5"
	Local, Server string
}

func (e *CRCMismatchError) Error() string {
	return fmt.Sprintf("%s mismatch: received %s, OSS says %s", e.Kind, e.Local, e.Server)
}

// Hint implements ossx.Hinted.
func (e *CRCMismatchError) Hint() string {
	return "the data was corrupted on the way; nothing was kept, run the same command again"
}

// ChangedError means the object was replaced while it was being read: the
// parts already fetched belong to another version, so they were dropped.
type ChangedError struct{ URL ossx.URL }

func (e *ChangedError) Error() string {
	return e.URL.String() + " was replaced while it was being downloaded"
}

// Hint implements ossx.Hinted.
func (e *ChangedError) Hint() string {
	return "nothing was kept; run the same command again to download the new version"
}

// UnverifiedError is returned under RequireVerified for an object OSS gave
// neither a CRC64 nor an MD5 for.
type UnverifiedError struct{ URL ossx.URL }

func (e *UnverifiedError) Error() string {
	return e.URL.String() + " has neither a CRC64 nor a Content-MD5 to verify against"
}

// Hint implements ossx.Hinted.
func (e *UnverifiedError) Hint() string {
	return "drop --require-verified to accept it unverified"
}

// Downloader reads objects from one OSS endpoint. Safe for concurrent use.
type Downloader struct {
	client   *oss.Client
	endpoint string
	opts     Options

	noResume     func() // told once when a ranged download cannot keep a checkpoint
	noResumeOnce sync.Once
	temps        leftovers // of killed runs, beside the DESTs
}

// NoResume makes downloads run without checkpoints (there is no state
// directory); warn is called once, when the first ranged download into a
// file starts, and never for downloads that would keep none anyway.
func (d *Downloader) NoResume(warn func()) {
	d.opts.StateDir = ""
	d.noResume = warn
}

// New returns a Downloader on client. The SDK's own CRC check is turned
// off: it skips ranged GETs, which this package checks itself.
func New(client *oss.Client, opts Options) *Downloader {
	client.Config.IsEnableCRC = false
	opts.Jobs = max(opts.Jobs, 1)
	if opts.PartSize <= 0 {
		opts.PartSize = DefaultPartSize
	}
	switch {
	case opts.Threshold == 0:
		opts.Threshold = DefaultThreshold
	case opts.Threshold < 0:
		opts.Threshold = 0
	}
	if opts.Retry.Attempts < 1 {
		opts.Retry = ossx.DefaultRetryPolicy(-1)
	}
	return &Downloader{client: client, endpoint: client.Config.Endpoint, opts: opts}
}

// Head returns what OSS says about u's object.
func (d *Downloader) Head(ctx context.Context, u ossx.URL) (Meta, error) {
	b, err := d.client.Bucket(u.Bucket)
	if err != nil {
		return Meta{}, err
	}
	var h http.Header
	err = d.opts.Retry.Do(ctx, func(ctx context.Context) error {
		var err error
		h, err = b.GetObjectDetailedMeta(u.Key, oss.WithContext(ctx))
		return err
	})
	if err != nil {
		return Meta{}, fmt.Errorf("head %s: %w", u, err)
	}
	return metaOf(h)
}

func metaOf(h http.Header) (Meta, error) {
	m := Meta{ETag: strings.Trim(h.Get("ETag"), `"`), Type: h.Get("x-oss-object-type")}
	var err error
	if m.Size, err = strconv.ParseInt(h.Get("Content-Length"), 10, 64); err != nil || m.Size < 0 {
		return Meta{}, fmt.Errorf("OSS answered without a valid Content-Length (%q)", h.Get("Content-Length"))
	}
	if v := h.Get("x-oss-hash-crc64ecma"); v != "" {
		if m.CRC64, err = strconv.ParseUint(v, 10, 64); err != nil {
			return Meta{}, fmt.Errorf("OSS answered an invalid x-oss-hash-crc64ecma %q", v)
		}
		m.HasCRC = true
	}
	if v := h.Get("Content-MD5"); v != "" {
		if raw, err := base64.StdEncoding.DecodeString(v); err == nil && len(raw) == md5.Size {
			m.MD5 = raw
		}
	}
	m.Modified, _ = http.ParseTime(h.Get("Last-Modified"))
	return m, nil
}

// verification is how an object with meta m will be checked.
func (m *Meta) verification() Verification {
	switch {
	case m.HasCRC:
		return VerifiedCRC64
	case m.MD5 != nil:
		return VerifiedMD5
	}
	return VerifiedNone
}

// check compares what was received with m: crc of the bytes, and md5 when
// m has no CRC64 (nil when the MD5 was not computed).
func (m *Meta) check(crc uint64, sum hash.Hash) error {
	switch m.verification() {
	case VerifiedCRC64:
		if crc != m.CRC64 {
			return &CRCMismatchError{Kind: "CRC64", Local: strconv.FormatUint(crc, 10), Server: strconv.FormatUint(m.CRC64, 10)}
		}
	case VerifiedMD5:
		if got := sum.Sum(nil); string(got) != string(m.MD5) {
			return &CRCMismatchError{Kind: "MD5", Local: base64.StdEncoding.EncodeToString(got), Server: base64.StdEncoding.EncodeToString(m.MD5)}
		}
	}
	return nil
}

// fetch writes bytes [off, off+n) of the object to w and returns their
// CRC64. A request that fails part-way is retried from the byte it reached,
// not from off, and a retry that made progress starts a fresh retry budget,
// so a flaky network slows a large object down without failing it. Every
// request carries If-Match with m's ETag (except for appendable objects, see
// pin), so bytes of two versions are never mixed.
func (d *Downloader) fetch(ctx context.Context, b *oss.Bucket, key string, m *Meta, off, n int64, w io.Writer) (uint64, error) {
	var crc uint64
	var got int64
	for {
		start := got
		err := d.opts.Retry.Do(ctx, func(ctx context.Context) error {
			return d.get(ctx, b, key, m, off+got, n-got, func(p []byte) error {
				if _, err := w.Write(p); err != nil {
					return &localError{err}
				}
				crc = crc64ecma.Update(crc, p)
				got += int64(len(p))
				return nil
			})
		})
		var le *localError
		switch {
		case err == nil:
			return crc, nil
		case errors.As(err, &le):
			return 0, le
		case got > start && ossx.IsRetryable(err) && ctx.Err() == nil:
			continue
		}
		var se oss.ServiceError
		if errors.As(err, &se) && se.StatusCode == http.StatusPreconditionFailed {
			return 0, &ChangedError{URL: ossx.URL{Bucket: b.BucketName, Key: key}}
		}
		return 0, err
	}
}

// localError is a failure to write what was received (a full disk, a
// closed stdout): never retried.
type localError struct{ err error }

// No Unwrap: ossx.IsRetryable would take a closed pipe's EPIPE for the
// network's.
func (e *localError) Error() string { return e.err.Error() }

// bufSize is how much of a response body is read at a time.
const bufSize = 256 << 10

// get makes one GET of [off, off+n) and hands the body to emit in chunks.
func (d *Downloader) get(ctx context.Context, b *oss.Bucket, key string, m *Meta, off, n int64, emit func([]byte) error) error {
	if n == 0 {
		return nil
	}
	// "identity": else Go's transport asks for gzip itself and then
	// decodes an object stored with Content-Encoding: gzip (a
	// precompressed web asset) on the way, so the bytes received are not
	// the object's and fail the CRC64 check every time (net/http,
	// Transport.DisableCompression); and OSS gzips text objects of 1 KB
	// and more on the fly for a request that accepts gzip, dropping the
	// ETag and Content-Length (OSS FAQ "How do I compress objects that I
	// download from OSS in the GZIP format?",
	// https://www.alibabacloud.com/help/faq-detail/39645.html). The Ruby
	// SDK sends identity by default for the same reasons.
	opts := []oss.Option{oss.WithContext(ctx), oss.AcceptEncoding("identity")}
	if pin(m) {
		opts = append(opts, oss.IfMatch(`"`+m.ETag+`"`))
	}
	ranged := off > 0 || n < m.Size || m.Type == "Appendable"
	if ranged {
		// Without "standard", OSS answers a range it cannot satisfy with
		// the whole object and status 200 (OSS docs, "GetObject": Range).
		opts = append(opts, oss.Range(off, off+n-1), oss.RangeBehavior("standard"))
	}
	res, err := b.DoGetObject(&oss.GetObjectRequest{ObjectKey: key}, opts)
	if err != nil {
		return err
	}
	body := res.Response.Body
	defer body.Close()
	if ranged && res.Response.StatusCode != http.StatusPartialContent {
		return fmt.Errorf("OSS answered a ranged GET with status %d, not 206", res.Response.StatusCode)
	}
	if ranged {
		// Bytes of another range would land at the wrong offset; only a
		// CRC64 or MD5 would catch that, and not every object has one.
		var a, z int64
		cr := res.Response.Headers.Get("Content-Range")
		if _, err := fmt.Sscanf(cr, "bytes %d-%d/", &a, &z); err != nil || a != off || z != off+n-1 {
			return fmt.Errorf("asked for bytes %d-%d, OSS answered Content-Range %q", off, off+n-1, cr)
		}
	}
	if !pin(m) {
		// An appendable object only grows, so its first m.Size bytes are
		// fixed; the CRC check catches one deleted and written anew.
		if t := res.Response.Headers.Get("x-oss-object-type"); t != m.Type {
			return &ChangedError{URL: ossx.URL{Bucket: b.BucketName, Key: key}}
		}
	}
	buf := make([]byte, min(int64(bufSize), n))
	var read int64
	for read < n {
		k, rerr := body.Read(buf[:min(int64(len(buf)), n-read)])
		if k > 0 {
			if err := d.wait(ctx, k); err != nil {
				return err
			}
			if err := emit(buf[:k]); err != nil {
				return err
			}
			read += int64(k)
			if d.opts.Progress != nil {
				d.opts.Progress(int64(k))
			}
		}
		if rerr == io.EOF {
			if read < n {
				return fmt.Errorf("response ended after %d of %d bytes: %w", read, n, io.ErrUnexpectedEOF)
			}
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	return nil
}

// wait takes n bytes from the bandwidth limit, a burst at a time.
func (d *Downloader) wait(ctx context.Context, n int) error {
	l := d.opts.Limiter
	for l != nil && n > 0 {
		k := min(n, l.Burst())
		if err := l.WaitN(ctx, k); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// pin reports whether GETs carry If-Match. An appendable object's ETag
// changes with every append while the bytes already there stay, so a log
// gtail is still shipping is read up to the size HEAD saw instead of
// failing; every other object must keep its ETag.
func pin(m *Meta) bool { return m.Type != "Appendable" }

// parts splits size bytes into ranges of partSize.
func parts(size, partSize int64) []span {
	var s []span
	for off := int64(0); off < size; off += partSize {
		s = append(s, span{off, min(partSize, size-off)})
	}
	return s
}

type span struct{ off, n int64 }
