// Package ossls is the ossls command, run by cmd/ossls and, by name, by the
// multi-call cmd/ossx.
//
// ossls lists OSS buckets, objects and unfinished multipart uploads,
// streaming page by page, as plain URLs, long columns or JSON lines.
package ossls

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/urfave/cli/v2"

	"github.com/ossx/ossx/internal/command"
	"github.com/ossx/ossx/internal/listing"
	"github.com/ossx/ossx/internal/ossx"
)

// Main runs ossls with args (args[0] is the program name) and returns the
// exit status; only the caller exits.
func Main(args []string) int { return command.Main(newApp(), args, os.Stderr) }

// App is ossls's cli.App, for its name and one-line usage.
func App() *cli.App { return newApp() }

// options is everything ossls's flags and argument say.
type options struct {
	config     ossx.Options
	target     string // the argument; "" when none was given
	bucketFlag bool   // --bucket was given on the command line
	recursive  bool
	long       bool
	human      bool
	json       bool
	summary    bool
	uploads    bool
	limit      int
	include    []string
	exclude    []string
	startAfter string
	sign       time.Duration // >0: presigned GET URLs for objects
	stdout     io.Writer
	stderr     io.Writer // retries are said here
}

func newApp() *cli.App {
	app := command.NewApp("ossls", "list OSS buckets, objects and unfinished multipart uploads", usageText, helpText)
	app.UseShortOptionHandling = true // -lH, -rl
	app.DisableSliceFlagSeparator = true
	const out, sel = "Output", "Selection"
	app.Flags = append([]cli.Flag{
		&cli.BoolFlag{Name: "recursive", Aliases: []string{"r"}, Usage: "list every key below the prefix, not one level", DisableDefaultText: true, Category: sel},
		&cli.BoolFlag{Name: "uploads", Usage: "list unfinished multipart uploads below the prefix instead of objects", DisableDefaultText: true, Category: sel},
		&cli.StringSliceFlag{Name: "include", Usage: "only entries matching the glob `PATTERN` (repeatable)", Category: sel},
		&cli.StringSliceFlag{Name: "exclude", Usage: "skip entries matching the glob `PATTERN` (repeatable)", Category: sel},
		&cli.StringFlag{Name: "start-after", Usage: "start after the full `KEY` (or bucket name)", Category: sel},
		&cli.IntFlag{Name: "limit", Usage: "stop after `N` entries (0: no limit)", DefaultText: "0", Category: sel},
		&cli.BoolFlag{Name: "long", Aliases: []string{"l"}, Usage: "long format: time, size, storage class, type, URL", DisableDefaultText: true, Category: out},
		&cli.BoolFlag{Name: "human-readable", Aliases: []string{"human", "H"}, Usage: "sizes in KiB, MiB, … in -l and --summary", DisableDefaultText: true, Category: out},
		&cli.BoolFlag{Name: "json", Usage: "one JSON object per line", DisableDefaultText: true, Category: out},
		&cli.BoolFlag{Name: "summary", Usage: "end with a line counting entries and bytes", DisableDefaultText: true, Category: out},
		&cli.DurationFlag{Name: "sign", Usage: "print a presigned GET URL valid for `DURATION` (e.g. 1h) for each object, in place of oss://", DefaultText: "off", Category: out,
			Action: func(_ *cli.Context, d time.Duration) error { return ossx.CheckSignDuration(d) }},
	}, command.ConfigFlags()...)
	app.Action = func(c *cli.Context) error {
		if c.NArg() > 1 {
			hint := "give at most one oss://BUCKET[/PREFIX]; quote keys with spaces"
			if strings.HasPrefix(c.Args().Get(1), "-") {
				hint = "options go before the URL: ossls " + c.Args().Get(1) + " " + c.Args().First()
			}
			return &ossx.UsageError{Err: errors.New("too many arguments"), Hint: hint}
		}
		if c.NArg() == 1 && c.Args().First() == "" {
			// ossls "$DIR" with DIR unset must not list the buckets instead.
			return &ossx.UsageError{Err: errors.New("empty URL argument"), Hint: "give oss://BUCKET[/PREFIX], or no argument to list buckets"}
		}
		return run(c.Context, options{
			config:     command.Options(c),
			target:     c.Args().First(),
			bucketFlag: c.IsSet("bucket"),
			recursive:  c.Bool("recursive"),
			long:       c.Bool("long"),
			human:      c.Bool("human-readable"),
			json:       c.Bool("json"),
			summary:    c.Bool("summary"),
			uploads:    c.Bool("uploads"),
			limit:      c.Int("limit"),
			include:    c.StringSlice("include"),
			exclude:    c.StringSlice("exclude"),
			startAfter: c.String("start-after"),
			sign:       c.Duration("sign"),
			stdout:     c.App.Writer,
			stderr:     c.App.ErrWriter,
		})
	}
	return app
}

// run lists what opts say to stdout, one page at a time.
func run(ctx context.Context, opts options) error {
	format, err := outputFormat(opts)
	if err != nil {
		return err
	}
	if opts.limit < 0 {
		return ossx.Usagef("--limit must be 0 or more, not %d", opts.limit)
	}
	cfg, err := ossx.Load(opts.config, os.Getenv)
	if err != nil {
		return err
	}
	// A dead or failing endpoint is never a silent wait.
	cfg.Retry = cfg.Retry.Logged(func(line string) { fmt.Fprintf(opts.stderr, "ossls: %s\n", line) })
	client, err := cfg.NewClient()
	if err != nil {
		return err
	}
	src, prefix, kind, err := source(client, cfg, opts)
	if err != nil {
		return err
	}
	if opts.sign > 0 && kind != listing.Object {
		return &ossx.UsageError{Err: errors.New("--sign applies to objects"), Hint: "give oss://BUCKET[/PREFIX] to sign the objects listed"}
	}
	filter, err := listing.NewFilter(prefix, opts.include, opts.exclude)
	if err != nil {
		return &ossx.UsageError{Err: err, Hint: "patterns use * ? [a-z] and \\ to quote; see ossls --help"}
	}

	// A closed stdout (ossls … | head -1) must end the listing quietly:
	// with SIGPIPE ignored a write returns EPIPE instead of killing us.
	signal.Ignore(syscall.SIGPIPE)
	p := listing.NewPrinter(opts.stdout, format, opts.human)
	if opts.sign > 0 {
		p.Sign = func(e *listing.Entry) (string, error) {
			return ossx.SignGetURL(client, ossx.URL{Bucket: e.Bucket, Key: e.Key}, opts.sign)
		}
	}
	n, err := list(ctx, src, filter, opts.limit, p)
	if err == nil && n == 0 && opts.target != "" {
		// ossls 'oss://b/logs/*.gz' as a shell or s5cmd would expand it.
		if u, perr := ossx.ParseURL(opts.target, cfg.Bucket); perr == nil {
			if hint := listing.GlobHint(command.Invocation("ossls"), u); hint != "" {
				// One line whatever the URL holds, as every message.
				fmt.Fprintf(opts.stderr, "ossls: hint: nothing listed: %s\n", ossx.EscapeControl(hint))
			}
		}
	}
	if err == nil && opts.summary {
		err = output(p.Summary(kind))
	}
	if ferr := output(p.Flush()); err == nil {
		err = ferr
	}
	var oe outputError
	if errors.As(err, &oe) && errors.Is(oe.err, syscall.EPIPE) {
		return nil
	}
	return err
}

// outputError is a failure to write the listing, told apart from a failure
// to list: only a broken pipe on our own output is a normal end, never one
// on a connection to OSS.
type outputError struct{ err error }

func (e outputError) Error() string { return e.err.Error() }
func (e outputError) Unwrap() error { return e.err }

func output(err error) error {
	if err == nil {
		return nil
	}
	return outputError{err}
}

// list prints the entries src yields that pass filter, up to limit (0: all),
// flushing after each page so output keeps pace with the listing, and
// returns how many it printed.
func list(ctx context.Context, src listing.Source, filter *listing.Filter, limit int, p *listing.Printer) (int, error) {
	n := 0
	for page, err := range listing.Pages(ctx, src) {
		if err != nil {
			return n, err
		}
		for i := range page {
			if !filter.Match(&page[i]) {
				continue
			}
			if err := p.Print(&page[i]); err != nil {
				return n, output(err)
			}
			if n++; n == limit {
				return n, nil
			}
		}
		if err := p.Flush(); err != nil {
			return n, output(err)
		}
	}
	return n, nil
}

func outputFormat(opts options) (listing.Format, error) {
	switch {
	case opts.json && opts.long:
		return 0, ossx.Usagef("--json and -l are exclusive")
	case opts.json && opts.human:
		return 0, &ossx.UsageError{Err: errors.New("-H does not apply to --json"), Hint: "--json always gives sizes in bytes"}
	case opts.json:
		return listing.JSON, nil
	case opts.long:
		return listing.Long, nil
	}
	return listing.Plain, nil
}

// source picks what to list. No argument lists the buckets of the account,
// whatever OSS_BUCKET says (so the output of a bare "ossls" never depends on
// the environment), except that --uploads, or --bucket on the command line,
// asks for the default bucket's top level. It returns the source, the
// prefix the filter is relative to and the kind of listing.
func source(client *oss.Client, cfg *ossx.Config, opts options) (listing.Source, string, listing.Kind, error) {
	if opts.target == "" && !opts.uploads && !opts.bucketFlag {
		return listing.Buckets(client, cfg.Retry, "", opts.startAfter, pageSize(opts)), "", listing.Bucket, nil
	}
	u := ossx.URL{Bucket: cfg.Bucket}
	var err error
	if opts.target != "" {
		if u, err = ossx.ParseURL(opts.target, cfg.Bucket); err != nil {
			return nil, "", 0, err
		}
	} else if u.Bucket == "" {
		return nil, "", 0, &ossx.UsageError{Err: errors.New("--uploads needs a bucket"), Hint: "give oss://BUCKET[/PREFIX], or set OSS_BUCKET or --bucket"}
	}
	bucket, err := client.Bucket(u.Bucket)
	if err != nil {
		return nil, "", 0, err
	}
	q := listing.Query{Prefix: u.Key, StartAfter: opts.startAfter, PageSize: pageSize(opts)}
	if opts.uploads {
		return listing.Uploads(bucket, cfg.Retry, q), u.Key, listing.Upload, nil
	}
	if !opts.recursive {
		q.Delimiter = "/"
	}
	return listing.Objects(bucket, cfg.Retry, q), u.Key, listing.Object, nil
}

// pageSize asks OSS for no more than --limit entries when nothing is
// filtered out, so "ossls --limit 1" fetches one key, not a thousand.
func pageSize(opts options) int {
	if opts.limit > 0 && len(opts.include)+len(opts.exclude) == 0 {
		return min(opts.limit, listing.MaxPage)
	}
	return listing.MaxPage
}
