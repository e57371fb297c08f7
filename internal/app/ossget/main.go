// Package ossget is the ossget command, run by cmd/ossget and, by name, by the
// multi-call cmd/ossx.
//
// ossget reads objects back out of OSS, verified against the
// object's CRC64, atomically into files, resumably for large objects, to
// stdout in order, or a whole prefix at once (a mirror, or concatenated).
package ossget

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/ossx/ossx/internal/command"
	"github.com/ossx/ossx/internal/download"
	"github.com/ossx/ossx/internal/ossx"
	"github.com/ossx/ossx/internal/upload"
)

// Main runs ossget with args (args[0] is the program name) and returns the
// exit status; only the caller exits.
func Main(args []string) int { return command.Main(newApp(), args, os.Stderr) }

// App is ossget's cli.App, for its name and one-line usage.
func App() *cli.App { return newApp() }

const tool = "ossget"

// options are the parsed flags: everything run needs, nothing urfave/cli.
type options struct {
	src, dest string

	recursive bool
	cat       bool
	gunzip    bool
	include   []string
	exclude   []string

	jobs      int
	partSize  int64
	threshold int64
	bwlimit   int64

	noClobber       bool
	skipUnchanged   bool
	dryRun          bool
	requireVerified bool

	stateDir string // --state-dir; "": the default

	quiet    bool
	progress string // auto, always, never
	json     bool

	oss ossx.Options
}

func newApp() *cli.App {
	app := command.NewApp(tool, "download objects from OSS, verified, atomic and resumable", usageText, description+"\n\n"+helpTail)
	command.SetExitCodes(app, ossx.ExitOK, ossx.ExitFailed, ossx.ExitUsage, ossx.ExitPartial, ossx.ExitInterrupted)
	app.DisableSliceFlagSeparator = true
	const (
		sel = "Selection"
		tr  = "Transfer"
		out = "Output"
	)
	app.Flags = append([]cli.Flag{
		&cli.BoolFlag{Name: "recursive", Aliases: []string{"r"}, Usage: "download every object below the prefix into DIR, keeping relative paths", Category: sel, DisableDefaultText: true},
		&cli.BoolFlag{Name: "cat", Usage: "write every object below the prefix to stdout, in key order", Category: sel, DisableDefaultText: true},
		&cli.StringSliceFlag{Name: "include", Usage: "with -r or --cat: only keys matching the glob `PATTERN` (repeatable; as in ossls)", Category: sel},
		&cli.StringSliceFlag{Name: "exclude", Usage: "with -r or --cat: skip keys matching the glob `PATTERN` (repeatable)", Category: sel},

		&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: 4, Usage: "`N` ranged GETs in flight for a large object, and N files at a time with -r", Category: tr},
		&cli.StringFlag{Name: "threshold", Value: "32M", Usage: "fetch objects larger than `SIZE` in parallel ranges (resumable into a file)", Category: tr},
		&cli.StringFlag{Name: "part-size", Value: "8M", Usage: "`SIZE` of one ranged GET, at least 64K", Category: tr},
		&cli.StringFlag{Name: "bwlimit", Usage: "limit download bandwidth to `RATE` bytes per second, e.g. 10M", Category: tr},
		&cli.BoolFlag{Name: "no-clobber", Aliases: []string{"n"}, Usage: "never replace an existing file (fails instead)", Category: tr, DisableDefaultText: true},
		&cli.BoolFlag{Name: "skip-unchanged", Usage: "skip files that already have the object's size and CRC64", Category: tr, DisableDefaultText: true},
		&cli.BoolFlag{Name: "dry-run", Usage: "show what would be downloaded; write nothing", Category: tr, DisableDefaultText: true},
		&cli.StringFlag{Name: "state-dir", Usage: "keep checkpoints of ranged downloads in `DIR`/downloads (default $OSSX_STATE_DIR, $XDG_STATE_HOME/ossx or ~/.local/state/ossx)", Category: tr, TakesFile: true},
		&cli.BoolFlag{Name: "require-verified", Usage: "fail on an object OSS gives neither a CRC64 nor an MD5 for", Category: tr, DisableDefaultText: true},
		&cli.BoolFlag{Name: "gunzip", Usage: "with DEST -: decode gzip objects (multi-member too) while writing them", Category: out, DisableDefaultText: true},

		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print no paths and no progress; errors and warnings still go to stderr", Category: out, DisableDefaultText: true},
		command.Choices(&cli.StringFlag{Name: "progress", Value: "auto", Usage: "progress bar on stderr: `WHEN` is auto (stderr is a terminal), always or never", Category: out}, "auto", "always", "never"),
		&cli.BoolFlag{Name: "json", Usage: "print one JSON object per file: bucket, key, path, size, crc64, etag, verified", Category: out, DisableDefaultText: true},
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

// parseOptions turns flags and arguments into options, checking everything
// that can be checked without touching the network or the files.
func parseOptions(c *cli.Context) (options, error) {
	args, err := command.Args(c)
	if err != nil {
		return options{}, err
	}
	if len(args) != 2 {
		return options{}, &ossx.UsageError{
			Err:  fmt.Errorf("need a source and a destination, got %d argument(s)", len(args)),
			Hint: command.Invocation("ossget") + " oss://BUCKET/KEY FILE (or DIR/, or - for stdout); run '" + command.Invocation("ossget") + " --help' for more",
		}
	}
	o := options{
		src:             args[0],
		dest:            args[1],
		recursive:       c.Bool("recursive"),
		cat:             c.Bool("cat"),
		gunzip:          c.Bool("gunzip"),
		include:         c.StringSlice("include"),
		exclude:         c.StringSlice("exclude"),
		jobs:            c.Int("jobs"),
		noClobber:       c.Bool("no-clobber"),
		skipUnchanged:   c.Bool("skip-unchanged"),
		dryRun:          c.Bool("dry-run"),
		requireVerified: c.Bool("require-verified"),
		stateDir:        c.String("state-dir"),
		quiet:           c.Bool("quiet"),
		progress:        c.String("progress"),
		json:            c.Bool("json"),
		oss:             command.Options(c),
	}
	if o.threshold, err = command.ParseSize("--threshold", c.String("threshold")); err != nil {
		return options{}, err
	}
	if o.threshold == 0 {
		o.threshold = -1 // every non-empty object in ranges
	}
	if o.partSize, err = command.ParseSize("--part-size", c.String("part-size")); err != nil {
		return options{}, err
	}
	if o.partSize < download.MinPartSize || o.partSize > upload.MaxPartSize {
		return options{}, ossx.Usagef("--part-size %s must be between 64K and 5G", c.String("part-size"))
	}
	if s := c.String("bwlimit"); s != "" {
		if o.bwlimit, err = command.ParseSize("--bwlimit", s); err != nil {
			return options{}, err
		}
		if o.bwlimit < 1024 {
			return options{}, ossx.Usagef("--bwlimit %s is below the minimum of 1K", s)
		}
	}
	return o, checkCombinations(o)
}

// checkCombinations rejects flags that contradict each other or DEST.
func checkCombinations(o options) error {
	stdout := o.dest == "-"
	switch {
	case !slices.Contains([]string{"auto", "always", "never"}, o.progress):
		return ossx.Usagef("--progress %q is not one of: auto, always, never", o.progress)
	case o.jobs < 1 || o.jobs > 256:
		return ossx.Usagef("--jobs %d must be between 1 and 256", o.jobs)
	case o.recursive && o.cat:
		return &ossx.UsageError{Err: errors.New("-r and --cat are exclusive"), Hint: "-r mirrors a prefix into DIR/, --cat writes it to stdout"}
	case o.cat && !stdout:
		return &ossx.UsageError{Err: errors.New("--cat writes to stdout"), Hint: "ossget --cat oss://BUCKET/PREFIX/ - > FILE"}
	case o.recursive && stdout:
		return &ossx.UsageError{Err: errors.New("-r needs a directory, not -"), Hint: "use --cat to write every object to stdout"}
	case o.gunzip && !stdout:
		return &ossx.UsageError{Err: errors.New("--gunzip writes to stdout only"), Hint: "ossget --gunzip SRC - > FILE"}
	case o.json && stdout:
		return &ossx.UsageError{Err: errors.New("--json needs a file or directory DEST"), Hint: "with -, stdout carries the object's bytes"}
	case (len(o.include) > 0 || len(o.exclude) > 0) && !o.recursive && !o.cat:
		return ossx.Usagef("--include and --exclude apply to -r and --cat")
	case stdout && (o.noClobber || o.skipUnchanged):
		return ossx.Usagef("--no-clobber and --skip-unchanged apply to files, not stdout")
	case o.quiet && o.json:
		return ossx.Usagef("--quiet and --json are exclusive")
	case o.dest == "":
		return &ossx.UsageError{Err: errors.New("empty destination"), Hint: "give a file, a directory ending in /, or - for stdout"}
	}
	return nil
}

// run downloads what opts say.
func run(ctx context.Context, opts options) error {
	if !opts.recursive && !opts.cat {
		if err := checkDescriptor(opts.dest); err != nil {
			return err
		}
	}
	cfg, err := ossx.Load(opts.oss, os.Getenv)
	if err != nil {
		return err
	}
	src, err := ossx.ParseURL(opts.src, cfg.Bucket)
	if err != nil {
		return err
	}
	if !opts.recursive && !opts.cat && src.IsPrefix() {
		return &ossx.UsageError{
			Err:  fmt.Errorf("%s names a prefix, not an object", src),
			Hint: "ossget -r " + src.String() + " DIR/ mirrors it; ossget --cat " + src.String() + " - concatenates it",
		}
	}
	client, err := cfg.NewClient()
	if err != nil {
		return fmt.Errorf("OSS client: %w", err)
	}
	// Only a ranged download into a file keeps state: without a state
	// directory (no HOME in a container) it still runs, without resume.
	stateDir, stateErr := ossx.StateDir(opts.stateDir, "", os.Getenv)
	g := newGetter(ctx, opts, cfg, client, stateDir)
	if stateErr != nil {
		g.dl.NoResume(func() {
			g.out.Warn("%v: large downloads will not resume after an interruption (%s)", stateErr, ossx.StateHint)
		})
	}
	defer g.out.Finish()
	switch {
	case opts.cat:
		err = g.cat(src)
	case opts.recursive:
		err = g.mirror(src)
	default:
		err = g.single(src)
	}
	if err != nil && ctx.Err() != nil {
		return interrupted()
	}
	return err
}

// resumable marks an interrupt that may have left a download to continue.
type resumable struct{ err error }

func (r *resumable) Error() string { return r.err.Error() }
func (r *resumable) Unwrap() error { return r.err }
func (r *resumable) Hint() string {
	return "run the same command again: large files continue from their checkpoint, nothing half-written was kept"
}

func interrupted() error {
	return &resumable{fmt.Errorf("%w by signal", ossx.ErrInterrupted)}
}
