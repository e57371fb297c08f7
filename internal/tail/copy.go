package tail

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/ossx/ossx/internal/crc64ecma"
	"github.com/ossx/ossx/internal/follow"
	"github.com/ossx/ossx/internal/ship"
)

// known is what gtail knows of a generation's bytes, to prove that a file is
// this generation's copytruncate copy and not merely a file that starts the
// same way (two logs with the same banner, cp a.log b.log): the CRC64 of
// what was shipped, the bytes read and held in memory (while following; see
// gen.readAhead) with the CRC64 of everything before them, and the head
// fingerprint as a cheap first test.
type known struct {
	head    follow.Identity
	offset  int64  // bytes [0, offset) were shipped ...
	fileCRC uint64 // ... with this CRC64
	crcOK   bool   // fileCRC is known (not a version 1 state)

	// A version 1 state knows only the object's CRC; with plain objects it
	// is the CRC of the file bytes [objStart, offset).
	objStart int64
	objCRC   uint64
	plain    bool

	held      heldBytes // the file bytes [heldStart, heldStart+held.Len())
	heldStart int64
	heldCRC   uint64 // CRC64 of the file bytes [0, heldStart); valid with crcOK
}

func knownOf(e *ship.Entry, plain bool) known {
	return known{head: e.Identity, offset: e.Offset, fileCRC: e.FileCRC, crcOK: !e.NoFileCRC,
		objStart: e.ObjStart, objCRC: e.CRC, plain: plain, heldStart: e.Offset, heldCRC: e.FileCRC}
}

// readEnd is how far the generation was read.
func (k known) readEnd() int64 { return max(k.offset, k.heldStart+int64(k.held.Len())) }

// proves reports whether f, size bytes long, holds this generation's bytes
// as far as they are known: every byte of f that gtail can check (its first
// offset bytes by CRC64, those it holds by comparison, or, for a copy shorter
// than what was shipped, the CRC64 up to the held bytes and the held bytes
// after; its head fingerprint) agrees, and at least one byte was checked.
func (k known) proves(f io.ReaderAt, size int64) (bool, error) {
	if size == 0 {
		return false, nil
	}
	var checked int64
	if size >= k.head.HeadLen && k.head.HeadLen > 0 {
		if ok, err := k.head.HeadMatches(f); err != nil || !ok {
			return false, err
		}
		// Where nothing beyond the head was shipped or read (the file
		// was truncated before gtail read it), the head is all there is
		// to know.
		checked = k.head.HeadLen
	}
	if !k.crcOK {
		// A version 1 state: only the object's CRC (plain objects) says
		// what the bytes [objStart, offset) were.
		if !k.plain || size < k.offset || k.offset == k.objStart {
			return false, nil
		}
		crc, err := rangeCRC(f, k.objStart, k.offset)
		if err != nil || crc != k.objCRC {
			return false, err
		}
		return true, nil
	}
	hs, he := k.heldStart, k.heldStart+int64(k.held.Len())
	points := []int64{}
	if size >= k.offset {
		points = append(points, k.offset)
	}
	useHeld := k.held.Len() > 0 && hs <= size
	if useHeld {
		points = append(points, hs)
	} else if size < k.offset {
		return false, nil // shorter than what was shipped, and nothing held to check it by
	}
	crcs, err := prefixCRCs(f, points)
	if err != nil {
		return false, err
	}
	if size >= k.offset {
		if crcs[0] != k.fileCRC {
			return false, nil
		}
		checked = max(checked, k.offset)
	}
	if useHeld {
		if crcs[len(crcs)-1] != k.heldCRC {
			return false, nil
		}
		n := min(size, he) - hs
		buf := make([]byte, n)
		if _, err := f.ReadAt(buf, hs); err != nil && !errors.Is(err, io.EOF) {
			return false, err
		}
		if !bytes.Equal(buf, k.held.Bytes(0, int(n))) {
			return false, nil
		}
		checked = max(checked, hs+n)
	}
	return checked > 0, nil
}

// prefixCRCs returns the CRC64 of f's bytes [0, p) for each p in points, in
// one pass.
func prefixCRCs(f io.ReaderAt, points []int64) ([]uint64, error) {
	out := make([]uint64, len(points))
	var end int64
	for _, p := range points {
		end = max(end, p)
	}
	buf := make([]byte, 256<<10)
	var crc uint64
	var at int64
	for {
		for i, p := range points {
			if p == at {
				out[i] = crc
			}
		}
		if at >= end {
			return out, nil
		}
		next := end
		for _, p := range points {
			if p > at && p < next {
				next = p
			}
		}
		n := min(next-at, int64(len(buf)))
		got, err := f.ReadAt(buf[:n], at)
		if int64(got) < n {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("read at %d: %w", at, err)
		}
		crc = crc64ecma.Update(crc, buf[:n])
		at += n
	}
}

// rangeCRC is the CRC64 of f's bytes [from, to).
func rangeCRC(f io.ReaderAt, from, to int64) (uint64, error) {
	h := crc64ecma.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, from, to-from)); err != nil {
		return 0, err
	}
	return h.Sum64(), nil
}

// prefixOf reports whether a's first n bytes are b's first n bytes.
func prefixOf(a, b io.ReaderAt, n int64) (bool, error) {
	ba, bb := make([]byte, 64<<10), make([]byte, 64<<10)
	for at := int64(0); at < n; {
		k := min(n-at, int64(len(ba)))
		ga, ea := a.ReadAt(ba[:k], at)
		gb, eb := b.ReadAt(bb[:k], at)
		if int64(ga) < k || int64(gb) < k {
			return false, errors.Join(ea, eb)
		}
		if !bytes.Equal(ba[:k], bb[:k]) {
			return false, nil
		}
		at += k
	}
	return true, nil
}

// splice is what is left of a generation whose file was truncated: the bytes
// [0, fileEnd) from its copy (nil: none), then the bytes gtail read of the
// original before the truncation and held, from heldStart, up to end. It is
// everything the generation can still ship.
type splice struct {
	f         io.ReaderAt
	fileEnd   int64
	held      []byte
	heldStart int64
	end       int64
}

func (s *splice) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) && off < s.end {
		var k int
		var err error
		if off < s.fileEnd {
			k, err = s.f.ReadAt(p[n:min(len(p), n+int(s.fileEnd-off))], off)
			if k == 0 && err != nil {
				return n, err
			}
		} else {
			i := off - s.heldStart
			k = copy(p[n:min(len(p), n+int(s.end-off))], s.held[i:])
		}
		n += k
		off += int64(k)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
