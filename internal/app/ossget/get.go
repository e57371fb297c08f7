package ossget

import (
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"golang.org/x/time/rate"

	"github.com/ossx/ossx/internal/download"
	"github.com/ossx/ossx/internal/keytmpl"
	"github.com/ossx/ossx/internal/listing"
	"github.com/ossx/ossx/internal/ossx"
	"github.com/ossx/ossx/internal/progress"
)

// getter runs the downloads of one command and reports on each.
type getter struct {
	ctx    context.Context
	opts   options
	cfg    *ossx.Config
	client *oss.Client
	dl     *download.Downloader

	out *progress.Console // result, notice, warning and error lines, and the bar

	mu       sync.Mutex
	total    int
	failed   int
	fatalErr error
}

func newGetter(ctx context.Context, opts options, cfg *ossx.Config, client *oss.Client, stateDir string) *getter {
	do := download.Options{
		Jobs:      opts.jobs,
		PartSize:  opts.partSize,
		Threshold: opts.threshold,
		StateDir:  stateDir,
		Retry:     cfg.Retry,
	}
	if opts.bwlimit > 0 {
		do.Limiter = rate.NewLimiter(rate.Limit(opts.bwlimit), int(min(opts.bwlimit, 64<<10)))
	}
	g := &getter{ctx: ctx, opts: opts, cfg: cfg, client: client}
	// A dead or failing endpoint is never a silent wait.
	do.Retry = cfg.Retry.Logged(func(line string) { g.out.Notice("%s", line) })
	g.out = progress.NewConsole(tool, opts.progress, opts.quiet || opts.dryRun, opts.quiet, "downloading")
	if g.out.Bar != nil {
		do.Progress = g.out.Bar.Add
	}
	g.dl = download.New(client, do)
	return g
}

// startBar names the object now downloading on the progress line.
func (g *getter) startBar(u ossx.URL) { g.out.Start(u.Key) }

// single downloads one object to a file, a directory or stdout.
func (g *getter) single(src ossx.URL) error {
	m, err := g.dl.Head(g.ctx, src)
	if err != nil {
		return notFound(src, err)
	}
	if err := g.checkVerifiable(src, m); err != nil {
		return err
	}
	g.out.Bar.AddItem(m.Size)
	g.out.Bar.Final()
	if fd, ok := descriptor(g.opts.dest); g.opts.dest == "-" || ok && fd == 1 {
		return g.toStream(src, m, os.Stdout, "")
	} else if ok {
		return g.toStream(src, m, os.NewFile(uintptr(fd), g.opts.dest), g.opts.dest)
	}
	if fi, err := os.Stat(g.opts.dest); err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
		if g.opts.noClobber {
			// Written in place, a device is clobbered as surely as a
			// file replaced: a disk must not lose its contents.
			return &download.ExistsError{Path: g.opts.dest}
		}
		return g.toDevice(src, m, fi)
	}
	dest, err := g.fileDest(src)
	if err != nil {
		return err
	}
	defer dest.Root.Close()
	return g.toFile(src, m, dest)
}

// fileDest resolves DEST for one object: a directory (ending in /, or an
// existing one) gets the key's base name inside it.
func (g *getter) fileDest(src ossx.URL) (download.Dest, error) {
	target, err := followLink(g.opts.dest)
	if err != nil {
		return download.Dest{}, err
	}
	dir, name := filepath.Split(target)
	if fi, err := os.Stat(target); name == "" || err == nil && fi.IsDir() {
		dir, name = target, path.Base(src.Key)
		if _, err := download.LocalName(name); err != nil {
			return download.Dest{}, fmt.Errorf("%s: cannot be a file name (%v); name the file in DEST", src, err)
		}
	}
	if dir == "" {
		dir = "."
	}
	if !g.opts.dryRun {
		// Like ossutil, and unlike cp: a container's entrypoint fetching
		// /etc/app/conf.json should not need a mkdir first.
		if err := os.MkdirAll(dir, 0o777); err != nil {
			return download.Dest{}, fmt.Errorf("destination directory: %w", err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return download.Dest{}, fmt.Errorf("destination directory: %w", err)
	}
	return download.Dest{Root: root, Name: name, NoClobber: g.opts.noClobber, SkipUnchanged: g.opts.skipUnchanged}, nil
}

// followLink resolves a DEST that is a symlink to a file: the file it
// points to is replaced (atomically, from a temporary file beside it) and
// the link stays, as cp writes through a link: a link a deployment tool
// keeps is never replaced. A link to a directory is a directory DEST.
func followLink(dest string) (string, error) {
	if fi, err := os.Lstat(dest); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return dest, nil
	}
	if fi, err := os.Stat(dest); err == nil && fi.IsDir() {
		return dest, nil
	}
	target, err := filepath.EvalSymlinks(dest)
	if errors.Is(err, fs.ErrNotExist) {
		to, _ := os.Readlink(dest)
		return "", &danglingError{dest, to}
	}
	if err != nil {
		return "", fmt.Errorf("destination: %w", err)
	}
	return target, nil
}

// danglingError is a DEST that is a symlink to nothing.
type danglingError struct{ dest, to string }

func (e *danglingError) Error() string {
	return e.dest + " is a symlink to " + e.to + ", which does not exist"
}

func (e *danglingError) Hint() string {
	return "ossget writes through a symlink, never a dangling one: remove the link or name another file"
}

// toDevice writes one object into a DEST that exists and is no regular
// file: a device (/dev/null, /dev/tty, a disk) or a named pipe (a FIFO,
// /dev/stderr on a pipe). A rename cannot replace such a file
// (run as root, it would put a plain file in place of /dev/null), so the
// bytes are written to it in order, as to stdout; no path is printed.
func (g *getter) toDevice(src ossx.URL, m download.Meta, fi fs.FileInfo) error {
	p := g.opts.dest
	if fi.Mode()&fs.ModeSocket != 0 {
		return fmt.Errorf("download %s to %s: %s is a socket, not a file", src, p, p)
	}
	if g.opts.dryRun {
		g.out.Notice("dry run: would write %s (%d bytes) to %s", src, m.Size, p)
		return nil
	}
	f, err := openWriter(g.ctx, p)
	if err != nil {
		return fmt.Errorf("download %s to %s: %w", src, p, err)
	}
	defer f.Close()
	res, err := g.write(src, m, f, p)
	if err != nil || res == nil {
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("download %s to %s: %w", src, p, err)
	}
	if g.opts.json {
		return g.print(*res, p)
	}
	return nil
}

// openWriter opens the device or pipe p for writing. Opening a named pipe
// waits for a reader; Ctrl-C still ends that wait.
func openWriter(ctx context.Context, p string) (*os.File, error) {
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		ch <- opened{f, err}
	}()
	select {
	case o := <-ch:
		return o.f, o.err
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// toFile downloads one object into dest and prints its line.
func (g *getter) toFile(src ossx.URL, m download.Meta, dest download.Dest) error {
	p := filepath.Join(dest.Root.Name(), filepath.FromSlash(dest.Name))
	if g.opts.dryRun {
		g.out.Notice("dry run: would download %s (%d bytes) to %s", src, m.Size, p)
		return g.print(download.Result{URL: src, Meta: m, Verified: "dry-run"}, p)
	}
	g.startBar(src)
	res, err := g.dl.ToFile(g.ctx, src, m, dest)
	if err != nil {
		// The caller takes a failed item out of the progress total.
		return fmt.Errorf("download %s to %s: %w", src, p, err)
	}
	if res.Skipped {
		g.out.Bar.ItemDone(m.Size) // not downloaded: out of the total
	} else {
		g.out.Bar.ItemDone(0)
	}
	switch res.Restarted {
	case download.RestartChanged:
		g.out.Notice("%s: %s changed since the interrupted download: its parts were dropped and it was downloaded whole", p, src)
	case download.RestartNoTemp:
		g.out.Notice("%s: the temporary file of the interrupted download was gone: downloaded whole", p)
	}
	switch {
	case res.Skipped:
		g.out.Notice("%s: unchanged, skipped", p)
	case res.Resumed > 0:
		g.out.Notice("%s: resumed, %d part(s) were already downloaded", p, res.Resumed)
	}
	g.warnUnverified(res)
	return g.print(res, p)
}

// toStream writes one object, decoded with --gunzip, in order to f:
// stdout (p "") or the open descriptor p names (/dev/stderr, /dev/fd/3).
func (g *getter) toStream(src ossx.URL, m download.Meta, f *os.File, p string) error {
	if g.opts.dryRun {
		g.out.Notice("dry run: would write %s (%d bytes) to %s", src, m.Size, cmp.Or(p, "stdout"))
		return nil
	}
	signal.Ignore(syscall.SIGPIPE)
	_, err := g.write(src, m, f, p)
	runtime.KeepAlive(f) // f's finalizer must not close a descriptor mid-write
	return err
}

// write streams one object to w: stdout, or the device or pipe p. A
// reader gone (ossget … - | head) ends the download quietly: nil result,
// nil error.
func (g *getter) write(src ossx.URL, m download.Meta, w io.Writer, p string) (*download.Result, error) {
	g.startBar(src)
	res, err := g.stream(src, m, w)
	g.out.Bar.ItemDone(0)
	var oe *download.OutputError
	if errors.As(err, &oe) && errors.Is(oe.Err, syscall.EPIPE) {
		return nil, nil
	}
	var ce *download.CRCMismatchError
	switch {
	case errors.As(err, &ce) && p == "":
		return nil, fmt.Errorf("%s: %w (the bytes are already on stdout: discard them)", src, err)
	case errors.As(err, &ce):
		return nil, fmt.Errorf("download %s to %s: %w (the bytes are already written to %s: discard them)", src, p, err, p)
	case err != nil && p == "":
		return nil, fmt.Errorf("download %s: %w", src, err)
	case err != nil:
		return nil, fmt.Errorf("download %s to %s: %w", src, p, err)
	}
	g.warnUnverified(res)
	return &res, nil
}

var errBrokenPipe = errors.New("stdout closed")

// stream writes src to w, through a gzip decoder with --gunzip.
func (g *getter) stream(src ossx.URL, m download.Meta, w io.Writer) (download.Result, error) {
	if !g.opts.gunzip {
		return g.dl.ToWriter(g.ctx, src, m, w)
	}
	if m.Size == 0 {
		return download.Result{URL: src, Meta: m, Verified: "crc64"}, nil
	}
	pr, pw := io.Pipe()
	var res download.Result
	var derr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, derr = g.dl.ToWriter(g.ctx, src, m, pw)
		pw.CloseWithError(derr)
	}()
	zr, err := gzip.NewReader(pr)
	if err == nil {
		_, err = io.Copy(w, zr)
		if err == nil {
			err = zr.Close()
		}
	}
	if err != nil {
		pr.CloseWithError(err)
	}
	<-done
	if derr != nil {
		var oe *download.OutputError
		if !errors.As(derr, &oe) || err == nil {
			return res, derr
		}
	}
	if err != nil {
		if errors.Is(err, syscall.EPIPE) {
			return res, &download.OutputError{Err: err}
		}
		return res, fmt.Errorf("gunzip: %w", err)
	}
	return res, nil
}

// checkVerifiable applies --require-verified before anything is written.
func (g *getter) checkVerifiable(src ossx.URL, m download.Meta) error {
	if g.opts.requireVerified && !m.HasCRC && m.MD5 == nil {
		return &download.UnverifiedError{URL: src}
	}
	return nil
}

func (g *getter) warnUnverified(res download.Result) {
	if res.Verified == download.VerifiedNone {
		g.out.Warn("%s: OSS gave neither a CRC64 nor an MD5: downloaded unverified", res.URL)
	}
}

// mirror downloads every object below src into the directory DEST, jobs
// files at a time. Each key that fails, or that cannot be a path inside
// DEST, is reported and the others go on: exit 3.
func (g *getter) mirror(src ossx.URL) error {
	if !g.opts.dryRun {
		if err := os.MkdirAll(g.opts.dest, 0o777); err != nil {
			return fmt.Errorf("destination directory: %w", err)
		}
	}
	root, err := os.OpenRoot(g.opts.dest)
	if err != nil {
		if g.opts.dryRun && errors.Is(err, fs.ErrNotExist) {
			root = nil
		} else {
			return fmt.Errorf("destination directory: %w", err)
		}
	}
	if root != nil {
		defer root.Close()
	}
	ctx, cancel := context.WithCancel(g.ctx)
	defer cancel()
	items := make(chan listing.Entry)
	var wg sync.WaitGroup
	for range g.opts.jobs {
		wg.Go(func() {
			for e := range items {
				if ctx.Err() != nil {
					continue
				}
				if err := g.mirrorOne(ctx, root, src, e); err != nil {
					if !strings.HasSuffix(e.Key, "/") {
						g.out.Bar.ItemDone(e.Size) // not downloaded: out of the total
					}
					g.fail(err, cancel)
				}
			}
		})
	}
	lerr := g.list(ctx, src, func(e listing.Entry) bool {
		if e.Key == dirOf(src.Key) && e.Size == 0 {
			// The prefix's own directory marker (a "folder" made in
			// the OSS console or by ossutil mkdir) is DIR itself.
			return true
		}
		g.mu.Lock()
		g.total++
		g.mu.Unlock()
		if !strings.HasSuffix(e.Key, "/") { // a directory marker is made, not downloaded
			g.out.Bar.AddItem(e.Size)
		}
		select {
		case items <- e:
			return true
		case <-ctx.Done():
			return false
		}
	})
	g.out.Bar.Final()
	close(items)
	wg.Wait()
	return g.outcome(lerr)
}

// mirrorOne downloads one listed object under root.
func (g *getter) mirrorOne(ctx context.Context, root *os.Root, prefix ossx.URL, e listing.Entry) error {
	u := ossx.URL{Bucket: e.Bucket, Key: e.Key}
	rel := strings.TrimPrefix(e.Key, dirOf(prefix.Key))
	name, err := download.LocalName(rel)
	if err != nil {
		return &refusedError{URL: u, dir: g.opts.dest, why: err}
	}
	p := filepath.Join(g.opts.dest, filepath.FromSlash(name))
	if strings.HasSuffix(e.Key, "/") {
		if g.opts.dryRun {
			g.out.Notice("dry run: would make directory %s", p)
			return nil
		}
		if err := root.MkdirAll(name, 0o777); err != nil {
			return fmt.Errorf("%s: %w", u, err)
		}
		return nil
	}
	if g.opts.dryRun {
		g.out.Notice("dry run: would download %s (%d bytes) to %s", u, e.Size, p)
		return g.print(download.Result{URL: u, Meta: download.Meta{Size: e.Size, ETag: e.ETag}, Verified: "dry-run"}, p)
	}
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o777); err != nil {
			return fmt.Errorf("%s: %w", u, err)
		}
	}
	m, err := g.dl.Head(ctx, u)
	if err != nil {
		return notFound(u, err)
	}
	if err := g.checkVerifiable(u, m); err != nil {
		return err
	}
	return g.toFile(u, m, download.Dest{Root: root, Name: name, NoClobber: g.opts.noClobber, SkipUnchanged: g.opts.skipUnchanged})
}

// refusedError is a key that cannot be a file inside DIR.
type refusedError struct {
	URL ossx.URL
	dir string
	why error
}

func (e *refusedError) Error() string {
	return fmt.Sprintf("%q refused: not a path inside %s: %v", e.URL.String(), e.dir, e.why)
}

// dirOf is the "directory" of a prefix: up to its last "/", as ossls's
// filters see it; oss://b/logs mirrors logs/… and logs.txt alike.
func dirOf(prefix string) string { return prefix[:strings.LastIndex(prefix, "/")+1] }

// cat writes every object below src to stdout in key order.
func (g *getter) cat(src ossx.URL) error {
	signal.Ignore(syscall.SIGPIPE)
	var werr error
	lerr := g.list(g.ctx, src, func(e listing.Entry) bool {
		if strings.HasSuffix(e.Key, "/") && e.Size == 0 {
			return true
		}
		// gtail's owner objects sit below its destination prefix; they
		// are not log bytes, and --cat of a gtail prefix is the log.
		if keytmpl.IsBookkeeping(e.Key) {
			return true
		}
		u := ossx.URL{Bucket: e.Bucket, Key: e.Key}
		m, err := g.dl.Head(g.ctx, u)
		if err == nil {
			err = g.checkVerifiable(u, m)
		}
		if err == nil && !g.opts.dryRun {
			g.out.Bar.AddItem(m.Size)
			g.startBar(u)
			var res download.Result
			res, err = g.stream(u, m, os.Stdout)
			g.out.Bar.ItemDone(0)
			if err == nil {
				g.warnUnverified(res)
			}
		} else if err == nil {
			g.out.Notice("dry run: would write %s (%d bytes) to stdout", u, m.Size)
		}
		var oe *download.OutputError
		if errors.As(err, &oe) && errors.Is(oe.Err, syscall.EPIPE) {
			werr = errBrokenPipe
			return false
		}
		if err != nil {
			// The output is one stream: a hole in it is a failure of
			// the whole, not of one item.
			werr = fmt.Errorf("%s: %w", u, notFound(u, err))
			return false
		}
		return true
	})
	if errors.Is(werr, errBrokenPipe) {
		return nil
	}
	if werr != nil {
		return werr
	}
	return lerr
}

// list calls fn for each object below src that passes the filters, in key
// order, until fn returns false.
func (g *getter) list(ctx context.Context, src ossx.URL, fn func(listing.Entry) bool) error {
	filter, err := listing.NewFilter(src.Key, g.opts.include, g.opts.exclude)
	if err != nil {
		return &ossx.UsageError{Err: err, Hint: "patterns use * ? [a-z] and \\ to quote; see ossls --help"}
	}
	b, err := g.client.Bucket(src.Bucket)
	if err != nil {
		return err
	}
	n := 0
	for page, err := range listing.Pages(ctx, listing.Objects(b, g.cfg.Retry, listing.Query{Prefix: src.Key})) {
		if err != nil {
			return err
		}
		for i := range page {
			if !filter.Match(&page[i]) {
				continue
			}
			n++
			if !fn(page[i]) {
				return nil
			}
		}
	}
	if n == 0 && ctx.Err() == nil {
		g.out.Warn("nothing below %s", src)
	}
	return nil
}

// fail records one failed item; an error that would fail every other item
// too (bad credentials, a missing bucket, a full disk) stops the batch.
func (g *getter) fail(err error, cancel context.CancelFunc) {
	if g.ctx.Err() != nil {
		return
	}
	g.mu.Lock()
	if fatal(err) {
		if g.fatalErr == nil {
			g.fatalErr = err
		}
		g.mu.Unlock()
		cancel()
		return
	}
	g.failed++
	g.mu.Unlock()
	g.out.Report(err)
}

// outcome is the batch's error: a fatal one, a listing failure, the count
// of failed items, or an interruption.
func (g *getter) outcome(lerr error) error {
	switch {
	case g.fatalErr != nil:
		return g.fatalErr
	case g.ctx.Err() != nil:
		return interrupted()
	case lerr != nil:
		if g.failed > 0 {
			g.out.Report(lerr)
			return &ossx.PartialError{Failed: g.failed, Total: g.total}
		}
		return lerr
	case g.failed > 0:
		return &ossx.PartialError{Failed: g.failed, Total: g.total}
	}
	return nil
}

// fatal reports whether err would fail the other items as well.
func fatal(err error) bool {
	var se oss.ServiceError
	if errors.As(err, &se) {
		switch se.Code {
		case "SignatureDoesNotMatch", "InvalidAccessKeyId", "NoSuchBucket",
			"SecurityTokenExpired", "InvalidSecurityToken", "RequestTimeTooSkewed":
			return true
		}
		return false
	}
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial" || errors.Is(err, syscall.ENOSPC)
}

// notFound turns OSS's bare 404 to a HEAD (no body, so no code) into an
// error that names the object.
func notFound(u ossx.URL, err error) error {
	var se oss.ServiceError
	if errors.As(err, &se) && se.StatusCode == 404 && se.Code != "NoSuchBucket" {
		return &missingError{u}
	}
	return err
}

type missingError struct{ URL ossx.URL }

func (e *missingError) Error() string { return e.URL.String() + ": no such object" }
func (e *missingError) Hint() string {
	return "check the key; list what is there with ossls " + ossx.URL{Bucket: e.URL.Bucket, Key: dirOf(e.URL.Key)}.String()
}

// line is what --json prints for each file. The CRC64 is a string: as a
// JSON number it would lose precision in JavaScript and jq.
type line struct {
	Bucket   string `json:"bucket"`
	Key      string `json:"key"`
	Path     string `json:"path"`
	Size     int64  `json:"size"`
	CRC64    string `json:"crc64,omitempty"`
	ETag     string `json:"etag,omitempty"`
	Verified string `json:"verified,omitempty"` // crc64, md5, none; absent in a dry run
	Skipped  bool   `json:"skipped,omitempty"`
	Resumed  int    `json:"resumed_parts,omitempty"`
	DryRun   bool   `json:"dry_run,omitempty"`
}

// print writes the line for one file to stdout: its path, or --json.
func (g *getter) print(res download.Result, p string) error {
	if g.opts.quiet {
		return nil
	}
	if g.opts.json {
		l := line{Bucket: res.URL.Bucket, Key: res.URL.Key, Path: p, Size: res.Meta.Size, ETag: res.Meta.ETag,
			Verified: string(res.Verified), Skipped: res.Skipped, Resumed: res.Resumed}
		if res.Verified == "dry-run" {
			l.Verified, l.DryRun, l.ETag = "", true, ""
		} else {
			l.CRC64 = strconv.FormatUint(res.CRC64, 10)
		}
		return g.out.PrintJSON(l)
	}
	// One path per line, whatever the key holds (see progress.Console).
	return g.out.Print(p)
}
