package download

import (
	"context"
	"crypto/md5"
	"errors"
	"hash"
	"io"

	"github.com/ossx/ossx/internal/crc64ecma"
	"github.com/ossx/ossx/internal/ossx"
)

// OutputError is a failure to write to the caller's writer (a closed
// stdout, a full pipe's reader gone), told apart from a failure to read.
type OutputError struct{ Err error }

func (e *OutputError) Error() string { return e.Err.Error() }
func (e *OutputError) Unwrap() error { return e.Err }

// ToWriter writes u's object (whose HEAD said m) to w, in order, and
// verifies it at the end. Objects above the threshold are fetched as
// parallel ranged GETs into at most Jobs part buffers, handed to w in order
// as each is complete, so memory stays at Jobs × PartSize however the
// ranges arrive. A failed request continues from the byte it reached, so
// nothing is written twice. A mismatch found at the end is an error, but
// the bytes are already written: the caller must say so.
func (d *Downloader) ToWriter(ctx context.Context, u ossx.URL, m Meta, w io.Writer) (Result, error) {
	res := Result{URL: u, Meta: m, Verified: m.verification()}
	b, err := d.client.Bucket(u.Bucket)
	if err != nil {
		return res, err
	}
	var crc uint64
	if !m.HasCRC || m.Size <= d.opts.Threshold || d.opts.Jobs == 1 {
		var sum hash.Hash
		if m.verification() == VerifiedMD5 {
			sum = md5.New()
			w = io.MultiWriter(w, sum)
		}
		crc, err = d.fetch(ctx, b, u.Key, &m, 0, m.Size, w)
		if err != nil {
			return res, outputErr(err)
		}
		if err := m.check(crc, sum); err != nil {
			return res, err
		}
		res.CRC64 = crc
		return res, nil
	}

	type part struct {
		span
		buf  *partBuf
		crc  uint64
		err  error
		done chan struct{}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	free := make(chan *partBuf, d.opts.Jobs)
	for range d.opts.Jobs {
		free <- &partBuf{}
	}
	queue := make(chan *part, d.opts.Jobs)
	go func() {
		defer close(queue)
		for _, s := range parts(m.Size, d.opts.PartSize) {
			var buf *partBuf
			select {
			case buf = <-free:
			case <-ctx.Done():
				return
			}
			p := &part{span: s, buf: buf, done: make(chan struct{})}
			buf.reset(s.n)
			queue <- p
			go func() {
				defer close(p.done)
				p.crc, p.err = d.fetch(ctx, b, u.Key, &m, p.off, p.n, p.buf)
			}()
		}
	}()
	var werr error
	for p := range queue {
		<-p.done
		if werr == nil && p.err != nil {
			werr = p.err
			cancel()
		}
		if werr == nil {
			if _, err := w.Write(p.buf.b); err != nil {
				werr = &localError{err}
				cancel()
			} else {
				crc = crc64ecma.Combine(crc, p.crc, p.n)
			}
		}
		free <- p.buf
	}
	if werr == nil && ctx.Err() != nil {
		werr = ctx.Err()
	}
	if werr != nil {
		return res, outputErr(werr)
	}
	if err := m.check(crc, nil); err != nil {
		return res, err
	}
	res.CRC64 = crc
	return res, nil
}

func outputErr(err error) error {
	var le *localError
	if errors.As(err, &le) {
		return &OutputError{le.err}
	}
	return err
}

// partBuf holds one part for ToWriter; fetch appends to it, also when it
// continues after a failed request.
type partBuf struct{ b []byte }

func (p *partBuf) reset(n int64) {
	if int64(cap(p.b)) < n {
		p.b = make([]byte, 0, n)
	}
	p.b = p.b[:0]
}

func (p *partBuf) Write(b []byte) (int, error) {
	p.b = append(p.b, b...)
	return len(b), nil
}
