package upload

import (
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/ossx/ossx/internal/ossx"
)

// identity is what tells one version of a file from another without
// reading it: size, modification time and inode.
type identity struct {
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime_ns"`
	Inode   uint64 `json:"inode"`
}

func identityOf(fi fs.FileInfo) identity {
	id := identity{Size: fi.Size(), ModTime: fi.ModTime().UnixNano()}
	_, id.Inode = devIno(fi)
	return id
}

// unchanged fails with ErrSourceChanged when f no longer matches id.
func unchanged(f *os.File, id identity) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if identityOf(fi) != id {
		return fmt.Errorf("%w (size or modification time differ)", ErrSourceChanged)
	}
	return nil
}

// NotRegularError means a source is a directory, FIFO, device or socket.
type NotRegularError struct {
	Path string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is not a regular file (%s)", e.Path, Kind(e.Mode))
}

// Hint implements ossx.Hinted.
func (e *NotRegularError) Hint() string {
	if e.Mode.IsDir() {
		return "pass -r to upload a directory"
	}
	return "to upload a stream, pipe it: COMMAND | ossuploader - KEY"
}

// Kind names a file type for messages.
func Kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	case m.IsRegular():
		return "regular file"
	default:
		return "special file"
	}
}

// File uploads the regular file at path to dst.
func (u *Uploader) File(ctx context.Context, path string, dst ossx.URL) (Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Result{}, err
	}
	if !fi.Mode().IsRegular() {
		return Result{}, &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	id := identityOf(fi)

	if u.opts.SkipUnchanged {
		if res, ok, err := u.skipIfUnchanged(ctx, f, id, dst); err != nil || ok {
			return res, err
		}
	}
	var res Result
	if id.Size > u.opts.Threshold {
		res, err = u.multipartFile(ctx, f, path, id, dst)
	} else {
		res, err = u.singleFile(ctx, f, path, id, dst)
	}
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// skipIfUnchanged reports ok when dst already holds the file's bytes, going
// by size first and CRC64 only when the sizes agree. From a server that
// sends no CRC64, an ETag that is an MD5 (a single PUT's) tells instead.
func (u *Uploader) skipIfUnchanged(ctx context.Context, f *os.File, id identity, dst ossx.URL) (Result, bool, error) {
	b, err := u.bucket(dst.Bucket)
	if err != nil {
		return Result{}, false, err
	}
	r, err := u.head(ctx, b, dst.Key)
	byMD5 := !r.hasCR
	if err != nil || !r.ok || r.size != id.Size || (byMD5 && len(r.etag) != 2*md5.Size) {
		return Result{}, false, err
	}
	d, err := hashSection(ctx, f, 0, id.Size, byMD5)
	if err != nil {
		return Result{}, false, err
	}
	if err := unchanged(f, id); err != nil {
		return Result{}, false, err
	}
	res := Result{URL: dst, Size: id.Size, CRC64: d.crc.Sum64(), ETag: r.etag, Verified: VerifiedCRC64, Skipped: true}
	switch {
	case byMD5 && etagIsMD5(r.etag, d.md5Base64()):
		res.Verified = VerifiedMD5
		return res, true, nil
	case byMD5 || d.crc.Sum64() != r.crc:
		return Result{}, false, nil
	}
	return res, true, nil
}

// singleFile sends f in one PUT. The file is read twice: once for the
// Content-MD5 header, which must precede the body, and once as the body.
// OSS rejects the body if it differs from the first read (400 InvalidDigest),
// and the source is checked for changes before the last byte leaves, so a
// file written to meanwhile never becomes an object.
func (u *Uploader) singleFile(ctx context.Context, f *os.File, path string, id identity, dst ossx.URL) (Result, error) {
	d, err := hashSection(ctx, f, 0, id.Size, true)
	if err != nil {
		return Result{}, err
	}
	if err := unchanged(f, id); err != nil {
		return Result{}, err
	}
	open := func() (io.Reader, error) { return io.NewSectionReader(f, 0, id.Size), nil }
	final := func() error { return unchanged(f, id) }
	res, err := u.putObject(ctx, dst, path, id.Size, d.md5Base64(), d.crc.Sum64(), open, final)
	if err != nil {
		return Result{}, err
	}
	// The last check ran before the final bytes were sent; one more closes
	// the window in which the file changed as the request finished.
	if err := unchanged(f, id); err != nil {
		b, berr := u.bucket(dst.Bucket)
		if berr != nil {
			return Result{}, berr
		}
		return Result{}, u.discard(b, dst, err)
	}
	return res, nil
}

// hashSection reads size bytes of f from off and returns their digests:
// CRC64, and MD5 if withMD5. Both are computed from the same 256 KiB reads
// while the bytes are in the cache; ctx is checked between megabytes.
func hashSection(ctx context.Context, f *os.File, off, size int64, withMD5 bool) (*digests, error) {
	d := newDigests(withMD5)
	var buf []byte
	if size < readBufSize/8 {
		// A small file (a 4 KiB call) is read into a buffer its size: a
		// first pooled buffer would be a fresh 256 KiB span for nothing.
		buf = make([]byte, max(size, 1))
	} else {
		bp := readBufs.Get().(*[]byte)
		defer readBufs.Put(bp)
		buf = *bp
	}
	for size > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := min(size, sendChunk)
		if err := hashAt(d, f, off, n, buf); err != nil {
			return nil, err
		}
		off += n
		size -= n
	}
	return d, nil
}

// ctxReader stops reading when ctx ends, so hashing a big file does not
// outlive an interrupt.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
