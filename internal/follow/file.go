// Package follow holds what gtail needs to follow files like tail -F without
// losing or repeating a byte: a file's identity (device, inode and a
// fingerprint of its head, so that copytruncate is noticed even when the file
// regrew past the old offset), the next batch of complete lines at a known
// offset, and a watcher that wakes the follower on change.
//
// It deliberately does not use github.com/nxadm/tail. That library reads
// through a line scanner from "wherever the descriptor is", so it cannot say
// which byte offset a line came from, which exactly-once shipping needs; on
// rename it reopens the path without draining the old descriptor; it notices
// truncation only when the size shrinks; without CompleteLines it splits
// partial lines; it calls os.Exit(1) from a goroutine on some stat errors; and
// with ReOpen but without MustExist a missing file blocks forever. Instead,
// gtail keeps each file's descriptor open until it is drained and reads it
// with ReadAt from the offset recorded in its state: the follower is a loop
// around fstat + ReadAt, woken by fsnotify (inotify) and a slow poll.
// TestNxadmTailMissesTruncationThatRegrew keeps one of those defects
// runnable against the library, so the decision can be revisited.
package follow

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ossx/ossx/internal/crc64ecma"
)

// HeadSize is how much of a file's head is fingerprinted.
const HeadSize = 1024

// Identity tells one generation of a file from another: the inode, and the
// CRC64 of its first HeadLen bytes. A truncated and rewritten file keeps its
// inode but not (in practice) its head. A deleted file's inode may be given
// to the next file created, which may start the same way (a banner): a
// generation that is over is fingerprinted over all its bytes.
type Identity struct {
	Dev     uint64 `json:"dev"`
	Ino     uint64 `json:"ino"`
	HeadLen int64  `json:"head_len"`
	HeadCRC uint64 `json:"head_crc"`
}

// SameInode reports whether st is the inode of id.
func (id Identity) SameInode(st os.FileInfo) bool {
	dev, ino := DevIno(st)
	return dev == id.Dev && ino == id.Ino
}

// Fingerprint computes the identity of the open file f of size size.
func Fingerprint(f io.ReaderAt, st os.FileInfo) (Identity, error) {
	dev, ino := DevIno(st)
	id := Identity{Dev: dev, Ino: ino}
	return id, id.extend(f, st.Size())
}

// extend (re)computes the head fingerprint over min(size, HeadSize) bytes.
func (id *Identity) extend(f io.ReaderAt, size int64) error {
	n := min(size, HeadSize)
	buf := make([]byte, n)
	got, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read head: %w", err)
	}
	id.HeadLen = int64(got)
	id.HeadCRC = crc64ecma.Checksum(buf[:got])
	return nil
}

// HeadMatches reports whether f still starts with the bytes fingerprinted in
// id. A file shorter than the fingerprint does not match. The fingerprint may
// be longer than HeadSize (a finished generation is known by all its bytes);
// it is read in pieces.
func (id Identity) HeadMatches(f io.ReaderAt) (bool, error) {
	if id.HeadLen == 0 {
		return true, nil
	}
	buf := make([]byte, min(id.HeadLen, 256<<10))
	var crc uint64
	for at := int64(0); at < id.HeadLen; {
		n := min(id.HeadLen-at, int64(len(buf)))
		got, err := f.ReadAt(buf[:n], at)
		if int64(got) < n {
			if err != nil && !errors.Is(err, io.EOF) {
				return false, fmt.Errorf("read head: %w", err)
			}
			return false, nil // shorter than the fingerprint
		}
		crc = crc64ecma.Update(crc, buf[:n])
		at += n
	}
	return crc == id.HeadCRC, nil
}

// Check is what one look at an open file finds.
type Check int

const (
	Same      Check = iota // same content, possibly grown
	Truncated              // shrank below offset, or its head changed
)

// Recheck looks at the open file f (size from fstat) followed up to offset:
// truncated, or the same file, in which case a fingerprint shorter than
// HeadSize is extended to cover the bytes now there.
func (id *Identity) Recheck(f io.ReaderAt, size, offset int64) (Check, error) {
	if size < offset || size < id.HeadLen {
		return Truncated, nil
	}
	ok, err := id.HeadMatches(f)
	if err != nil {
		return Same, err
	}
	if !ok {
		return Truncated, nil
	}
	if id.HeadLen < HeadSize && size > id.HeadLen {
		if err := id.extend(f, size); err != nil {
			return Same, err
		}
	}
	return Same, nil
}

// Batch reads the next batch of f from offset: at most max bytes, ending
// after the last newline in them. A batch without a newline is returned only
// when all is set (the partial line is old enough, or gtail is stopping, or
// the file is finished) or when a single line fills max (it is shipped in
// pieces: the object still gets every byte in order). buf is reused.
func Batch(f io.ReaderAt, offset, size int64, max int, all bool, buf []byte) ([]byte, error) {
	n := min(size-offset, int64(max))
	if n <= 0 {
		return nil, nil
	}
	if int64(cap(buf)) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	got, err := f.ReadAt(buf, offset)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read at %d: %w", offset, err)
	}
	buf = buf[:got]
	if all || got == max {
		if got == max && !all {
			if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
				return buf[:i+1], nil
			}
		}
		return buf, nil
	}
	i := bytes.LastIndexByte(buf, '\n')
	return buf[:i+1], nil
}
