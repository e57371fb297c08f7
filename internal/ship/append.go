package ship

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/crc64ecma"
	"github.com/ossx/ossx/internal/ossx"
)

// Object is the committed state of one appendable object.
type Object struct {
	Key string
	Pos int64  // length: the next append position
	CRC uint64 // CRC64-ECMA of the whole object
}

// ConflictError means the object is not what this gtail wrote: another
// writer, a deleted or overwritten object, or a file that changed under a
// stale state. The file it belongs to is stopped.
type ConflictError struct {
	Key    string
	Reason string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("object %s: %s; another writer? stopping this file", e.Key, e.Reason)
}

// Hint tells the user what to look for.
func (e *ConflictError) Hint() string {
	return "another program (or a gtail with another --state-dir) writes to this object, or it was deleted or replaced; gtail will not touch it"
}

// Appender appends to OSS appendable objects exactly once.
//
// AppendObject is a compare-and-append: it applies only at position ==
// current length. Any outcome that is not a clear answer (timeout, reset,
// 5xx, 409 PositionNotEqualToLength after a lost response, a CRC mismatch) is
// settled by HeadObject: length and x-oss-hash-crc64ecma say whether the
// append landed — the CRC must equal the state's CRC extended by exactly
// the bytes we sent — and then we move on or retry. We never guess.
//
// OSS answers HeadObject on an appendable object with Content-Length,
// x-oss-next-append-position and x-oss-hash-crc64ecma, and a wrong position
// with 409 PositionNotEqualToLength (OSS docs, AppendObject, and error
// 0026-00000016: https://help.aliyun.com/en/oss/user-guide/0026-00000016).
type Appender struct {
	Bucket *oss.Bucket
	Retry  ossx.RetryPolicy // Base and Max pace the retries
	// Bounded: give up after Retry.Attempts (gtail --once, for cron: the
	// next run goes on). Otherwise retry for as long as ctx allows.
	Bounded bool
	Gzip    bool
	Log     *slog.Logger
}

// Encode returns the bytes an append of data sends: data itself, or with
// gzip one complete gzip member, so the object is a valid .gz after every
// append. Members carry no name or time, so the same data always encodes
// the same way. The member is written into dst (grown as needed, its
// contents replaced): a caller that ships batch after batch hands the last
// body back in, so that no buffer is garbage per append.
func (a *Appender) Encode(dst, data []byte) []byte {
	if !a.Gzip {
		return data
	}
	b := bytes.NewBuffer(dst[:0])
	b.Grow(len(data)/4 + 64) // log lines compress about 8×
	var zw *gzip.Writer
	select {
	case zw = <-gzipWriters:
		zw.Reset(b) // a new member, header as from gzip.NewWriter
	default:
		zw = gzip.NewWriter(b)
	}
	zw.Write(data)
	zw.Close()
	select {
	case gzipWriters <- zw:
	default:
	}
	return b.Bytes()
}

// gzipWriters keeps compressors between appends: each holds ~850 KB of
// compress/flate state, which as garbage per append set gtail --gzip's
// peak RSS (BENCHMARKS.md). A free list rather than a sync.Pool, which
// drops its contents at every other GC and so made a new compressor every
// few appends; as many as gtail compresses at once (tail's batches in
// flight), no more.
var gzipWriters = make(chan *gzip.Writer, 4)

// Append appends body (already encoded) to obj, retrying through outages
// for as long as ctx allows. It returns the new object state.
func (a *Appender) Append(ctx context.Context, obj Object, body []byte) (Object, error) {
	want := Object{Key: obj.Key, Pos: obj.Pos + int64(len(body)), CRC: crc64ecma.Update(obj.CRC, body)}
	for attempt := 1; ; attempt++ {
		h, next, err := a.appendObject(ctx, obj, body)
		// The answer's CRC64 is checked here, against want, so that the
		// SDK's own check (Config.IsEnableCRC), which hashes every byte a
		// second time, can be turned off.
		switch crc := h.Get(oss.HTTPHeaderOssCRC64); {
		case err == nil && next == want.Pos && crc == strconv.FormatUint(want.CRC, 10):
			return want, nil
		case err == nil && crc == "":
			// It landed, unverified; without CRC64s nothing later can tell
			// whether a retried append landed either.
			return obj, &NoCRC64Error{Key: obj.Key}
		case err == nil && next == want.Pos:
			err = fmt.Errorf("OSS answered CRC64 %q, expected %d", crc, want.CRC)
		case err == nil:
			err = fmt.Errorf("OSS answered next position %d, expected %d", next, want.Pos)
		}
		if ctx.Err() != nil {
			return obj, ctx.Err()
		}
		var se oss.ServiceError
		if errors.As(err, &se) && se.StatusCode/100 == 4 && se.Code != "PositionNotEqualToLength" && se.StatusCode != 429 {
			if se.Code == "ObjectNotAppendable" {
				return obj, &ConflictError{Key: obj.Key, Reason: "exists and is not appendable"}
			}
			return obj, fmt.Errorf("append %s: %w", obj.Key, err)
		}
		// The append may or may not have landed: ask OSS.
		a.Log.Warn("append failed; checking the object", "key", obj.Key, "pos", obj.Pos, "attempt", attempt, "err", ossx.Message(err))
		lastErr := err
		got, err := a.Head(ctx, obj.Key)
		if err != nil {
			return obj, err
		}
		switch {
		case got == want:
			return want, nil // it landed; only the answer was lost
		case got.Pos == obj.Pos && (got.CRC == obj.CRC || obj.Pos == 0):
			// It did not land: wait and send it again.
		default:
			return obj, &ConflictError{Key: obj.Key, Reason: fmt.Sprintf(
				"is %d bytes (crc %d); expected %d (crc %d) before or %d (crc %d) after our append",
				got.Pos, got.CRC, obj.Pos, obj.CRC, want.Pos, want.CRC)}
		}
		if a.Bounded && attempt >= a.Retry.Attempts {
			return obj, fmt.Errorf("append %s: giving up after %d attempts: %w", obj.Key, attempt, lastErr)
		}
		if err := sleep(ctx, a.Retry.Backoff(attempt)); err != nil {
			return obj, err
		}
	}
}

// appendObject sends one AppendObject request, as the SDK's
// Bucket.DoAppendObject does, and returns the answer's headers and next
// position. It goes through Bucket.Do because DoAppendObject always calls
// oss.AddContentType, whose mime.TypeByExtension loads the system MIME
// database on first use (~0.7 MB of gtail's heap for good, BENCHMARKS.md),
// only for the type to be overridden: appends are application/octet-stream.
// The request is the same: POST ?append&position=POS, Content-Type,
// Content-Length from the body; the answer's status is turned into an
// oss.ServiceError by the SDK alike. DoAppendObject's CRC64 check (only with
// Config.IsEnableCRC) is Append's own, against the whole object's CRC64.
func (a *Appender) appendObject(ctx context.Context, obj Object, body []byte) (http.Header, int64, error) {
	params := map[string]interface{}{"append": nil, "position": strconv.FormatInt(obj.Pos, 10)}
	var h http.Header
	resp, err := a.Bucket.Do("POST", obj.Key, params, []oss.Option{
		oss.ContentType("application/octet-stream"), oss.WithContext(ctx), oss.GetResponseHeader(&h),
	}, bytes.NewReader(body), nil)
	if err != nil {
		return h, 0, err
	}
	resp.Body.Close()
	// As DoAppendObject: an unparsable header is position 0, which Append
	// takes for a wrong answer.
	next, _ := strconv.ParseInt(h.Get(oss.HTTPHeaderOssNextAppendPosition), 10, 64)
	return h, next, nil
}

// NoCRC64Error means the server answered for an object without
// x-oss-hash-crc64ecma (OSS-compatible servers such as Aliyun's Ruby
// oss-emulator do). Without it an append that got no clear answer cannot be
// settled, so gtail refuses the server rather than ship at least once.
type NoCRC64Error struct{ Key string }

func (e *NoCRC64Error) Error() string {
	return fmt.Sprintf("the server sent no x-oss-hash-crc64ecma header (for %s): gtail needs CRC64 to ship every byte exactly once", e.Key)
}

// Hint says what to use instead.
func (e *NoCRC64Error) Hint() string {
	return "use a server that computes CRC64 (OSS does); ossuploader can upload whole files to this one"
}

// CheckCRC64 refuses, at start, a server that sends no CRC64: it HEADs the
// first of keys that exists (gtail's own objects, from its state), or else
// the first object under prefix, and returns a NoCRC64Error when the answer
// has no x-oss-hash-crc64ecma. It asks once and proves nothing when there is
// nothing to look at, or OSS cannot be reached: then the first append's
// answer is checked (Append) instead.
func (a *Appender) CheckCRC64(ctx context.Context, keys []string, prefix string) error {
	head := func(key string) (found bool, err error) {
		h, herr := a.Bucket.GetObjectDetailedMeta(key, oss.WithContext(ctx))
		if herr != nil {
			return false, nil
		}
		if h.Get(oss.HTTPHeaderOssCRC64) == "" {
			return true, &NoCRC64Error{Key: key}
		}
		return true, nil
	}
	for _, key := range keys {
		if found, err := head(key); found {
			return err
		}
	}
	res, err := a.Bucket.ListObjects(oss.Prefix(prefix), oss.MaxKeys(1), oss.WithContext(ctx))
	if err != nil || len(res.Objects) == 0 {
		return nil
	}
	_, err = head(res.Objects[0].Key)
	return err
}

// Head returns the object's length and CRC64 (zero for a missing object),
// retrying through outages for as long as ctx allows.
func (a *Appender) Head(ctx context.Context, key string) (Object, error) {
	for attempt := 1; ; attempt++ {
		h, err := a.Bucket.GetObjectDetailedMeta(key, oss.WithContext(ctx))
		if err == nil {
			size, err1 := strconv.ParseInt(h.Get("Content-Length"), 10, 64)
			crc, err2 := strconv.ParseUint(h.Get(oss.HTTPHeaderOssCRC64), 10, 64)
			if err1 == nil && h.Get(oss.HTTPHeaderOssCRC64) == "" {
				return Object{}, &NoCRC64Error{Key: key}
			}
			if err1 != nil || err2 != nil {
				return Object{}, fmt.Errorf("head %s: OSS sent no length or CRC64 (%q, %q)", key, h.Get("Content-Length"), h.Get(oss.HTTPHeaderOssCRC64))
			}
			return Object{Key: key, Pos: size, CRC: crc}, nil
		}
		var se oss.ServiceError
		if errors.As(err, &se) && se.StatusCode == http.StatusNotFound {
			return Object{Key: key}, nil
		}
		if ctx.Err() != nil {
			return Object{}, ctx.Err()
		}
		if !a.transient(err) {
			return Object{}, fmt.Errorf("head %s: %w", key, err)
		}
		if a.Bounded && attempt >= a.Retry.Attempts {
			return Object{}, fmt.Errorf("head %s: giving up after %d attempts: %w", key, attempt, err)
		}
		if logAttempt(attempt) {
			a.Log.Warn("head failed; retrying", "key", key, "attempt", attempt, "err", ossx.Message(err))
		}
		if err := sleep(ctx, a.Retry.Backoff(attempt)); err != nil {
			return Object{}, err
		}
	}
}

// logAttempt says which retries of a long outage to log: the first five,
// then every tenth (about every minute and a quarter at the longest
// backoff), so that a day without OSS does not flood the log per file.
func logAttempt(attempt int) bool { return attempt <= 5 || attempt%10 == 0 }

// transient reports whether a failed request is worth another attempt.
// ossx.IsRetryable is cautious: an error it does not recognise (an unknown
// host, an unusual errno, a transport failure of a new kind) is final there,
// so that a bug never loops. Following, that caution would be wrong: a DNS
// outage or a misbehaving proxy would stop the file for good, and gtail
// promises to outlast any outage. So, unless Bounded, only a definite
// answer from OSS (4xx: no such bucket, access denied…) ends the retries.
func (a *Appender) transient(err error) bool {
	if ossx.IsRetryable(err) {
		return true
	}
	if a.Bounded {
		return false
	}
	var se oss.ServiceError
	if errors.As(err, &se) {
		return se.StatusCode/100 != 4
	}
	var usc oss.UnexpectedStatusCodeError
	if errors.As(err, &usc) {
		return usc.Got()/100 != 4
	}
	return true
}

// Reconcile settles obj (as the state recorded it) against OSS when gtail
// starts: the object may be longer than the state says if gtail died after
// an append landed and before the state was saved. The extra bytes are
// accepted only if they are exactly the file's next bytes from offset (src
// holds avail of them): plain bytes are checked by CRC64 against the file;
// gzip members are read back, their CRC64 checked, decompressed and
// compared with the file. It returns the settled object and how many file
// bytes it holds beyond offset.
func (a *Appender) Reconcile(ctx context.Context, obj Object, src io.ReaderAt, offset, avail int64) (Object, int64, error) {
	got, err := a.Head(ctx, obj.Key)
	if err != nil {
		return obj, 0, err
	}
	switch {
	case got.Pos == obj.Pos && (got.CRC == obj.CRC || obj.Pos == 0):
		return obj, 0, nil
	case got.Pos < obj.Pos:
		return obj, 0, &ConflictError{Key: obj.Key, Reason: fmt.Sprintf("is %d bytes, shorter than the %d gtail wrote (deleted or overwritten)", got.Pos, obj.Pos)}
	case got.Pos == obj.Pos:
		return obj, 0, &ConflictError{Key: obj.Key, Reason: "has the expected length but not the expected CRC64"}
	}
	delta := got.Pos - obj.Pos
	var n int64
	if a.Gzip {
		n, err = a.verifyGzip(ctx, obj, got, src, offset, avail)
	} else {
		n, err = delta, verifyPlain(obj, got, src, offset, avail)
	}
	if err != nil {
		return obj, 0, err
	}
	a.Log.Info("object is ahead of the state: the last append landed before gtail stopped; verified",
		"key", obj.Key, "bytes", delta)
	return got, n, nil
}

func verifyPlain(obj, got Object, src io.ReaderAt, offset, avail int64) error {
	delta := got.Pos - obj.Pos
	if delta > avail {
		return &ConflictError{Key: obj.Key, Reason: fmt.Sprintf("has %d bytes beyond the state but the file only %d", delta, avail)}
	}
	h := &crcWriter{obj.CRC}
	if _, err := io.Copy(h, io.NewSectionReader(src, offset, delta)); err != nil {
		return fmt.Errorf("read file: %w", err)
	}
	if h.crc != got.CRC {
		return &ConflictError{Key: obj.Key, Reason: fmt.Sprintf("has %d bytes beyond the state that are not the file's next bytes", delta)}
	}
	return nil
}

func (a *Appender) verifyGzip(ctx context.Context, obj, got Object, src io.ReaderAt, offset, avail int64) (int64, error) {
	for attempt := 1; ; attempt++ {
		n, err := a.readBackGzip(ctx, obj, got, src, offset, avail)
		var ce *ConflictError
		if err == nil || errors.As(err, &ce) || ctx.Err() != nil || !a.transient(err) ||
			(a.Bounded && attempt >= a.Retry.Attempts) {
			return n, err
		}
		a.Log.Warn("reading the object back failed; retrying", "key", obj.Key, "attempt", attempt, "err", ossx.Message(err))
		if err := sleep(ctx, a.Retry.Backoff(attempt)); err != nil {
			return 0, err
		}
	}
}

// readBackGzip reads the members beyond the state and compares them with
// the file. A failure to read from OSS is returned as itself, to be retried;
// only what was read and found wrong is a ConflictError.
func (a *Appender) readBackGzip(ctx context.Context, obj, got Object, src io.ReaderAt, offset, avail int64) (int64, error) {
	rc, err := a.Bucket.GetObject(obj.Key, oss.Range(obj.Pos, got.Pos-1), oss.WithContext(ctx))
	if err != nil {
		return 0, fmt.Errorf("read back %s: %w", obj.Key, err)
	}
	defer rc.Close()
	body := &errReader{r: rc}
	h := &crcWriter{obj.CRC}
	zr, err := gzip.NewReader(io.TeeReader(body, h))
	if body.err != nil {
		return 0, fmt.Errorf("read back %s: %w", obj.Key, body.err)
	}
	if err != nil {
		return 0, &ConflictError{Key: obj.Key, Reason: "bytes beyond the state are not a gzip member"}
	}
	local := io.NewSectionReader(src, offset, avail)
	n, same, err := equalReaders(zr, local)
	if err == nil {
		_, err = io.Copy(h, body)
	}
	if body.err != nil {
		return 0, fmt.Errorf("read back %s: %w", obj.Key, body.err)
	}
	if err != nil {
		return 0, &ConflictError{Key: obj.Key, Reason: "bytes beyond the state are not complete gzip members: " + err.Error()}
	}
	if !same || h.crc != got.CRC {
		return 0, &ConflictError{Key: obj.Key, Reason: "gzip members beyond the state do not hold the file's next bytes"}
	}
	return n, nil
}

// errReader remembers the first error other than EOF of r: a failure of the
// connection, as opposed to bytes that were read and are wrong.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// equalReaders reads a to its end and reports how many bytes it held and
// whether b starts with exactly those bytes.
func equalReaders(a, b io.Reader) (int64, bool, error) {
	ba, bb := make([]byte, 64<<10), make([]byte, 64<<10)
	var n int64
	same := true
	for {
		k, err := io.ReadFull(a, ba)
		if k > 0 {
			n += int64(k)
			if same {
				m, _ := io.ReadFull(b, bb[:k])
				same = m == k && bytes.Equal(ba[:k], bb[:k])
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return n, same, nil
		}
		if err != nil {
			return n, false, err
		}
	}
}

// crcWriter extends a CRC64-ECMA with what is written to it.
type crcWriter struct{ crc uint64 }

func (w *crcWriter) Write(p []byte) (int, error) {
	w.crc = crc64ecma.Update(w.crc, p)
	return len(p), nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
