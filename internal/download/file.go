package download

import (
	"cmp"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	cpstore "github.com/ossx/ossx/internal/checkpoint"
	"github.com/ossx/ossx/internal/crc64ecma"
	"github.com/ossx/ossx/internal/ossx"
	"github.com/ossx/ossx/internal/upload"
)

// Dest is where a file download lands: Name, a slash-separated path inside
// Root. Every file operation goes through Root, so nothing is created,
// renamed or removed outside it, whatever symlinks lie in the way.
type Dest struct {
	Root *os.Root
	Name string

	NoClobber     bool // fail rather than replace an existing file
	SkipUnchanged bool // keep an existing file with the object's size and CRC64

	old fs.FileInfo // the file being replaced; nil for a new one
}

// path is Dest's full path, for messages and checkpoints.
func (t Dest) path() string { return filepath.Join(t.Root.Name(), filepath.FromSlash(t.Name)) }

// ExistsError means --no-clobber found DEST taken.
type ExistsError struct{ Path string }

func (e *ExistsError) Error() string { return e.Path + " already exists" }

// Hint implements ossx.Hinted.
func (e *ExistsError) Hint() string {
	return "--no-clobber keeps existing files; choose another destination or drop --no-clobber"
}

// ToFile downloads u (whose HEAD said m) to dest: into a temporary file in
// the same directory, verified, synced, then renamed over dest, so dest is
// either the old file or the whole new one. Objects above the threshold come
// in parallel ranged GETs and, with a state directory, resume from a
// checkpoint; their temporary file stays for that after an interruption or a
// network failure, and goes in every other case.
func (d *Downloader) ToFile(ctx context.Context, u ossx.URL, m Meta, dest Dest) (Result, error) {
	res := Result{URL: u, Meta: m, Verified: m.verification()}
	if fi, err := dest.Root.Stat(dest.Name); err == nil {
		dest.old = fi
		switch {
		case fi.IsDir():
			return res, fmt.Errorf("%s is a directory", dest.path())
		case !fi.Mode().IsRegular():
			// A rename would replace a device or a named pipe with
			// a plain file.
			return res, fmt.Errorf("%s is a %s, not a regular file", dest.path(), upload.Kind(fi.Mode()))
		case dest.NoClobber:
			return res, &ExistsError{Path: dest.path()}
		case dest.SkipUnchanged && m.HasCRC && fi.Size() == m.Size:
			same, err := sameCRC(dest, m.CRC64)
			if err != nil {
				return res, err
			}
			if same {
				res.CRC64, res.Skipped = m.CRC64, true
				return res, nil
			}
		}
	}
	b, err := d.client.Bucket(u.Bucket)
	if err != nil {
		return res, err
	}
	if m.HasCRC && m.Size > d.opts.Threshold {
		res, err := d.ranged(ctx, b, u, m, dest, res)
		if errors.Is(err, errRegrown) {
			// The object was written anew, not appended to: its
			// checkpoint is gone now, so this run starts afresh.
			if d.opts.Progress != nil {
				d.opts.Progress(-m.Size) // every byte was counted, and dropped
			}
			res.Resumed = 0
			res, err = d.ranged(ctx, b, u, m, dest, res)
			res.Restarted = RestartChanged
		}
		return res, err
	}

	sweepTemps(dest, "", d.temps.of(dest))
	f, tmp, err := createTemp(dest)
	if err != nil {
		return res, err
	}
	keep := false
	defer func() {
		if !keep {
			f.Close()
			dest.Root.Remove(tmp)
		}
	}()
	var sum hash.Hash
	var w io.Writer = f
	if m.verification() == VerifiedMD5 {
		sum = md5.New()
		w = io.MultiWriter(f, sum)
	}
	crc, err := d.fetch(ctx, b, u.Key, &m, 0, m.Size, w)
	if err != nil {
		return res, writeErr(dest, err)
	}
	if err := m.check(crc, sum); err != nil {
		return res, err
	}
	res.CRC64 = crc
	if err := commit(f, tmp, dest, m); err != nil {
		return res, err
	}
	keep = true
	return res, nil
}

// ranged downloads in parts, --jobs at a time, resuming from a checkpoint.
func (d *Downloader) ranged(ctx context.Context, b *oss.Bucket, u ossx.URL, m Meta, dest Dest, res Result) (Result, error) {
	cps := newCheckpoints(d.opts.StateDir)
	if cps == nil && d.noResume != nil {
		d.noResumeOnce.Do(d.noResume)
	}
	var cpName string
	var lock *os.File
	var cp *checkpoint
	abs, err := filepath.Abs(dest.path())
	if err != nil {
		return res, err
	}
	if cps != nil {
		cpName = cps.name(d.endpoint, u.Bucket, u.Key, abs)
		if lock, err = cps.lock(cpName); err != nil {
			return res, fmt.Errorf("checkpoint: %w", err)
		}
		cp = cps.load(cpName)
	}
	finished := false
	defer func() {
		if lock != nil {
			cpstore.Unlock(lock, finished)
		}
	}()

	var f *os.File
	grown := false // an appendable object, longer now: parts kept from a shorter version
	if cp != nil {
		f, res.Restarted, err = reuse(cp, m, dest)
		if err != nil {
			return res, err
		}
		if f != nil && cp.Size != m.Size {
			if err := grow(f, cp, m, cps, cpName); err != nil {
				f.Close()
				return res, err
			}
			grown = true
		}
		if f == nil {
			// Another version or the temporary file gone: start
			// afresh.
			if path.Dir(cp.Temp) == path.Dir(dest.Name) && isTemp(path.Base(cp.Temp), path.Base(dest.Name)) {
				dest.Root.Remove(cp.Temp)
			}
			cp = nil
		}
	}
	var tmp string
	if cp != nil {
		tmp = cp.Temp
	}
	sweepTemps(dest, tmp, d.temps.of(dest))
	if cp == nil {
		if f, tmp, err = createTemp(dest); err != nil {
			return res, err
		}
		cp = &checkpoint{Version: checkpointVersion, Endpoint: d.endpoint, Bucket: u.Bucket, Key: u.Key,
			Dest: abs, Temp: tmp, ETag: m.ETag, Size: m.Size, CRC64: m.CRC64, Type: m.Type, PartSize: d.opts.PartSize}
		if err := f.Truncate(m.Size); err != nil {
			f.Close()
			dest.Root.Remove(tmp)
			return res, fmt.Errorf("%s: %w", dest.path(), err)
		}
		if cps != nil {
			if err := cps.save(cpName, cp); err != nil {
				f.Close()
				dest.Root.Remove(tmp)
				return res, err
			}
		}
	} else {
		tmp = cp.Temp
		res.Resumed = len(cp.Parts)
		if d.opts.Progress != nil {
			var have int64
			for _, p := range cp.Parts {
				have += p.N
			}
			d.opts.Progress(have)
		}
	}
	// discard drops the temporary file and the checkpoint: the bytes are
	// wrong or belong to another version, or the disk cannot hold them.
	discard := func() {
		f.Close()
		dest.Root.Remove(tmp)
		if cps != nil {
			cps.Drop(cpName)
		}
		finished = true
	}

	have := map[int64]bool{}
	for _, p := range cp.Parts {
		have[p.Off] = true
	}
	var todo []span
	for _, s := range parts(m.Size, cp.PartSize) {
		if !have[s.off] {
			todo = append(todo, s)
		}
	}
	var mu sync.Mutex // cp.Parts without a state directory
	err = d.runParts(ctx, todo, func(ctx context.Context, s span) error {
		crc, err := d.fetch(ctx, b, u.Key, &m, s.off, s.n, io.NewOffsetWriter(f, s.off))
		if err != nil {
			return err
		}
		if cps == nil {
			mu.Lock()
			cp.Parts = append(cp.Parts, done{s.off, s.n, crc})
			mu.Unlock()
			return nil
		}
		// The bytes reach the disk before the checkpoint says so: after
		// a power cut a resumed file must not hold a hole that the
		// combined CRC would vouch for.
		if err := f.Sync(); err != nil {
			return &localError{err}
		}
		return cps.add(cpName, cp, done{s.off, s.n, crc})
	})
	if err != nil {
		var le *localError
		var ce *ChangedError
		if errors.As(err, &le) || errors.As(err, &ce) || ctx.Err() == nil && !ossx.IsRetryable(err) {
			discard()
			return res, writeErr(dest, err)
		}
		// Interrupted, or the network gave out: keep both for the next run.
		f.Close()
		return res, &ResumableError{Err: err}
	}
	// Parts finish in any order; the CRCs combine in file order.
	slices.SortFunc(cp.Parts, func(a, b done) int { return cmp.Compare(a.Off, b.Off) })
	var crc uint64
	for _, p := range cp.Parts {
		crc = crc64ecma.Combine(crc, p.CRC64, p.N)
	}
	if err := m.check(crc, nil); err != nil {
		discard()
		if grown {
			return res, errRegrown
		}
		return res, err
	}
	res.CRC64 = crc
	if err := commit(f, tmp, dest, m); err != nil {
		discard()
		return res, err
	}
	if cps != nil {
		cps.Drop(cpName)
	}
	finished = true
	return res, nil
}

// ResumableError is a failure that left a checkpoint: the same command run
// again continues where this one stopped.
type ResumableError struct{ Err error }

func (e *ResumableError) Error() string { return e.Err.Error() }
func (e *ResumableError) Unwrap() error { return e.Err }

// Hint implements ossx.Hinted.
func (e *ResumableError) Hint() string {
	return "run the same command again: the download continues from the parts already fetched"
}

// runParts fetches the spans jobs at a time; the first failure cancels the
// rest.
func (d *Downloader) runParts(ctx context.Context, todo []span, fn func(context.Context, span) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	next := make(chan span)
	for range min(d.opts.Jobs, len(todo)) {
		wg.Go(func() {
			for s := range next {
				if err := fn(ctx, s); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					cancel()
				}
			}
		})
	}
feed:
	for _, s := range todo {
		select {
		case next <- s:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return first
}

// Why an interrupted download was not resumed (Result.Restarted).
const (
	RestartChanged = "changed" // the object is another version now
	RestartNoTemp  = "no-temp" // its temporary file is gone or damaged
)

// errRegrown: the parts kept from a shorter version of an appendable
// object do not add up to OSS's CRC64, so it was deleted and written anew
// rather than appended to. The checkpoint is dropped; run afresh.
var errRegrown = errors.New("the object was written anew since the interrupted download")

// reuse opens the temporary file cp names if it still fits m. When the
// download must start afresh it returns no file and why. The checkpoint's
// part size goes on whatever --part-size says now: the parts fetched stay
// good. An appendable object that is longer now fits too (see grow).
func reuse(cp *checkpoint, m Meta, dest Dest) (*os.File, string, error) {
	appended := cp.Type == "Appendable" && m.Type == "Appendable" && m.Size > cp.Size
	if !appended && (cp.ETag != m.ETag || cp.Size != m.Size || cp.CRC64 != m.CRC64) {
		return nil, RestartChanged, nil
	}
	// The checkpoint names a temporary file of this DEST, beside it, and
	// nothing else (never DEST itself).
	if cp.PartSize < MinPartSize || path.Dir(cp.Temp) != path.Dir(dest.Name) || !isTemp(path.Base(cp.Temp), path.Base(dest.Name)) {
		return nil, RestartNoTemp, nil
	}
	f, err := dest.Root.OpenFile(cp.Temp, os.O_WRONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, RestartNoTemp, nil
	}
	if err != nil {
		return nil, "", err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() || fi.Size() != cp.Size {
		f.Close()
		return nil, RestartNoTemp, nil
	}
	if !claim(dest, cp.Temp, f) {
		f.Close()
		return nil, RestartNoTemp, nil
	}
	return f, "", nil
}

// claim locks f, the temporary file name, as in use (sweepTemps passes
// over a locked one) and reports whether name is still f: another ossget's
// sweep may have removed it before the lock was taken.
func claim(dest Dest, name string, f *os.File) bool {
	// Another error than ErrLocked: a file system without locks, where
	// sweepTemps removes nothing either.
	if errors.Is(cpstore.TryLock(f), cpstore.ErrLocked) {
		return false
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	now, err := dest.Root.Lstat(name)
	return err == nil && os.SameFile(fi, now)
}

// sweepTemps removes names, the temporary files that killed runs left
// beside dest (a download in one GET keeps no checkpoint, so nothing else
// would ever remove them), all but keep: the one a checkpoint continues.
// One that another ossget holds locked is still being written and stays.
func sweepTemps(dest Dest, keep string, names []string) {
	dir := path.Dir(dest.Name)
	for _, n := range names {
		p := path.Join(dir, n)
		if p == keep {
			continue
		}
		// Opened, a FIFO named so (planted in a shared directory) would
		// wait for a writer forever.
		if fi, err := dest.Root.Lstat(p); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		f, err := dest.Root.OpenFile(p, os.O_RDONLY, 0)
		if err != nil {
			continue
		}
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && cpstore.TryLock(f) == nil {
			dest.Root.Remove(p)
		}
		f.Close()
	}
}

// leftovers are the temporary files in the directories DESTs are in, each
// directory read once: read again for every DEST, a mirror of n files into
// one directory would read n² names (100,000 files: half an hour).
type leftovers struct {
	mu    sync.Mutex
	dirs  map[string]map[string][]string // root and directory → tempPrefix → names
	reads int                            // directories read
}

// of returns the temporary files for dest that its directory held when
// first read, and forgets them: each DEST is swept once.
func (l *leftovers) of(dest Dest) []string {
	dir := path.Dir(dest.Name)
	key := dest.Root.Name() + "\x00" + dir
	l.mu.Lock()
	defer l.mu.Unlock()
	temps, ok := l.dirs[key]
	if !ok {
		temps = readTemps(dest.Root, dir)
		l.reads++
		if l.dirs == nil {
			l.dirs = map[string]map[string][]string{}
		}
		l.dirs[key] = temps
	}
	p := tempPrefix(path.Base(dest.Name))
	names := temps[p]
	delete(temps, p)
	return names
}

// readTemps returns the names in dir that createTemp makes, by prefix.
func readTemps(root *os.Root, dir string) map[string][]string {
	temps := map[string][]string{}
	d, err := root.Open(dir)
	if err != nil {
		return temps
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	for _, n := range names {
		if p, ok := tempOf(n); ok {
			temps[p] = append(temps[p], n)
		}
	}
	return temps
}

// grow carries cp over to m, a longer version of the appendable object cp
// was made for. Appending leaves the bytes already there as they were, so
// the full parts fetched stay good at their offsets; a short last part does
// not (the object goes on past it) and is fetched again. The CRC64 check at
// the end tells an object deleted and written anew (errRegrown).
func grow(f *os.File, cp *checkpoint, m Meta, cps *checkpoints, name string) error {
	if err := f.Truncate(m.Size); err != nil {
		return err
	}
	cp.Parts = slices.DeleteFunc(cp.Parts, func(p done) bool { return p.N != cp.PartSize })
	cp.ETag, cp.Size, cp.CRC64 = m.ETag, m.Size, m.CRC64
	return cps.save(name, cp)
}

// tempPrefix is the start of the name createTemp gives a temporary file for
// a DEST named base: base cut to 100 bytes (the name stays within 255) at a
// character's start, so the name stays valid UTF-8 (APFS refuses others).
func tempPrefix(base string) string {
	if len(base) > 100 {
		cut := 100
		for cut > 0 && !utf8.RuneStart(base[cut]) {
			cut--
		}
		base = base[:cut]
	}
	return "." + base + ".ossget-"
}

// isTemp reports whether name is one createTemp made for a DEST named base.
func isTemp(name, base string) bool {
	p, ok := tempOf(name)
	return ok && p == tempPrefix(base)
}

// tempOf returns the tempPrefix of name, if name is one createTemp makes:
// the prefix and 6 random bytes in lowercase hex (so a user's
// ".conf.ossget-my-notes.txt" is no temporary file).
func tempOf(name string) (string, bool) {
	if len(name) < 12 {
		return "", false
	}
	p, r := name[:len(name)-12], name[len(name)-12:]
	if !strings.HasPrefix(p, ".") || !strings.HasSuffix(p, ".ossget-") {
		return "", false
	}
	_, err := hex.DecodeString(r)
	return p, err == nil && strings.ToLower(r) == r
}

// raceHook, set by tests only, runs where another ossget's sweepTemps
// could strike a live download: "created" (its temporary file made, not
// yet locked) and "rename" (the file about to be renamed to DEST).
var raceHook func(point string)

// createTemp makes the temporary file for dest in dest's directory, named
// after it (so a leftover is recognisable), mode 0666 before the umask like
// any file a program creates; 0600 when it is to replace a file, whose mode
// commit gives it: the bytes of a 0600 file are never readable to others
// meanwhile.
func createTemp(dest Dest) (*os.File, string, error) {
	dir, base := path.Split(dest.Name)
	perm := fs.FileMode(0o666)
	if dest.old != nil {
		perm = 0o600
	}
	for range 100 {
		var r [6]byte
		rand.Read(r[:])
		name := dir + tempPrefix(base) + hex.EncodeToString(r[:])
		f, err := dest.Root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("create a temporary file beside %s: %w", dest.path(), unwrapPath(err))
		}
		if raceHook != nil {
			raceHook("created")
		}
		if !claim(dest, name, f) {
			// Swept before it was locked: make another.
			f.Close()
			continue
		}
		return f, name, nil
	}
	return nil, "", fmt.Errorf("create a temporary file beside %s: too many collisions", dest.path())
}

// commit syncs f, gives it the object's modification time and renames it to
// dest (with NoClobber, links it: that fails if dest appeared meanwhile),
// then syncs the directory so the rename survives a power cut. A file
// replaced keeps its mode and, where allowed (root), its owner, as cp keeps
// them: a 0600 secret does not turn 0644, nor an app's file root's. A
// group it cannot keep gets none of its access.
func commit(f *os.File, tmp string, dest Dest, m Meta) error {
	if dest.old != nil {
		perm := dest.old.Mode().Perm()
		if !keepOwner(f, dest.old) {
			// The file is in this user's group now, not the old one:
			// the old group's access must not pass to it.
			perm &^= 0o070
		}
		// Best effort: a file system without modes keeps the
		// temporary file's 0600, the safe side.
		f.Chmod(perm)
	}
	// f stays open, and so locked, until it is renamed: closed, it would
	// be a leftover to another ossget's sweepTemps. Its bytes are synced,
	// so closing it cannot fail them.
	defer f.Close()
	err := f.Sync()
	if err != nil {
		return fmt.Errorf("%s: %w", dest.path(), unwrapPath(err))
	}
	if !m.Modified.IsZero() {
		dest.Root.Chtimes(tmp, m.Modified, m.Modified)
	}
	if raceHook != nil {
		raceHook("rename")
	}
	if dest.NoClobber {
		err = dest.Root.Link(tmp, dest.Name)
		dest.Root.Remove(tmp)
		if errors.Is(err, fs.ErrExist) {
			return &ExistsError{Path: dest.path()}
		}
	} else {
		err = dest.Root.Rename(tmp, dest.Name)
	}
	if err != nil {
		dest.Root.Remove(tmp)
		return fmt.Errorf("%s: %w", dest.path(), unwrapPath(err))
	}
	if dir, err := dest.Root.Open(path.Dir(dest.Name)); err == nil {
		dir.Sync()
		dir.Close()
	}
	return nil
}

// sameCRC reports whether the file at dest has the CRC64 crc.
func sameCRC(dest Dest, crc uint64) (bool, error) {
	f, err := dest.Root.Open(dest.Name)
	if err != nil {
		return false, err
	}
	defer f.Close()
	h := crc64ecma.New()
	if _, err := io.Copy(h, f); err != nil {
		return false, fmt.Errorf("%s: %w", dest.path(), unwrapPath(err))
	}
	return h.Sum64() == crc, nil
}

// writeErr names dest in a local write failure.
func writeErr(dest Dest, err error) error {
	var le *localError
	if errors.As(err, &le) {
		return fmt.Errorf("write %s: %w", dest.path(), unwrapPath(le.err))
	}
	return err
}

// unwrapPath drops an *fs.PathError's own path (the temporary file's name,
// or a path relative to the root) so messages name DEST once.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
