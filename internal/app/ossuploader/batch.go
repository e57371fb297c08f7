package ossuploader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"golang.org/x/term"
	"golang.org/x/time/rate"

	"github.com/ossx/ossx/internal/ossx"
	"github.com/ossx/ossx/internal/progress"
	"github.com/ossx/ossx/internal/upload"
)

const tool = "ossuploader"

// source is one SRC argument, resolved against DEST.
type source struct {
	path string   // "-" for stdin
	dst  ossx.URL // the key, or for a directory the prefix
	fi   fs.FileInfo
	err  error // could not be examined; reported as that item's failure
}

func (s source) isDir() bool { return s.fi != nil && s.fi.IsDir() }

// planSources checks the arguments against each other and the file system;
// every problem found here is a usage error and nothing has been sent.
func planSources(opts options, dst ossx.URL) ([]source, error) {
	stdin := 0
	for _, s := range opts.sources {
		if s == "-" {
			stdin++
		}
	}
	switch {
	case stdin > 1:
		return nil, ossx.Usagef("stdin (-) can be read only once")
	case stdin == 1 && dst.IsPrefix():
		return nil, &ossx.UsageError{
			Err:  fmt.Errorf("stdin has no file name to append to %s", dst),
			Hint: "name the object in full, e.g. oss://BUCKET/path/file.gz",
		}
	case stdin == 1 && opts.deleteSource:
		return nil, ossx.Usagef("--delete-source cannot delete stdin")
	case slices.Contains(opts.sources, ""):
		return nil, &ossx.UsageError{
			Err:  errors.New("empty source name"),
			Hint: "name a file, a directory with -r, or - for stdin",
		}
	case len(opts.sources) > 1 && !dst.IsPrefix():
		return nil, &ossx.UsageError{
			Err:  fmt.Errorf("%d sources need a destination prefix ending in /, not %s", len(opts.sources), dst),
			Hint: "write the destination as " + dst.String() + "/",
		}
	}
	plan := make([]source, 0, len(opts.sources))
	for _, p := range opts.sources {
		s := source{path: p, dst: dst}
		if p == "-" {
			plan = append(plan, s)
			continue
		}
		// Named on the command line, a symlink is followed (like cp -H).
		s.fi, s.err = os.Stat(p)
		switch {
		case s.err != nil:
		case s.fi.IsDir() && !opts.recursive:
			return nil, &ossx.UsageError{Err: fmt.Errorf("%s is a directory", p), Hint: "pass -r to upload a directory"}
		case s.fi.IsDir():
			if !dst.IsPrefix() {
				s.dst.Key += "/"
			}
		case dst.IsPrefix():
			s.dst = dst.Join(filepath.Base(p))
		}
		plan = append(plan, s)
	}
	return plan, nil
}

// item is one file (or stdin) to upload.
type item struct {
	path string
	dst  ossx.URL
	size int64 // -1 for stdin
}

// batch uploads a plan's items in parallel and reports on each.
type batch struct {
	ctx      context.Context
	opts     options
	cfg      *ossx.Config
	client   *oss.Client
	uploader *upload.Uploader

	out   *progress.Console // result, notice, warning and error lines, and the bar
	multi bool              // several items: failures are reported one by one
	md5   sync.Once         // the notice that the server sends no CRC64

	mu       sync.Mutex
	total    int
	failed   int
	fatalErr error
	cancel   context.CancelFunc
}

func newBatch(ctx context.Context, opts options, cfg *ossx.Config, client *oss.Client, stateDir string, stateErr error) *batch {
	uo := upload.Options{
		Object:        opts.object,
		NoClobber:     opts.noClobber,
		SkipUnchanged: opts.skipUnchanged,
		Threshold:     opts.threshold,
		PartSize:      opts.partSize,
		Jobs:          opts.jobs,
		StateDir:      stateDir,
		StateErr:      stateErr,
		Retry:         cfg.Retry,
	}
	if opts.bwlimit > 0 {
		burst := int(min(opts.bwlimit, 64<<10))
		uo.Limiter = rate.NewLimiter(rate.Limit(opts.bwlimit), burst)
	}
	b := &batch{ctx: ctx, opts: opts, cfg: cfg, client: client}
	// A dead or failing endpoint is never a silent wait.
	uo.Retry = cfg.Retry.Logged(func(line string) { b.out.Notice("%s", line) })
	b.out = progress.NewConsole(tool, opts.progress, opts.quiet || opts.dryRun, opts.quiet, "uploading")
	if b.out.Bar != nil {
		uo.Progress = b.out.Bar.Add
	}
	b.uploader = upload.New(client, uo)
	return b
}

// run uploads every item of plan, jobs at a time.
func (b *batch) run(plan []source) error {
	for _, s := range plan {
		b.multi = b.multi || s.isDir()
	}
	b.multi = b.multi || len(plan) > 1
	if !b.multi {
		return b.single(plan[0])
	}
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	b.cancel = cancel
	items := make(chan item)
	var wg sync.WaitGroup
	for range b.opts.jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range items {
				b.do(ctx, it)
			}
		}()
	}
	b.produce(ctx, plan, items)
	b.out.Bar.Final()
	close(items)
	wg.Wait()
	b.out.Finish()

	if b.fatalErr != nil {
		return b.fatalErr
	}
	if err := b.ctx.Err(); err != nil {
		return interrupted()
	}
	if b.failed > 0 {
		return &ossx.PartialError{Failed: b.failed, Total: b.total}
	}
	return nil
}

// produce sends every file of plan to items, reporting what cannot go.
func (b *batch) produce(ctx context.Context, plan []source, items chan<- item) {
	// Several sources can name the same key (c1/a.txt c2/a.txt p/, or
	// two directories holding the same relative path): only the first goes
	// there; the others fail rather than overwrite it unseen.
	var seen map[ossx.URL]string
	if len(plan) > 1 {
		seen = map[ossx.URL]string{}
	}
	send := func(it item) bool {
		if seen != nil {
			path := filepath.Clean(it.path)
			if prev, dup := seen[it.dst]; dup {
				if prev == path {
					b.out.Warn("%s: named twice, uploaded once", it.path)
				} else {
					b.failure(it.path, fmt.Errorf("not uploaded: %s is already where %s goes", it.dst, prev))
				}
				return ctx.Err() == nil
			}
			seen[it.dst] = path
		}
		b.mu.Lock()
		b.total++
		b.mu.Unlock()
		b.out.Bar.AddItem(it.size)
		select {
		case items <- it:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for _, s := range plan {
		switch {
		case s.path == "-":
			if !send(item{path: "-", dst: s.dst, size: -1}) {
				return
			}
		case s.err != nil:
			b.failure(s.path, s.err)
		case s.isDir():
			found := 0
			err := upload.Walk(ctx, s.path, b.opts.followSymlinks,
				func(path, rel string, fi fs.FileInfo) error {
					found++
					if !send(item{path: path, dst: s.dst.Join(rel), size: fi.Size()}) {
						return ctx.Err()
					}
					return nil
				},
				func(path string, err error) {
					if errors.Is(err, upload.ErrSymlinkSkipped) {
						b.out.Warn("%s: %v", path, err)
						return
					}
					b.failure(path, err)
				})
			if err != nil && ctx.Err() == nil {
				b.failure(s.path, err)
			}
			if found == 0 && err == nil {
				b.out.Warn("%s: no files to upload", s.path)
			}
		default:
			if !send(item{path: s.path, dst: s.dst, size: s.fi.Size()}) {
				return
			}
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// single uploads the one item of a plan; its error is the command's.
func (b *batch) single(s source) error {
	defer b.out.Finish()
	if s.err != nil {
		return s.err
	}
	size := int64(-1)
	if s.fi != nil {
		if !s.fi.Mode().IsRegular() {
			return &upload.NotRegularError{Path: s.path, Mode: s.fi.Mode()}
		}
		size = s.fi.Size()
	}
	b.out.Bar.AddItem(size)
	b.out.Bar.Final()
	err := b.upload(b.ctx, item{path: s.path, dst: s.dst, size: size})
	if err != nil && b.ctx.Err() != nil {
		return interrupted()
	}
	return err
}

// do uploads one item of a batch and records the outcome.
func (b *batch) do(ctx context.Context, it item) {
	if ctx.Err() != nil {
		return
	}
	err := b.upload(ctx, it)
	if err == nil || ctx.Err() != nil {
		return
	}
	if fatal(err) {
		b.mu.Lock()
		if b.fatalErr == nil {
			b.fatalErr = err
		}
		b.mu.Unlock()
		b.cancel()
		return
	}
	b.mu.Lock()
	b.failed++
	b.mu.Unlock()
	b.out.Report(err)
}

// failure records an entry that failed before any upload.
func (b *batch) failure(path string, err error) {
	b.mu.Lock()
	b.total++
	b.failed++
	b.mu.Unlock()
	// An *fs.PathError names the path already ("stat x: no such file").
	if pe := (*fs.PathError)(nil); !errors.As(err, &pe) || pe.Path != path {
		err = fmt.Errorf("%s: %w", path, err)
	}
	b.out.Report(err)
}

// upload sends one item and prints its line.
func (b *batch) upload(ctx context.Context, it item) error {
	name := it.path
	if name == "-" {
		name = "stdin"
	}
	if err := ossx.ValidKey(it.dst.Key); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	// A control character in a key breaks every script that reads keys
	// line by line, and shows up in a terminal as whatever it does.
	if ossx.HasControl(it.dst.Key) {
		return &ossx.UsageError{
			Err:  fmt.Errorf("%s: object key %s holds a control character", ossx.EscapeControl(name), ossx.EscapeControl(it.dst.String())),
			Hint: "rename the file, or name the object in full: ossuploader FILE oss://BUCKET/KEY",
		}
	}
	if w := ossx.KeyWarning(it.dst.Key); w != "" && !b.opts.allowAnyKey {
		b.out.Warn("%s: %s (--allow-any-key silences this)", it.dst, w)
	}
	if it.path == "-" && !b.opts.dryRun && term.IsTerminal(int(os.Stdin.Fd())) {
		b.out.Notice("reading stdin from the terminal; end it with Ctrl-D")
	}
	if b.opts.dryRun {
		b.out.Notice("dry run: would upload %s (%s) to %s", name, sizeText(it.size), it.dst)
		return b.print(it.path, upload.Result{URL: it.dst, Size: it.size}, true)
	}
	b.out.Start(name)
	var res upload.Result
	var err error
	if it.path == "-" {
		res, err = b.uploader.Stream(ctx, cancelable(ctx, os.Stdin), it.dst)
	} else {
		res, err = b.uploader.File(ctx, it.path, it.dst)
	}
	switch {
	case err != nil:
		b.out.Bar.ItemDone(it.size) // not sent: out of the total
	case res.Skipped:
		b.out.Bar.ItemDone(it.size)
	default:
		b.out.Bar.ItemDone(0)
	}
	if err != nil {
		return fmt.Errorf("upload %s to %s: %w", name, it.dst, err)
	}
	if res.Verified == upload.VerifiedMD5 {
		b.md5.Do(func() {
			b.out.Notice("the server sends no x-oss-hash-crc64ecma header; verifying every upload by Content-MD5 and ETag instead")
		})
	}
	if res.StaleAborted {
		b.out.Notice("%s: aborted the multipart upload to %s that an earlier, killed run left unfinished", name, it.dst)
	}
	switch {
	case res.Skipped:
		b.out.Notice("%s: unchanged, skipped", name)
	case res.Resumed > 0:
		b.out.Notice("%s: resumed, %d part(s) were already uploaded", name, res.Resumed)
	}
	if b.opts.deleteSource && it.path != "-" {
		if err := os.Remove(it.path); err != nil {
			return fmt.Errorf("%s was uploaded to %s, but removing it failed: %w", it.path, it.dst, err)
		}
	}
	return b.print(it.path, res, false)
}

// cancelable returns a reader of r that fails with ctx's error as soon as
// ctx ends, even while a read of r is blocked: stdin from a terminal, or
// from a pipe whose writer is quiet, would otherwise hold the first Ctrl-C
// until more input came. The blocked read is left behind; the process is
// about to exit.
func cancelable(ctx context.Context, r io.Reader) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		_, err := io.Copy(pw, r)
		pw.CloseWithError(err)
	}()
	go func() {
		<-ctx.Done()
		pr.CloseWithError(ctx.Err())
	}()
	return pr
}

// line is what --json prints for each object. The CRC64 is a string: as a
// JSON number it would lose precision in JavaScript and jq.
type line struct {
	Bucket  string `json:"bucket"`
	Key     string `json:"key"`
	Size    int64  `json:"size"`
	CRC64   string `json:"crc64,omitempty"`
	ETag    string `json:"etag,omitempty"`
	URL     string `json:"url"`
	Source  string `json:"source"`
	Skipped bool   `json:"skipped,omitempty"`
	DryRun  bool   `json:"dry_run,omitempty"`
	// Verified is what proved the object whole: "crc64" (OSS's CRC64 of
	// the object), or "md5" (a server without CRC64: Content-MD5 on every
	// request, and the ETags).
	Verified string `json:"verified,omitempty"`
}

// print writes the line for one object to stdout.
func (b *batch) print(path string, res upload.Result, dryRun bool) error {
	if b.opts.quiet {
		return nil
	}
	u, err := b.objectURL(res.URL)
	if err != nil {
		return err
	}
	if b.opts.json {
		l := line{Bucket: res.URL.Bucket, Key: res.URL.Key, Size: res.Size, ETag: res.ETag,
			URL: u, Source: path, Skipped: res.Skipped, DryRun: dryRun, Verified: res.Verified}
		if !dryRun {
			l.CRC64 = strconv.FormatUint(res.CRC64, 10)
		}
		return b.out.PrintJSON(l)
	}
	// One URL per line, whatever the key holds (see progress.Console).
	return b.out.Print(u)
}

// objectURL renders where an object is, as --print and --sign ask.
func (b *batch) objectURL(u ossx.URL) (string, error) {
	if b.opts.sign > 0 {
		return ossx.SignGetURL(b.client, u, b.opts.sign)
	}
	if b.opts.print == "https" {
		return publicURL(b.cfg.Endpoint, u), nil
	}
	return u.String(), nil
}

// publicURL is the object's address over HTTP: virtual-hosted
// (https://bucket.endpoint/key) as OSS serves it, or path-style for an IP or
// localhost endpoint, the way the SDK addresses those (oss/conn.go urlMaker).
func publicURL(endpoint string, u ossx.URL) string {
	ep, err := url.Parse(endpoint)
	if err != nil || ep.Host == "" {
		return u.String()
	}
	segs := strings.Split(u.Key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	key := strings.Join(segs, "/")
	host := ep.Hostname()
	if net.ParseIP(host) != nil || host == "localhost" {
		return ep.Scheme + "://" + ep.Host + "/" + u.Bucket + "/" + key
	}
	return "https://" + u.Bucket + "." + ep.Host + "/" + key
}

func sizeText(n int64) string {
	if n < 0 {
		return "unknown size"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// fatal reports whether err would fail every other item as well (bad
// credentials, a missing bucket, an endpoint that cannot be reached), so the
// batch stops rather than repeat it for each file.
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
	return errors.As(err, &oe) && oe.Op == "dial"
}

// resumable marks an interrupt that left work to continue.
type resumable struct{ err error }

func (r *resumable) Error() string { return r.err.Error() }
func (r *resumable) Unwrap() error { return r.err }
func (r *resumable) Hint() string {
	return "run the same command again: files uploaded in parts continue from their checkpoint (stdin starts over)"
}

// interrupted turns the cancellation a signal caused into ossx.ErrInterrupted
// (exit 130) while keeping the resume hint.
func interrupted() error {
	return &resumable{fmt.Errorf("%w by signal", ossx.ErrInterrupted)}
}
