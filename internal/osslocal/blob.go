package osslocal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
)

// blobs hold object and part bodies. A blob is written once (or, for
// appendable objects, extended in place past its committed size) and is
// only visible through object metadata that names it, so a blob that is
// half-written when the process dies is garbage, never a visible object.
type blobs interface {
	// write streams r into a new blob and returns its id and size.
	write(r io.Reader) (id string, n int64, err error)
	// extend replaces whatever follows off in blob id with r (an append at
	// the committed size off) and returns the bytes written. Bytes beyond
	// the committed size are never read; a failed extend cuts the blob
	// back to off, so they do not keep space either.
	extend(id string, off int64, r io.Reader) (int64, error)
	// truncate cuts blob id to size bytes: an append that failed after
	// extend gives its bytes back.
	truncate(id string, size int64)
	// concat writes a new blob holding ids one after another.
	concat(ids []string) (string, error)
	open(id string) (blobReader, error)
	remove(id string)
}

type blobReader interface {
	io.ReaderAt
	io.Closer
}

// memBlobs keeps blobs as lists of immutable chunks. A reader takes a
// snapshot of a list (its slice headers) and never sees later changes:
// appends only write past the snapshot's length, and anything else builds
// a new list.
type memBlobs struct {
	mu sync.Mutex
	m  map[string]memBlob
}

type memBlob struct {
	chunks [][]byte
	offs   []int64 // offs[i] is where chunk i starts; offs[len(chunks)] the size
}

func newMemBlob(chunks [][]byte) memBlob {
	offs := make([]int64, len(chunks)+1)
	for i, c := range chunks {
		offs[i+1] = offs[i] + int64(len(c))
	}
	return memBlob{chunks: chunks, offs: offs}
}

func (m memBlob) size() int64 { return m.offs[len(m.offs)-1] }

func newMemBlobs() *memBlobs { return &memBlobs{m: map[string]memBlob{}} }

// readChunks reads r into chunks that grow from 4 KiB to 1 MiB, so small
// bodies stay small and large ones are not copied as they grow. Only r's
// io.EOF ends the blob: any other error, io.ErrUnexpectedEOF above all
// (net/http's answer for a body cut short of its Content-Length, when the
// client died or gave up), fails the write.
func readChunks(r io.Reader) ([][]byte, int64, error) {
	var chunks [][]byte
	var n int64
	size := 4 << 10
	for {
		buf := make([]byte, size)
		m, err := fill(r, buf)
		if m > 0 {
			chunk := buf[:m:m]
			if m <= size/2 {
				// A short last chunk would pin its whole buffer: a million
				// one-byte objects held 4 GiB.
				chunk = bytes.Clone(chunk)
			}
			chunks = append(chunks, chunk)
			n += int64(m)
		}
		if err == io.EOF {
			return chunks, n, nil
		}
		if err != nil {
			return nil, 0, err
		}
		if size < 1<<20 {
			size *= 2
		}
	}
}

// fill reads r into buf until buf is full or r fails, and returns r's own
// error: unlike io.ReadFull, which reports a short read as
// io.ErrUnexpectedEOF and so hides a body that was cut short.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (b *memBlobs) write(r io.Reader) (string, int64, error) {
	chunks, n, err := readChunks(r)
	if err != nil {
		return "", 0, err
	}
	id := randomHex(16)
	b.mu.Lock()
	b.m[id] = newMemBlob(chunks)
	b.mu.Unlock()
	return id, n, nil
}

func (b *memBlobs) extend(id string, off int64, r io.Reader) (int64, error) {
	add, n, err := readChunks(r)
	if err != nil {
		return 0, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	old, ok := b.m[id]
	if !ok {
		return 0, fmt.Errorf("blob %s: not found", id)
	}
	if off == old.size() {
		// The usual append: extend the lists in place, past every snapshot.
		for _, c := range add {
			old.chunks = append(old.chunks, c)
			old.offs = append(old.offs, old.size()+int64(len(c)))
		}
		b.m[id] = old
		return n, nil
	}
	// Bytes of a failed append follow off: keep exactly off bytes, in new
	// lists.
	b.m[id] = newMemBlob(append(old.cut(off), add...))
	return n, nil
}

// cut returns the chunks of m's first off bytes, in a new list.
func (m memBlob) cut(off int64) [][]byte {
	var kept [][]byte
	var size int64
	for _, c := range m.chunks {
		if size >= off {
			break
		}
		if size+int64(len(c)) > off {
			c = c[:off-size]
		}
		kept = append(kept, c)
		size += int64(len(c))
	}
	return kept
}

func (b *memBlobs) truncate(id string, size int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if m, ok := b.m[id]; ok && m.size() > size {
		b.m[id] = newMemBlob(m.cut(size))
	}
}

func (b *memBlobs) concat(ids []string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var all [][]byte
	for _, id := range ids {
		c, ok := b.m[id]
		if !ok {
			return "", fmt.Errorf("blob %s: not found", id)
		}
		all = append(all, c.chunks...)
	}
	id := randomHex(16)
	b.m[id] = newMemBlob(all)
	return id, nil
}

func (b *memBlobs) open(id string) (blobReader, error) {
	b.mu.Lock()
	m, ok := b.m[id]
	b.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("blob %s: not found", id)
	}
	return &chunkReader{chunks: m.chunks, offs: m.offs}, nil
}

func (b *memBlobs) remove(id string) {
	b.mu.Lock()
	delete(b.m, id)
	b.mu.Unlock()
}

type chunkReader struct {
	chunks [][]byte
	offs   []int64 // offs[i] is where chunk i starts; offs[len] the size
}

func (c *chunkReader) ReadAt(p []byte, off int64) (int, error) {
	size := c.offs[len(c.offs)-1]
	if off >= size {
		return 0, io.EOF
	}
	i := sort.Search(len(c.chunks), func(i int) bool { return c.offs[i+1] > off })
	n := 0
	for n < len(p) && i < len(c.chunks) {
		m := copy(p[n:], c.chunks[i][off-c.offs[i]:])
		n += m
		off += int64(m)
		i++
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (c *chunkReader) Close() error { return nil }

// dirBlobs keeps blobs as files DIR/blobs/ID, written under DIR/tmp and
// renamed into place after fsync.
type dirBlobs struct{ dir string }

func (b *dirBlobs) path(id string) string { return filepath.Join(b.dir, "blobs", id) }

func (b *dirBlobs) create(fill func(f *os.File) (int64, error)) (string, int64, error) {
	f, err := os.CreateTemp(filepath.Join(b.dir, "tmp"), "blob-*")
	if err != nil {
		return "", 0, err
	}
	tmp := f.Name()
	n, err := fill(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	id := randomHex(16)
	if err == nil {
		crash("blob-synced")
		err = os.Rename(tmp, b.path(id))
	}
	if err == nil {
		err = syncDir(filepath.Join(b.dir, "blobs"))
	}
	if err != nil {
		os.Remove(tmp)
		return "", 0, err
	}
	crash("blob-stored")
	return id, n, nil
}

func (b *dirBlobs) write(r io.Reader) (string, int64, error) {
	return b.create(func(f *os.File) (int64, error) { return io.Copy(f, r) })
}

func (b *dirBlobs) extend(id string, off int64, r io.Reader) (int64, error) {
	f, err := os.OpenFile(b.path(id), os.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := f.Truncate(off); err != nil {
		return 0, err
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	n, err := io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		// A full disk must not stay full of an append that failed.
		_ = f.Truncate(off)
		return n, err
	}
	crash("append-synced")
	return n, nil
}

func (b *dirBlobs) truncate(id string, size int64) { _ = os.Truncate(b.path(id), size) }

func (b *dirBlobs) concat(ids []string) (string, error) {
	id, _, err := b.create(func(f *os.File) (int64, error) {
		var total int64
		for _, id := range ids {
			src, err := os.Open(b.path(id))
			if err != nil {
				return total, err
			}
			n, err := io.Copy(f, src)
			src.Close()
			total += n
			if err != nil {
				return total, err
			}
		}
		return total, nil
	})
	return id, err
}

func (b *dirBlobs) open(id string) (blobReader, error) { return os.Open(b.path(id)) }

// remove deletes a blob; a failure leaves garbage that the next start
// collects, never a visible object.
func (b *dirBlobs) remove(id string) { _ = os.Remove(b.path(id)) }

// syncDirFault, set only by tests, makes syncDir fail: the failure after
// a metadata rename cannot be had from a real disk on demand.
var syncDirFault func(dir string) error

// syncDir fsyncs a directory so that renames into it survive a crash.
func syncDir(dir string) error {
	if syncDirFault != nil {
		if err := syncDirFault(dir); err != nil {
			return err
		}
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// mkdirAll creates dir and its missing parents, syncing the directory
// above each one it creates: a file synced into a new directory is lost
// with it on a power failure unless the new directory's entry is synced
// too.
func mkdirAll(dir string) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return &fs.PathError{Op: "mkdir", Path: dir, Err: syscall.ENOTDIR}
		}
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := mkdirAll(parent); err != nil {
			return err
		}
	}
	// Created by a racing request, which may not have synced it yet:
	// sync it here too.
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(parent)
}

// writeFileAtomic writes data to path through a synced temporary file and a
// rename, so path holds either the old or the new content after a crash.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := mkdirAll(dir); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		crash("meta-synced")
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	crash("meta-renamed")
	if err := syncDir(dir); err != nil {
		return &renamedError{err}
	}
	return nil
}

// renamedError is a metadata write renamed into place whose directory
// could not be synced: the new content is what the next start reads, so
// the caller must keep what it names and publish it, answering the error
// all the same (a write that may have happened, as a timeout from OSS).
// Undoing it instead — removing the body it names, cutting an append back —
// left an object whose metadata names bytes that are gone.
type renamedError struct{ err error }

func (e *renamedError) Error() string { return e.err.Error() }
func (e *renamedError) Unwrap() error { return e.err }

func renamed(err error) bool {
	var r *renamedError
	return errors.As(err, &r)
}
