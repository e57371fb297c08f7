package upload

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	cpstore "github.com/ossx/ossx/internal/checkpoint"
	"github.com/ossx/ossx/internal/crc64ecma"
	"github.com/ossx/ossx/internal/ossx"
)

// ChoosePartSize returns the part size for a file of size bytes: want if
// set (checked against OSS's limits), else the smallest multiple of 1 MiB of
// at least DefaultPartSize that keeps within MaxParts parts.
func ChoosePartSize(size, want int64) (int64, error) {
	if size > MaxParts*MaxPartSize {
		return 0, fmt.Errorf("%d bytes is more than OSS's largest object (%d parts of 5 GiB)", size, MaxParts)
	}
	if want > 0 {
		if want < MinPartSize || want > MaxPartSize {
			return 0, ossx.Usagef("part size %d is outside OSS's limits (100 KiB to 5 GiB)", want)
		}
		if n := (size + want - 1) / want; n > MaxParts {
			return 0, &ossx.UsageError{
				Err:  fmt.Errorf("part size %d would split %d bytes into %d parts; OSS allows %d", want, size, n, MaxParts),
				Hint: "drop --part-size to have one chosen, or pass a larger one",
			}
		}
		return want, nil
	}
	ps := int64(DefaultPartSize)
	if min := (size + MaxParts - 1) / MaxParts; min > ps {
		ps = (min + 1<<20 - 1) &^ (1<<20 - 1)
	}
	return ps, nil
}

// errUploadGone means OSS no longer knows the multipart upload and the
// object is not there either: the upload must start again.
var errUploadGone = errors.New("the multipart upload is gone from OSS (aborted or expired) and the object is not there")

// keepCheckpoint reports whether a failed multipart upload is worth
// continuing later: yes for interrupts and network or server trouble, no
// when the source changed or the upload is finished one way or another.
func keepCheckpoint(err error) bool {
	var crc *CRCMismatchError
	var ex *ExistsError
	switch {
	case errors.Is(err, ErrSourceChanged), errors.Is(err, errUploadGone),
		errors.As(err, &crc), errors.As(err, &ex):
		return false
	}
	return true
}

// multipartFile uploads f in parts, resuming from a checkpoint left by an
// earlier run of the same command when there is one.
func (u *Uploader) multipartFile(ctx context.Context, f *os.File, path string, id identity, dst ossx.URL) (res Result, err error) {
	b, err := u.bucket(dst.Bucket)
	if err != nil {
		return Result{}, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return Result{}, err
	}
	partSize, err := ChoosePartSize(id.Size, u.opts.PartSize)
	if err != nil {
		return Result{}, err
	}
	headers := u.headerOptions(dst.Key, path)
	hdrDigest := u.headerDigest(dst.Key, path)

	store := newCheckpoints(u.opts)
	var name string
	var cp *checkpoint
	if store != nil {
		name = store.name(abs, u.endpoint, dst.Bucket, dst.Key)
		var lockf *os.File
		if lockf, err = store.lock(name); err != nil {
			return Result{}, err
		}
		done := false
		defer func() { cpstore.Unlock(lockf, done) }()
		if cp, err = store.load(name); err != nil {
			return Result{}, fmt.Errorf("checkpoint: %w", err)
		}
		if cp != nil && (cp.File != id || cp.Headers != hdrDigest || cp.PartSize < MinPartSize) {
			// The source or the options changed since the checkpoint was
			// written: its parts are of no use.
			u.abort(b, dst.Key, cp.UploadID)
			if err := store.Drop(name); err != nil {
				return Result{}, err
			}
			cp = nil
		}
		defer func() {
			if err == nil || !keepCheckpoint(err) {
				if cp != nil && err != nil {
					u.abort(b, dst.Key, cp.UploadID)
				}
				if derr := store.Drop(name); derr != nil && err == nil {
					err = derr
				}
				// No checkpoint left to guard: the lock file can go too.
				done = true
			}
		}()
	} else {
		// Nothing can resume this upload: abort it on failure so that its
		// parts do not linger (and cost) on the server.
		defer func() {
			if err != nil && cp != nil {
				u.abort(b, dst.Key, cp.UploadID)
			}
		}()
	}

	if cp != nil {
		partSize = cp.PartSize
		finished, ok, err := u.verifyCheckpoint(ctx, b, f, cp)
		if err != nil {
			return Result{}, err
		}
		if ok {
			return finished, nil
		}
		if len(cp.Parts) == 0 && cp.UploadID == "" {
			cp = nil
		}
	}
	if cp == nil {
		if u.opts.NoClobber {
			if r, err := u.head(ctx, b, dst.Key); err != nil {
				return Result{}, err
			} else if r.ok {
				return Result{}, &ExistsError{URL: dst}
			}
		}
		var imur oss.InitiateMultipartUploadResult
		err := u.retry(ctx, func(ctx context.Context) error {
			var err error
			imur, err = initiate(b, dst.Key, append(slices.Clone(headers), oss.WithContext(ctx)))
			return err
		})
		if err != nil {
			return Result{}, err
		}
		cp = &checkpoint{
			Version: checkpointVersion, Source: abs, File: id,
			Endpoint: u.endpoint, Bucket: dst.Bucket, Key: dst.Key,
			Headers: hdrDigest, UploadID: imur.UploadID, PartSize: partSize,
		}
		if store != nil {
			if err := store.save(name, cp); err != nil {
				return Result{}, err
			}
		}
	}
	resumed := len(cp.Parts)
	if u.opts.Progress != nil {
		var done int64
		for _, p := range cp.Parts {
			done += p.Size
		}
		u.opts.Progress(done)
	}
	if err := u.uploadParts(ctx, b, f, id, cp, store, name); err != nil {
		return Result{}, err
	}
	if err := unchanged(f, id); err != nil {
		return Result{}, err
	}
	res, err = u.complete(ctx, b, dst, cp, id.Size)
	if err != nil {
		return Result{}, err
	}
	res.Resumed = resumed
	return res, nil
}

// headerDigest condenses what the object will be created with, so that a
// checkpoint made with other options is not resumed.
func (u *Uploader) headerDigest(key, source string) string {
	o := u.opts.Object
	ct := o.ContentType
	if ct == "" {
		ct = contentType(source, key)
	}
	metaKeys := make([]string, 0, len(o.Meta))
	for k := range o.Meta {
		metaKeys = append(metaKeys, k)
	}
	sort.Strings(metaKeys)
	var sb strings.Builder
	fmt.Fprintf(&sb, "%q %q %q %q %q %v", ct, o.CacheControl, o.ContentDisposition, o.ACL, o.StorageClass, u.opts.NoClobber)
	for _, k := range metaKeys {
		fmt.Fprintf(&sb, " %q=%q", k, o.Meta[k])
	}
	sum := sha256.Sum256([]byte(sb.String()))
	return hex.EncodeToString(sum[:16])
}

// verifyCheckpoint checks the parts a checkpoint lists against ListParts
// and against the file as it is now; parts that do not match are dropped
// from cp and will be sent again. When OSS no longer has the upload, an
// earlier run may have completed it without learning so (the connection
// dropped after OSS applied Complete): if the object holds the expected
// bytes, ok is true. Otherwise cp is emptied for a fresh start.
func (u *Uploader) verifyCheckpoint(ctx context.Context, b *oss.Bucket, f *os.File, cp *checkpoint) (Result, bool, error) {
	imur := oss.InitiateMultipartUploadResult{Bucket: cp.Bucket, Key: cp.Key, UploadID: cp.UploadID}
	remoteParts, err := u.listParts(ctx, b, imur)
	if isCode(err, "NoSuchUpload") {
		if nparts(cp.File.Size, cp.PartSize) == len(cp.Parts) {
			crc := combinedCRC(cp.Parts)
			r, err := u.head(ctx, b, cp.Key)
			if err != nil {
				return Result{}, false, err
			}
			if verified := r.matchesParts(cp.File.Size, cp.Parts); verified != "" {
				return Result{URL: ossx.URL{Bucket: cp.Bucket, Key: cp.Key}, Size: cp.File.Size, CRC64: crc, ETag: r.etag, Verified: verified, Resumed: len(cp.Parts)}, true, nil
			}
		}
		cp.UploadID, cp.Parts = "", nil
		return Result{}, false, nil
	}
	if err != nil {
		return Result{}, false, err
	}
	var keep []part
	for _, p := range cp.Parts {
		rp, ok := remoteParts[p.Number]
		if !ok || int64(rp.Size) != p.Size || !strings.EqualFold(trimETag(rp.ETag), p.ETag) {
			continue
		}
		d, err := hashSection(ctx, f, int64(p.Number-1)*cp.PartSize, p.Size, false)
		if err != nil {
			return Result{}, false, err
		}
		if d.crc.Sum64() != p.CRC64 {
			// Same size and mtime, other bytes: the file was rewritten and
			// its mtime restored. Nothing uploaded so far can be trusted.
			return Result{}, false, fmt.Errorf("%w since the interrupted upload (part %d differs)", ErrSourceChanged, p.Number)
		}
		keep = append(keep, p)
	}
	cp.Parts = keep
	return Result{}, false, nil
}

// listParts returns every part OSS holds for an upload, by number.
func (u *Uploader) listParts(ctx context.Context, b *oss.Bucket, imur oss.InitiateMultipartUploadResult) (map[int]oss.UploadedPart, error) {
	parts := map[int]oss.UploadedPart{}
	marker := 0
	for {
		var out oss.ListUploadedPartsResult
		err := u.retry(ctx, func(ctx context.Context) error {
			var err error
			out, err = b.ListUploadedParts(imur, oss.PartNumberMarker(marker), oss.MaxParts(1000), oss.WithContext(ctx))
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, p := range out.UploadedParts {
			parts[p.PartNumber] = p
		}
		// A marker that is not a number ends the listing, as a marker that
		// does not advance does.
		next, _ := strconv.Atoi(strings.TrimSpace(out.NextPartNumberMarker))
		if !out.IsTruncated || next <= marker {
			return parts, nil
		}
		marker = next
	}
}

func nparts(size, partSize int64) int {
	return int(max((size+partSize-1)/partSize, 1))
}

// matchesParts reports how the remote object is known to be parts, size
// bytes in all: by its CRC64 (VerifiedCRC64) or, from a server that sends
// none, by its ETag, which for a multipart object is the MD5 of its parts'
// ETags (their MD5s in upper-case hex, one after another) followed by "-"
// and their number (VerifiedMD5; OSS's formula, see osslocal's store.go);
// "" when it is not.
func (r remote) matchesParts(size int64, parts []part) string {
	switch {
	case !r.ok || r.size != size:
		return ""
	case r.hasCR:
		if r.crc == combinedCRC(parts) {
			return VerifiedCRC64
		}
		return ""
	}
	sorted := slices.Clone(parts)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Number < sorted[j].Number })
	h := md5.New()
	for _, p := range sorted {
		if raw, err := hex.DecodeString(p.ETag); err != nil || len(raw) != md5.Size {
			return ""
		}
		h.Write([]byte(strings.ToUpper(p.ETag)))
	}
	if strings.EqualFold(r.etag, fmt.Sprintf("%x-%d", h.Sum(nil), len(parts))) {
		return VerifiedMD5
	}
	return ""
}

// combinedCRC is the CRC64 of the whole object from its parts' CRCs
// (crc64ecma.Combine, as the SDK's own resumable upload does with oss.CRC64Combine).
func combinedCRC(parts []part) uint64 {
	sorted := slices.Clone(parts)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Number < sorted[j].Number })
	var crc uint64
	for _, p := range sorted {
		crc = crc64ecma.Combine(crc, p.CRC64, p.Size)
	}
	return crc
}

// uploadParts sends every part cp does not list yet, up to Jobs at a time
// (shared with the other transfers of this Uploader), recording each in the
// checkpoint as it is confirmed.
func (u *Uploader) uploadParts(ctx context.Context, b *oss.Bucket, f *os.File, id identity, cp *checkpoint, store *checkpoints, name string) error {
	have := map[int]bool{}
	for _, p := range cp.Parts {
		have[p.Number] = true
	}
	imur := oss.InitiateMultipartUploadResult{Bucket: cp.Bucket, Key: cp.Key, UploadID: cp.UploadID}
	g := newGroup(ctx)
	var mu sync.Mutex // cp.Parts, when there is no store to add to
	n := nparts(id.Size, cp.PartSize)
	for num := 1; num <= n; num++ {
		if have[num] {
			continue
		}
		if err := u.acquire(g.ctx); err != nil {
			g.fail(err)
			break
		}
		off := int64(num-1) * cp.PartSize
		size := min(cp.PartSize, id.Size-off)
		g.start(func() error {
			defer u.release()
			p, err := u.filePart(g.ctx, b, imur, f, id, num, off, size)
			if err == nil && store != nil {
				err = store.add(name, cp, p)
			} else if err == nil {
				mu.Lock()
				cp.Parts = append(cp.Parts, p)
				mu.Unlock()
			}
			if err != nil {
				return fmt.Errorf("part %d: %w", num, err)
			}
			return nil
		})
	}
	return g.wait()
}

// filePart sends one part of f, reading it once: its CRC64 is computed as
// it is sent (by sendfile(2) over plain HTTP: the kernel sends the file's
// pages, each chunk hashed from a read just before; body). Before the last byte leaves, the file is checked for changes
// (size, mtime, inode), so a part of a file being written never reaches OSS
// complete; multipartFile checks once more before Complete.
func (u *Uploader) filePart(ctx context.Context, b *oss.Bucket, imur oss.InitiateMultipartUploadResult,
	f *os.File, id identity, num int, off, size int64) (part, error) {
	open := func() io.Reader { return io.NewSectionReader(f, off, size) }
	final := func() error { return unchanged(f, id) }
	return u.sendPart(ctx, b, imur, num, size, open, final)
}

// sendPart sends part num, size bytes from open() (called afresh for each
// attempt), hashing the CRC64 of the bytes as they are sent, and checks it
// against the CRC64 OSS reports for the part. Parts carry no Content-MD5
// while the server sends CRC64s: a part damaged on the way is caught by its
// CRC64 (issue 3 asks for Content-MD5 on single PUTs only; MD5 was most of
// an upload's CPU, BENCHMARKS.md). From a server that sends none, parts
// carry Content-MD5 and their ETag must be that MD5; the first parts, sent
// before that was known, are read again to compare their MD5 with the ETag.
func (u *Uploader) sendPart(ctx context.Context, b *oss.Bucket, imur oss.InitiateMultipartUploadResult,
	num int, size int64, open func() io.Reader, final func() error) (part, error) {
	var md5b64 string
	if u.noCRC64.Load() {
		var err error
		if md5b64, err = md5Of(ctx, open()); err != nil {
			return part{}, err
		}
	}
	var etag string
	var crc uint64
	err := u.retry(ctx, func(ctx context.Context) error {
		bd := u.newBody(ctx, open(), size, final)
		bd.crc = crc64ecma.New()
		var h http.Header
		opts := []oss.Option{oss.GetResponseHeader(&h), oss.WithContext(ctx)}
		if md5b64 != "" {
			opts = append(opts, oss.ContentMD5(md5b64))
		}
		err := uploadPart(b, imur, num, size, bd.reader(), opts)
		switch {
		case errors.Is(err, ErrSourceChanged):
			return permanent(err)
		case isCode(err, "NoSuchUpload"):
			return permanent(errUploadGone)
		case err != nil:
			bd.undo()
			return err
		case bd.left != 0:
			// OSS cannot have stored a part it was not sent; a success
			// without every byte read is a bug, never a part to record.
			return permanent(fmt.Errorf("OSS accepted the part after %d of %d bytes", size-bd.left, size))
		}
		crc = bd.crc.Sum64()
		// Real OSS returns the part's CRC64 (x-oss-hash-crc64ecma on
		// UploadPart); a wrong one means the part was damaged on the way.
		// Like ossx.IsRetryable, do not resend blindly: fail, and let the
		// upload be aborted.
		if _, ok := serverCRC(h); !ok && md5b64 == "" {
			u.noCRC64.Store(true)
			if md5b64, err = md5Of(ctx, open()); err != nil {
				return permanent(err)
			}
		}
		if _, err := u.verify(h, crc, md5b64); err != nil {
			return permanent(err)
		}
		etag = trimETag(h.Get(oss.HTTPHeaderEtag))
		return nil
	})
	if err != nil {
		return part{}, err
	}
	return part{Number: num, Size: size, ETag: etag, CRC64: crc}, nil
}

// uploadPart is the SDK's UploadPart without the io.LimitedReader it puts
// around the body, which would hide an ossx.FileBody from the connection
// and so keep a part from being sent by sendfile(2).
func uploadPart(b *oss.Bucket, imur oss.InitiateMultipartUploadResult, num int, size int64, body io.Reader, opts []oss.Option) error {
	params := map[string]any{"partNumber": strconv.Itoa(num), "uploadId": imur.UploadID}
	resp, err := b.Do("PUT", imur.Key, params, append(opts, oss.ContentLength(size)), body, nil)
	if resp != nil {
		resp.Body.Close()
	}
	return err
}

// initiate starts a multipart upload: the SDK's InitiateMultipartUpload
// through Bucket.Do, because InitiateMultipartUpload looks up a content
// type even when opts give one (oss.AddContentType), which loads the
// system MIME database: 2-3 % of a 256 MiB upload's CPU (BENCHMARKS.md).
func initiate(b *oss.Bucket, key string, opts []oss.Option) (oss.InitiateMultipartUploadResult, error) {
	var imur oss.InitiateMultipartUploadResult
	if err := oss.CheckObjectName(key); err != nil {
		return imur, err
	}
	resp, err := b.Do("POST", key, map[string]any{"uploads": nil}, opts, nil, nil)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		return imur, err
	}
	defer resp.Body.Close()
	if err := xml.NewDecoder(resp.Body).Decode(&imur); err != nil {
		return imur, fmt.Errorf("InitiateMultipartUpload answer: %w", err)
	}
	return imur, nil
}

// md5Of returns the MD5 of what r yields, in base64 as Content-MD5 takes it.
func md5Of(ctx context.Context, r io.Reader) (string, error) {
	h := md5.New()
	if _, err := io.Copy(h, ctxReader{ctx, r}); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}

// complete finishes an upload whose parts are all in cp and checks the
// object's CRC64. A Complete that OSS applied but whose answer was lost
// shows up on retry as NoSuchUpload; the object then tells whether it was
// ours.
func (u *Uploader) complete(ctx context.Context, b *oss.Bucket, dst ossx.URL, cp *checkpoint, size int64) (Result, error) {
	imur := oss.InitiateMultipartUploadResult{Bucket: cp.Bucket, Key: cp.Key, UploadID: cp.UploadID}
	parts := make([]oss.UploadPart, 0, len(cp.Parts))
	for _, p := range cp.Parts {
		parts = append(parts, oss.UploadPart{PartNumber: p.Number, ETag: p.ETag})
	}
	crc := combinedCRC(cp.Parts)
	res := Result{URL: dst, Size: size, CRC64: crc}
	uncertain := false
	err := u.retry(ctx, func(ctx context.Context) error {
		var h http.Header
		opts := []oss.Option{oss.GetResponseHeader(&h), oss.WithContext(ctx)}
		if u.opts.NoClobber {
			opts = append(opts, oss.ForbidOverWrite(true))
		}
		out, err := b.CompleteMultipartUpload(imur, slices.Clone(parts), opts...)
		switch {
		case isCode(err, "NoSuchUpload"), isCode(err, "FileAlreadyExists"):
			r, herr := u.head(ctx, b, dst.Key)
			if herr != nil {
				return herr
			}
			if verified := r.matchesParts(size, cp.Parts); verified != "" && (uncertain || isCode(err, "NoSuchUpload")) {
				res.ETag, res.Verified = r.etag, verified
				return nil
			}
			if isCode(err, "FileAlreadyExists") {
				return permanent(&ExistsError{URL: dst})
			}
			return permanent(errUploadGone)
		case err != nil:
			var se oss.ServiceError
			uncertain = uncertain || !errors.As(err, &se) || se.StatusCode >= 500
			return err
		}
		if srv, ok := serverCRC(h); ok {
			if srv != crc {
				return permanent(u.discard(b, dst, &CRCMismatchError{Local: crc, Server: srv}))
			}
			res.Verified = VerifiedCRC64
		}
		res.ETag = trimETag(out.ETag)
		if res.ETag == "" {
			res.ETag = trimETag(h.Get(oss.HTTPHeaderEtag))
		}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	if res.Verified == "" {
		return u.checkCompleted(ctx, b, dst, res)
	}
	return res, nil
}

// checkCompleted verifies a multipart object the server sent no CRC64 for.
// Every part was verified as it was sent (by its CRC64 or by Content-MD5
// and ETag), and Complete names the parts by ETag, so the object is those
// parts in order; HEAD confirms its size (and CRC64, should it send one).
func (u *Uploader) checkCompleted(ctx context.Context, b *oss.Bucket, dst ossx.URL, res Result) (Result, error) {
	u.noCRC64.Store(true)
	r, err := u.head(ctx, b, dst.Key)
	switch {
	case err != nil:
		return Result{}, err
	case !r.ok:
		return Result{}, fmt.Errorf("the object is not there after CompleteMultipartUpload succeeded")
	case r.hasCR && r.crc != res.CRC64:
		return Result{}, u.discard(b, dst, &CRCMismatchError{Local: res.CRC64, Server: r.crc})
	case r.size != res.Size:
		return Result{}, u.discard(b, dst, fmt.Errorf("the completed object is %d bytes, not the %d sent", r.size, res.Size))
	case r.hasCR:
		res.Verified = VerifiedCRC64
	default:
		res.Verified = VerifiedMD5
	}
	return res, nil
}

// abort cancels a multipart upload, best effort: its parts would otherwise
// stay (and be billed) until a lifecycle rule removes them.
func (u *Uploader) abort(b *oss.Bucket, key, uploadID string) {
	if uploadID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	imur := oss.InitiateMultipartUploadResult{Bucket: b.BucketName, Key: key, UploadID: uploadID}
	_ = b.AbortMultipartUpload(imur, oss.WithContext(ctx))
}
