// Package ossrm is the ossrm command, run by cmd/ossrm and, by name, by the
// multi-call cmd/ossx.
//
// ossrm deletes objects from OSS (single keys, or a whole prefix in
// batches of 1000) and aborts unfinished multipart uploads, reporting every
// key that could not be deleted.
package ossrm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/urfave/cli/v2"

	"github.com/ossx/ossx/internal/command"
	"github.com/ossx/ossx/internal/listing"
	"github.com/ossx/ossx/internal/ossx"
	"github.com/ossx/ossx/internal/progress"
	"github.com/ossx/ossx/internal/remove"
)

// Main runs ossrm with args (args[0] is the program name) and returns the
// exit status; only the caller exits.
func Main(args []string) int { return command.Main(newApp(), args, os.Stderr) }

// App is ossrm's cli.App, for its name and one-line usage.
func App() *cli.App { return newApp() }

const tool = "ossrm"

// options are the parsed flags.
type options struct {
	targets []string

	recursive   bool
	allInBucket bool
	uploads     bool
	olderThan   time.Duration
	mustExist   bool
	dryRun      bool
	include     []string
	exclude     []string

	quiet bool
	json  bool

	oss ossx.Options
}

const usageText = `ossrm [flags] oss://BUCKET/KEY...
ossrm -r [--uploads] [flags] oss://BUCKET/PREFIX/...
ossrm --uploads [--older-than 7d] [flags] oss://BUCKET[/PREFIX]...`

const description = `Deletes objects and prints the URL of each one deleted, one per line on
stdout. A KEY is oss://BUCKET/KEY or a bare key in the default bucket
($OSS_BUCKET or --bucket). Deleting a key that does not exist succeeds, as
OSS's DELETE does, unless --must-exist is given.

-r deletes every object whose key starts with PREFIX, as ossls -r lists
them: 1000 keys per DeleteMultipleObjects request, the next page of the
listing fetched while a batch is deleted. A prefix is a key prefix, not a
path: oss://b/logs takes logs/ and logs.txt alike; end it in / to stay
inside a directory. A whole bucket (oss://b or oss://b/) is refused unless
--all-objects-in-bucket is given. Every key OSS does not confirm is named
on stderr and the status is 3.

Wildcards are not expanded (a key may hold *): a KEY with * ? or [ that is
no object is refused; -r --include PATTERN selects by pattern.

--uploads aborts unfinished multipart uploads below the prefix (the parts
they hold are billed until then), with --older-than only those initiated
longer ago; a whole bucket needs no extra flag, since no finished object is
touched. -r --uploads does both: uploads first, then objects, so that no
upload completes into an object after the prefix was emptied.

--dry-run prints what would be deleted or aborted and changes nothing.`

const helpTail = `EXAMPLES
   Delete a temporary object:
       ossrm oss://my-bucket/tmp/upload-42.bin

   Delete a prefix, after looking at what it holds:
       ossrm -r --dry-run oss://my-bucket/builds/2023/ | wc -l
       ossrm -r oss://my-bucket/builds/2023/

   Only some keys below a prefix:
       ossrm -r --include '*.tmp' oss://my-bucket/work/

   Clean up uploads abandoned for a week (from cron):
       ossrm --uploads --older-than 7d oss://my-bucket

   Empty a prefix of objects and unfinished uploads alike:
       ossrm -r --uploads oss://my-bucket/incoming/

   Fail when the key was not there:
       ossrm --must-exist oss://my-bucket/locks/job.lock

ENVIRONMENT
      OSS_ENDPOINT, OSS_REGION, OSS_BUCKET, OSS_ACCESS_KEY_ID,
      OSS_ACCESS_KEY_SECRET, OSS_SESSION_TOKEN, OSS_PROFILE: see the README.`

func newApp() *cli.App {
	app := command.NewApp(tool, "delete OSS objects, prefixes and unfinished multipart uploads", usageText, description+"\n\n"+helpTail)
	command.SetExitCodes(app, ossx.ExitOK, ossx.ExitFailed, ossx.ExitUsage, ossx.ExitPartial, ossx.ExitInterrupted)
	app.DisableSliceFlagSeparator = true
	const (
		sel = "Selection"
		out = "Output"
	)
	app.Flags = append([]cli.Flag{
		&cli.BoolFlag{Name: "recursive", Aliases: []string{"r"}, Usage: "delete every object below each PREFIX", Category: sel, DisableDefaultText: true},
		&cli.BoolFlag{Name: "all-objects-in-bucket", Usage: "with -r: allow a whole bucket as the prefix", Category: sel, DisableDefaultText: true},
		&cli.BoolFlag{Name: "uploads", Usage: "abort unfinished multipart uploads below each prefix (with -r: too)", Category: sel, DisableDefaultText: true},
		&cli.StringFlag{Name: "older-than", Usage: "with --uploads (not -r): only those initiated more than `AGE` ago, e.g. 7d, 12h, 90m", Category: sel},
		&cli.StringSliceFlag{Name: "include", Usage: "with -r or --uploads: only keys matching the glob `PATTERN` (repeatable; as in ossls)", Category: sel},
		&cli.StringSliceFlag{Name: "exclude", Usage: "with -r or --uploads: skip keys matching the glob `PATTERN` (repeatable)", Category: sel},
		&cli.BoolFlag{Name: "must-exist", Usage: "fail for a KEY that does not exist", Category: sel, DisableDefaultText: true},
		&cli.BoolFlag{Name: "dry-run", Usage: "print what would be deleted; delete nothing", Category: sel, DisableDefaultText: true},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print nothing but errors", Category: out, DisableDefaultText: true},
		&cli.BoolFlag{Name: "json", Usage: "one JSON object per key: bucket, key (upload_id), deleted or aborted", Category: out, DisableDefaultText: true},
	}, command.ConfigFlags()...)
	app.Action = func(c *cli.Context) error {
		opts, err := parseOptions(c)
		if err != nil {
			return err
		}
		return run(c.Context, opts)
	}
	return app
}

func parseOptions(c *cli.Context) (options, error) {
	args, err := command.Args(c)
	if err != nil {
		return options{}, err
	}
	if len(args) == 0 {
		return options{}, &ossx.UsageError{Err: errors.New("nothing to delete"), Hint: command.Invocation("ossrm") + " oss://BUCKET/KEY...; run '" + command.Invocation("ossrm") + " --help' for more"}
	}
	o := options{
		targets:     args,
		recursive:   c.Bool("recursive"),
		allInBucket: c.Bool("all-objects-in-bucket"),
		uploads:     c.Bool("uploads"),
		mustExist:   c.Bool("must-exist"),
		dryRun:      c.Bool("dry-run"),
		include:     c.StringSlice("include"),
		exclude:     c.StringSlice("exclude"),
		quiet:       c.Bool("quiet"),
		json:        c.Bool("json"),
		oss:         command.Options(c),
	}
	if s := c.String("older-than"); s != "" {
		if o.olderThan, err = parseAge(s); err != nil {
			return options{}, err
		}
	}
	switch {
	case o.olderThan > 0 && !o.uploads:
		return options{}, ossx.Usagef("--older-than applies to --uploads")
	case o.olderThan > 0 && o.recursive:
		// -r --older-than reads as "objects older than", yet -r takes
		// every object below the prefix, whatever its age.
		return options{}, &ossx.UsageError{
			Err:  errors.New("--older-than applies to --uploads without -r"),
			Hint: "-r deletes every object below the prefix whatever its age; " + command.Invocation("ossrm") + " --uploads --older-than AGE aborts old uploads only",
		}
	case (len(o.include) > 0 || len(o.exclude) > 0) && !o.recursive && !o.uploads:
		return options{}, ossx.Usagef("--include and --exclude apply to -r and --uploads")
	case o.mustExist && (o.recursive || o.uploads):
		return options{}, ossx.Usagef("--must-exist applies to single keys, not -r or --uploads")
	case o.allInBucket && !o.recursive:
		return options{}, ossx.Usagef("--all-objects-in-bucket applies to -r")
	case o.quiet && o.json:
		return options{}, ossx.Usagef("--quiet and --json are exclusive")
	}
	return o, nil
}

// parseAge reads 7d, 36h, 90m, 1h30m: Go durations plus a d (24h) suffix.
func parseAge(s string) (time.Duration, error) {
	bad := &ossx.UsageError{Err: fmt.Errorf("--older-than %q is not an age", s), Hint: "e.g. 7d, 36h or 90m"}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || n <= 0 || n > 100000 {
			return 0, bad
		}
		return time.Duration(n * 24 * float64(time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, bad
	}
	return d, nil
}

// run deletes what opts name. Every argument is checked before anything
// is deleted.
func run(ctx context.Context, opts options) error {
	cfg, err := ossx.Load(opts.oss, os.Getenv)
	if err != nil {
		return err
	}
	urls := make([]ossx.URL, 0, len(opts.targets))
	for _, t := range opts.targets {
		u, err := ossx.ParseURL(t, cfg.Bucket)
		if err != nil {
			return err
		}
		switch {
		case opts.recursive && u.Key == "" && !opts.allInBucket:
			return &ossx.UsageError{
				Err:  fmt.Errorf("%s is a whole bucket", u),
				Hint: "add --all-objects-in-bucket to delete every object in it (try --dry-run first)",
			}
		case !opts.recursive && !opts.uploads && u.IsPrefix():
			return &ossx.UsageError{
				Err:  fmt.Errorf("%s names a prefix, not an object", u),
				Hint: "ossrm -r " + u.String() + " deletes everything below it",
			}
		}
		urls = append(urls, u)
	}
	// A dead or failing endpoint is never a silent wait, as in the other
	// tools; --quiet silences it.
	if !opts.quiet {
		cfg.Retry = cfg.Retry.Logged(func(line string) { fmt.Fprintf(os.Stderr, "%s: %s\n", tool, line) })
	}
	client, err := cfg.NewClient()
	if err != nil {
		return fmt.Errorf("OSS client: %w", err)
	}
	if !opts.recursive && !opts.uploads {
		for _, u := range urls {
			if err := checkPattern(ctx, client, cfg.Retry, u); err != nil {
				return err
			}
		}
	}
	// One key, one object: its failure is the command's (exit 1), not
	// a partial failure of a batch.
	r := &reporter{opts: opts, out: &progress.Console{Tool: tool, Quiet: opts.quiet}, single: len(urls) == 1 && !opts.recursive && !opts.uploads}
	if opts.recursive || opts.uploads {
		for _, u := range urls {
			err := r.prefix(ctx, client, cfg.Retry, u)
			if err == nil {
				continue
			}
			if ctx.Err() != nil || len(urls) == 1 || fatal(err) {
				return r.end(ctx, err)
			}
			r.fail(err)
		}
	} else {
		// Keys of one bucket go together, 1000 a request. Each key that
		// fails is reported, and the others are still deleted.
		for len(urls) > 0 {
			n := 1
			for n < len(urls) && urls[n].Bucket == urls[0].Bucket {
				n++
			}
			if err := r.keys(ctx, client, cfg.Retry, urls[:n]); err != nil && ctx.Err() != nil {
				return r.end(ctx, err)
			}
			urls = urls[n:]
		}
	}
	return r.end(ctx, nil)
}

// end is the run's error: an interruption, err, the single key's failure
// or the count of failed keys.
func (r *reporter) end(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%w by signal", ossx.ErrInterrupted)
	case err != nil && r.failed == 0:
		return err
	case err != nil:
		r.fail(err)
	case r.singleErr != nil:
		return r.singleErr
	}
	if r.failed > 0 {
		return &ossx.PartialError{Failed: r.failed, Total: r.total}
	}
	return nil
}

// reporter prints each outcome and counts failures.
type reporter struct {
	opts      options
	out       *progress.Console
	single    bool  // one key: its failure is returned, not printed
	singleErr error // that failure
	lastHint  string
	mu        sync.Mutex
	total     int
	failed    int
}

// prefix deletes (or aborts) what one -r or --uploads argument names.
func (r *reporter) prefix(ctx context.Context, client *oss.Client, retry ossx.RetryPolicy, u ossx.URL) error {
	b, err := client.Bucket(u.Bucket)
	if err != nil {
		return err
	}
	rm := remove.New(b, remove.Options{Retry: retry, DryRun: r.opts.dryRun})
	filter, err := listing.NewFilter(u.Key, r.opts.include, r.opts.exclude)
	if err != nil {
		return &ossx.UsageError{Err: err, Hint: "patterns use * ? [a-z] and \\ to quote; see ossls --help"}
	}
	r.mu.Lock()
	before := r.total
	r.mu.Unlock()
	cmd := command.Invocation(tool)
	if r.opts.recursive {
		cmd += " -r"
	}
	if r.opts.uploads {
		var cutoff time.Time
		if r.opts.olderThan > 0 {
			cutoff = time.Now().Add(-r.opts.olderThan)
		}
		cmd += " --uploads"
		err = rm.Uploads(ctx, u.Key, filter, cutoff, r.report)
	}
	if r.opts.recursive && err == nil {
		err = rm.Prefix(ctx, u.Key, filter, r.report)
		if err == nil && !r.opts.uploads && !filter.Active() {
			r.leftUploads(ctx, b, retry, u)
		}
	}
	r.mu.Lock()
	none := r.total == before
	r.mu.Unlock()
	// A prefix holding * ? or [ that matched nothing was meant as a
	// pattern: say so rather than succeed having deleted nothing.
	if hint := listing.GlobHint(cmd, u); err == nil && none && hint != "" {
		return &ossx.UsageError{Err: fmt.Errorf("nothing below %s", u), Hint: hint}
	}
	return err
}

// leftUploads says when unfinished multipart uploads remain below the
// prefix -r emptied (an ossuploader killed mid-upload leaves one): their
// parts are billed, and ossls -r does not show them.
func (r *reporter) leftUploads(ctx context.Context, b *oss.Bucket, retry ossx.RetryPolicy, u ossx.URL) {
	src := listing.Uploads(b, retry, listing.Query{Prefix: u.Key, PageSize: 1})
	if up, _, err := src(ctx); err == nil && len(up) > 0 {
		r.out.Notice("unfinished multipart uploads remain below %s (their parts are billed): %s --uploads %s aborts them",
			u, command.Invocation(tool), u)
	}
}

// checkPattern refuses a single KEY holding * ? or [ that names no
// object: it was meant as a pattern (shells and s5cmd expand them), and
// deleting it would print its URL, succeed and delete nothing. A key that
// does hold such a character is deleted as it is.
func checkPattern(ctx context.Context, client *oss.Client, retry ossx.RetryPolicy, u ossx.URL) error {
	hint := listing.GlobHint(command.Invocation(tool)+" -r", u)
	if hint == "" {
		return nil
	}
	b, err := client.Bucket(u.Bucket)
	if err != nil {
		return err
	}
	// Any other failure (a missing bucket) is the deletion's to report.
	if ok, err := remove.New(b, remove.Options{Retry: retry}).Exists(ctx, u.Key); err == nil && !ok {
		return &ossx.UsageError{Err: fmt.Errorf("no object %s", u), Hint: hint}
	}
	return nil
}

// keys deletes single keys, all in the same bucket, reporting each; the
// error returned was reported already, key by key.
func (r *reporter) keys(ctx context.Context, client *oss.Client, retry ossx.RetryPolicy, urls []ossx.URL) error {
	b, err := client.Bucket(urls[0].Bucket)
	if err != nil {
		return err
	}
	rm := remove.New(b, remove.Options{Retry: retry, DryRun: r.opts.dryRun})
	keys := make([]string, 0, len(urls))
	for _, u := range urls {
		if r.opts.mustExist {
			ok, err := rm.Exists(ctx, u.Key)
			if err != nil && ctx.Err() != nil {
				return err
			}
			if err == nil && !ok {
				err = errMissing
			}
			if err != nil {
				r.report(remove.Outcome{URL: u, Err: err})
				continue
			}
		}
		keys = append(keys, u.Key)
	}
	return rm.Keys(ctx, keys, r.report)
}

var errMissing = errors.New("no such object (--must-exist)")

func (r *reporter) report(o remove.Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total++
	if o.Err != nil {
		r.failed++
		what := "delete " + o.URL.String()
		if o.UploadID != "" {
			what = "abort upload " + o.UploadID + " of " + o.URL.String()
		}
		err := fmt.Errorf("%s: %w", what, o.Err)
		if r.single {
			r.singleErr = err
			return
		}
		// A request that failed as a whole fails each of its keys with
		// the same cause: the hint is said once.
		if h := ossx.HintFor(err); h != "" && h == r.lastHint {
			fmt.Fprintf(os.Stderr, "%s: error: %s\n", tool, ossx.Message(err))
		} else {
			ossx.Report(os.Stderr, tool, err)
			r.lastHint = h
		}
		return
	}
	if r.opts.quiet {
		return
	}
	if r.opts.json {
		type line struct {
			Bucket   string `json:"bucket"`
			Key      string `json:"key"`
			UploadID string `json:"upload_id,omitempty"`
			Deleted  bool   `json:"deleted,omitempty"`
			Aborted  bool   `json:"aborted,omitempty"`
			DryRun   bool   `json:"dry_run,omitempty"`
		}
		l := line{Bucket: o.URL.Bucket, Key: o.URL.Key, UploadID: o.UploadID, DryRun: r.opts.dryRun}
		if !r.opts.dryRun {
			l.Deleted, l.Aborted = o.UploadID == "", o.UploadID != ""
		}
		// As every tool's --json: no HTML escaping (a key's & stays &),
		// control characters as JSON escapes.
		r.out.PrintJSON(l)
		return
	}
	// One URL per line, whatever the key holds (control characters \xNN,
	// as ossls and ossuploader print keys); --json has the exact key.
	if o.UploadID != "" {
		r.out.Print(o.UploadID + " " + o.URL.String())
		return
	}
	r.out.Print(o.URL.String())
}

// fail reports a failure of a whole argument.
func (r *reporter) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed++
	r.total++
	ossx.Report(os.Stderr, tool, err)
}

// fatal reports whether err would fail every other argument too.
func fatal(err error) bool {
	var se oss.ServiceError
	if errors.As(err, &se) {
		switch se.Code {
		case "SignatureDoesNotMatch", "InvalidAccessKeyId", "SecurityTokenExpired", "InvalidSecurityToken", "RequestTimeTooSkewed":
			return true
		}
	}
	return false
}
