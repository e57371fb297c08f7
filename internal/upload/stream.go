package upload

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/ossx"
)

// streamPartSize is the size of part num of a stream of unknown length:
// base for the first thousand parts, doubling every thousand after, so that
// 10,000 parts of an 8 MiB base reach about 8 TiB while memory stays small
// for ordinary streams.
func streamPartSize(base int64, num int) int64 {
	return min(base<<((num-1)/1000), MaxPartSize)
}

// Stream uploads everything r yields to dst. A stream that fits in one part
// goes up in a single PUT; a longer one in parts, holding at most Jobs+1
// parts in memory. A stream cannot be re-read, so an interrupted stream
// upload is aborted rather than checkpointed.
func (u *Uploader) Stream(ctx context.Context, r io.Reader, dst ossx.URL) (Result, error) {
	base := u.opts.PartSize
	if base <= 0 {
		base = StreamPartSize
	}
	br := bufio.NewReaderSize(r, 64<<10)
	buf, eof, err := readPart(br, make([]byte, base))
	if err != nil {
		return Result{}, fmt.Errorf("read stdin: %w", err)
	}
	if eof && int64(len(buf)) <= u.opts.Threshold {
		d := newDigests(true)
		d.Write(buf)
		if u.opts.SkipUnchanged {
			// A short stream is whole in memory: its size and CRC64 are
			// known before anything is sent. (A longer one is always sent:
			// they are known only once it has been.)
			b, err := u.bucket(dst.Bucket)
			if err != nil {
				return Result{}, err
			}
			r, err := u.head(ctx, b, dst.Key)
			if err != nil {
				return Result{}, err
			}
			res := Result{URL: dst, Size: r.size, CRC64: d.crc.Sum64(), ETag: r.etag, Skipped: true}
			switch {
			case r.matches(int64(len(buf)), d.crc.Sum64()):
				res.Verified = VerifiedCRC64
				return res, nil
			case r.ok && !r.hasCR && r.size == int64(len(buf)) && etagIsMD5(r.etag, d.md5Base64()):
				// A server without CRC64: the ETag of a single PUT is its MD5.
				res.Verified = VerifiedMD5
				return res, nil
			}
		}
		var aborted bool
		if b, err := u.bucket(dst.Bucket); err == nil {
			var rec *streamRecord
			rec, aborted = u.takeStream(b, dst, false)
			defer rec.done()
		}
		open := func() (io.Reader, error) { return bytes.NewReader(buf), nil }
		res, err := u.putObject(ctx, dst, "", int64(len(buf)), d.md5Base64(), d.crc.Sum64(), open, nil)
		res.StaleAborted = aborted
		return res, err
	}
	return u.multipartStream(ctx, br, buf, eof, base, dst)
}

// readPart fills buf as far as the stream goes; eof reports that the stream
// ended with it.
func readPart(br *bufio.Reader, buf []byte) ([]byte, bool, error) {
	n, err := io.ReadFull(br, buf)
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return buf[:n], true, nil
	case err != nil:
		return nil, false, err
	}
	if _, perr := br.Peek(1); errors.Is(perr, io.EOF) {
		return buf, true, nil
	} else if perr != nil {
		return nil, false, perr
	}
	return buf, false, nil
}

func (u *Uploader) multipartStream(ctx context.Context, br *bufio.Reader, buf []byte, eof bool, base int64, dst ossx.URL) (res Result, err error) {
	b, err := u.bucket(dst.Bucket)
	if err != nil {
		return Result{}, err
	}
	if u.opts.NoClobber {
		if r, err := u.head(ctx, b, dst.Key); err != nil {
			return Result{}, err
		} else if r.ok {
			return Result{}, &ExistsError{URL: dst}
		}
	}
	rec, aborted := u.takeStream(b, dst, true)
	defer rec.done()
	defer func() { res.StaleAborted = aborted }()
	var imur oss.InitiateMultipartUploadResult
	err = u.retry(ctx, func(ctx context.Context) error {
		var err error
		imur, err = initiate(b, dst.Key, append(u.headerOptions(dst.Key, ""), oss.WithContext(ctx)))
		return err
	})
	if err != nil {
		return Result{}, err
	}
	rec.save(&checkpoint{Version: checkpointVersion, Source: "-", Endpoint: u.endpoint, Bucket: dst.Bucket, Key: dst.Key, UploadID: imur.UploadID})
	defer func() {
		if err != nil {
			u.abort(b, dst.Key, imur.UploadID)
		}
	}()
	cp := &checkpoint{Bucket: dst.Bucket, Key: dst.Key, UploadID: imur.UploadID}

	g := newGroup(ctx)
	var (
		mu    sync.Mutex // cp.Parts
		total int64
	)
	// Buffers come back when their part is sent, so that memory stays at
	// Jobs+1 parts rather than whatever the garbage collector lets pile up.
	free := make(chan []byte, u.opts.Jobs+1)
	getBuf := func(size int64) []byte {
		select {
		case b := <-free:
			if int64(cap(b)) >= size {
				return b[:size]
			}
		default:
		}
		return make([]byte, size)
	}
	putBuf := func(b []byte) {
		select {
		case free <- b:
		default:
		}
	}
	sent := 0 // parts handed to a goroutine
	for num := 1; ; num++ {
		if num > MaxParts {
			g.fail(&ossx.UsageError{
				Err:  fmt.Errorf("stdin is longer than %d parts", MaxParts),
				Hint: "pass a larger --part-size",
			})
			break
		}
		sent = num
		total += int64(len(buf))
		if err := u.acquire(g.ctx); err != nil {
			g.fail(err)
			break
		}
		data := buf
		g.start(func() error {
			defer u.release()
			p, err := u.memoryPart(g.ctx, b, imur, num, data)
			if err != nil {
				return fmt.Errorf("part %d: %w", num, err)
			}
			// Only a sent part's buffer is reused: after a failed attempt
			// net/http may still be reading the body in the background.
			putBuf(data)
			mu.Lock()
			cp.Parts = append(cp.Parts, p)
			mu.Unlock()
			return nil
		})
		if eof {
			break
		}
		buf, eof, err = readPart(br, getBuf(streamPartSize(base, num+1)))
		if err != nil {
			g.fail(fmt.Errorf("read stdin: %w", err))
			break
		}
		if len(buf) == 0 {
			break
		}
	}
	if err := g.wait(); err != nil {
		return Result{}, err
	}
	// Each part's CRC64 was computed from the bytes sent; complete checks
	// the server's CRC64 of the object against their combination. That
	// proves the object is the stream only if every part read is in it, in
	// order: count them and their bytes, rather than hash the stream again.
	var partBytes int64
	for _, p := range cp.Parts {
		partBytes += p.Size
	}
	if len(cp.Parts) != sent || partBytes != total {
		return Result{}, fmt.Errorf("internal error: %d parts of %d bytes read, %d parts of %d bytes to complete", sent, total, len(cp.Parts), partBytes)
	}
	res, err = u.complete(ctx, b, dst, cp, total)
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// memoryPart sends one in-memory part.
func (u *Uploader) memoryPart(ctx context.Context, b *oss.Bucket, imur oss.InitiateMultipartUploadResult, num int, data []byte) (part, error) {
	open := func() io.Reader { return bytes.NewReader(data) }
	return u.sendPart(ctx, b, imur, num, int64(len(data)), open, nil)
}
