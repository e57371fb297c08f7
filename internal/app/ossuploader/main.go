// Package ossuploader is the ossuploader command, run by cmd/ossuploader and, by name, by the
// multi-call cmd/ossx.
//
// ossuploader puts files, directories and stdin into Alibaba Cloud
// OSS, verified end to end, and prints where each object went.
package ossuploader

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ossx/ossx/internal/command"
	"github.com/ossx/ossx/internal/ossx"
	"github.com/ossx/ossx/internal/upload"
)

// Main runs ossuploader with args (args[0] is the program name) and returns the
// exit status; only the caller exits.
func Main(args []string) int { return command.Main(newApp(), args, os.Stderr) }

// App is ossuploader's cli.App, for its name and one-line usage.
func App() *cli.App { return newApp() }

const usageText = `ossuploader [flags] SRC DEST
ossuploader [flags] SRC... PREFIX/
ossuploader -r [flags] DIR... PREFIX/
COMMAND | ossuploader [flags] - DEST`

const description = `Uploads each SRC to OSS and prints the oss:// URL of every object written,
one per line on stdout, so that url=$(ossuploader a.jpg avatars/1.jpg) works.

SRC is a file, a directory (with -r) or - for stdin. DEST is oss://BUCKET/KEY,
a bare KEY in the default bucket ($OSS_BUCKET or --bucket), or a prefix ending
in / to which each file's name is appended; with -r, the files of a directory
keep their paths relative to it. Several SRCs need a prefix.

Every object is verified: the CRC64 of the bytes read is compared with the one
OSS computed (x-oss-hash-crc64ecma), and single PUTs carry Content-MD5. From an
OSS-compatible server that sends no CRC64, every PUT and part carries
Content-MD5 and the ETags must match it (said once on stderr; "verified": "md5"
in --json). On a mismatch the object is deleted and ossuploader fails. A file that changes
while it is read is an error, never a torn object.

Files above --multipart-threshold go up in parts, --jobs at a time. Such an
upload survives kill -9, a lost network or Ctrl-C: run the same command again
and it continues from the parts already uploaded. Its checkpoint lives under
--state-dir ($OSSX_STATE_DIR, $XDG_STATE_HOME/ossx, default
~/.local/state/ossx), never in the working directory, and is removed once the
object is complete. Files uploaded in one PUT and stdin need no state
directory, so these work without a HOME.

Inside directories, symlinks are skipped with a warning unless
--follow-symlinks is given; FIFOs, devices and sockets are reported as
failures. Symlinks named on the command line are always followed.`

const helpTail = `EXAMPLES
   Upload a file, capturing its URL:
       url=$(ossuploader /tmp/42.jpg avatars/42.jpg)

   Upload into a prefix (the key becomes backups/db.sql.gz):
       ossuploader db.sql.gz oss://my-bucket/backups/

   Upload a directory, 8 files at a time, skipping files already there:
       ossuploader -r -j 8 --skip-unchanged ./public oss://my-bucket/site/

   Stream a dump without a temporary file; pipefail makes a failed pg_dump
   fail the upload instead of storing an empty dump:
       set -o pipefail
       pg_dump mydb | gzip | ossuploader - oss://my-bucket/db/$(date +%F).sql.gz

   Share a file for a day:
       ossuploader --sign 24h report.pdf reports/q3.pdf

   Machine-readable output:
       ossuploader --json a.jpg b.jpg oss://my-bucket/img/

ENVIRONMENT
      OSS_ENDPOINT           endpoint URL,
                             e.g. https://oss-cn-hangzhou.aliyuncs.com
      OSS_REGION             region, e.g. cn-hangzhou; derives the endpoint,
                             signs V4
      OSS_BUCKET             default bucket for bare keys
      OSS_ACCESS_KEY_ID      access key id (also ALIBABA_CLOUD_ACCESS_KEY_ID)
      OSS_ACCESS_KEY_SECRET  access key secret (also
                             ALIBABA_CLOUD_ACCESS_KEY_SECRET); never accepted
                             as a flag, never printed
      OSS_SESSION_TOKEN      STS token (also ALIBABA_CLOUD_SECURITY_TOKEN)
      OSS_PROFILE            profile in ~/.ossutilconfig
      OSSX_STATE_DIR         checkpoints go to $OSSX_STATE_DIR/uploads
                             (as --state-dir)
      XDG_STATE_HOME         else to $XDG_STATE_HOME/ossx/uploads
                             (default ~/.local/state/ossx)
      HTTPS_PROXY, NO_PROXY  proxy settings

FILES
      ~/.local/state/ossx/uploads/  checkpoints of unfinished multipart
                                    uploads (0600)
      ~/.ossutilconfig              ossutil's config file, read for
                                    credentials
`

// options are the parsed flags: everything run needs, nothing urfave/cli.
type options struct {
	sources []string
	dest    string

	recursive      bool
	followSymlinks bool
	jobs           int
	threshold      int64
	partSize       int64
	bwlimit        int64

	object upload.Object

	noClobber     bool
	skipUnchanged bool
	deleteSource  bool
	dryRun        bool
	allowAnyKey   bool
	stateDir      string // --state-dir; "": the default

	quiet    bool
	progress string // auto, always, never
	json     bool
	print    string        // oss, https
	sign     time.Duration // >0: print presigned GET URLs

	oss ossx.Options
}

func newApp() *cli.App {
	app := command.NewApp("ossuploader", "upload files, directories and stdin to OSS, verified", usageText, description+"\n\n"+helpTail)
	command.SetExitCodes(app, ossx.ExitOK, ossx.ExitFailed, ossx.ExitUsage, ossx.ExitPartial, ossx.ExitInterrupted)
	// --meta values may hold commas.
	app.DisableSliceFlagSeparator = true
	const (
		tr  = "Transfer"
		obj = "Object"
		out = "Output"
	)
	app.Flags = append([]cli.Flag{
		&cli.BoolFlag{Name: "recursive", Aliases: []string{"r"}, Usage: "upload directories, keeping relative paths", Category: tr, DisableDefaultText: true},
		&cli.BoolFlag{Name: "follow-symlinks", Usage: "follow symlinks inside directories (default: skip them, with a warning)", Category: tr, DisableDefaultText: true},
		&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: 4, Usage: "`N` transfers (files or parts) in flight at once", Category: tr},
		&cli.StringFlag{Name: "multipart-threshold", Value: "64M", Usage: "upload files larger than `SIZE` in parts", Category: tr},
		&cli.StringFlag{Name: "part-size", Usage: "part `SIZE`, 100K to 5G (default: 16M for files, 8M for stdin, or larger to stay within 10,000 parts)", Category: tr},
		&cli.StringFlag{Name: "bwlimit", Usage: "limit upload bandwidth to `RATE` bytes per second, e.g. 10M", Category: tr},
		&cli.BoolFlag{Name: "no-clobber", Aliases: []string{"n"}, Usage: "never replace an existing object (fails instead)", Category: tr, DisableDefaultText: true},
		&cli.BoolFlag{Name: "skip-unchanged", Usage: "skip files whose object has the same size and CRC64", Category: tr, DisableDefaultText: true},
		&cli.BoolFlag{Name: "delete-source", Usage: "remove each local file after its upload is verified", Category: tr, DisableDefaultText: true},
		&cli.BoolFlag{Name: "dry-run", Usage: "show what would be uploaded; send nothing", Category: tr, DisableDefaultText: true},
		&cli.StringFlag{Name: "state-dir", Usage: "keep checkpoints of multipart uploads in `DIR`/uploads (default $OSSX_STATE_DIR, $XDG_STATE_HOME/ossx or ~/.local/state/ossx)", Category: tr, TakesFile: true},

		&cli.StringFlag{Name: "content-type", Usage: "`TYPE` of the object (default: from the file extension)", Category: obj},
		&cli.StringFlag{Name: "cache-control", Usage: "Cache-Control header `VALUE`", Category: obj},
		&cli.StringFlag{Name: "content-disposition", Usage: "Content-Disposition header `VALUE`", Category: obj},
		&cli.BoolFlag{Name: "allow-any-key", Usage: `no warning for keys with "." or ".." segments or "//" (legal in OSS, but file-system tools resolve them)`, Category: obj, DisableDefaultText: true},
		&cli.StringSliceFlag{Name: "meta", Usage: "user metadata `KEY=VALUE` (x-oss-meta-KEY); repeatable", Category: obj},
		command.Choices(&cli.StringFlag{Name: "acl", Usage: "object `ACL`: private, public-read, public-read-write or default", Category: obj}, "private", "public-read", "public-read-write", "default"),
		command.Choices(&cli.StringFlag{Name: "storage-class", Usage: "storage `CLASS`: Standard, IA, Archive, ColdArchive or DeepColdArchive", Category: obj}, "Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive"),

		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print no URLs and no progress; errors and warnings still go to stderr", Category: out, DisableDefaultText: true},
		command.Choices(&cli.StringFlag{Name: "progress", Value: "auto", Usage: "progress bar on stderr: `WHEN` is auto (stderr is a terminal), always or never", Category: out}, "auto", "always", "never"),
		&cli.BoolFlag{Name: "json", Usage: "print one JSON object per upload: bucket, key, size, crc64, etag, url, verified", Category: out, DisableDefaultText: true},
		command.Choices(&cli.StringFlag{Name: "print", Value: "oss", Usage: "`KIND` of URL to print: oss (oss://bucket/key) or https (public URL)", Category: out}, "oss", "https"),
		&cli.DurationFlag{Name: "sign", Usage: "print a presigned GET URL valid for `DURATION`, e.g. 1h", DefaultText: "off", Category: out,
			Action: func(_ *cli.Context, d time.Duration) error { return ossx.CheckSignDuration(d) }},
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
	if len(args) < 2 {
		return options{}, &ossx.UsageError{
			Err:  fmt.Errorf("need a source and a destination, got %d argument(s)", len(args)),
			Hint: command.Invocation("ossuploader") + " FILE oss://BUCKET/KEY; run '" + command.Invocation("ossuploader") + " --help' for more",
		}
	}
	o := options{
		sources:        args[:len(args)-1],
		dest:           args[len(args)-1],
		recursive:      c.Bool("recursive"),
		followSymlinks: c.Bool("follow-symlinks"),
		jobs:           c.Int("jobs"),
		noClobber:      c.Bool("no-clobber"),
		skipUnchanged:  c.Bool("skip-unchanged"),
		deleteSource:   c.Bool("delete-source"),
		dryRun:         c.Bool("dry-run"),
		allowAnyKey:    c.Bool("allow-any-key"),
		stateDir:       c.String("state-dir"),
		quiet:          c.Bool("quiet"),
		progress:       c.String("progress"),
		json:           c.Bool("json"),
		print:          c.String("print"),
		sign:           c.Duration("sign"),
		oss:            command.Options(c),
		object: upload.Object{
			ContentType:        c.String("content-type"),
			CacheControl:       c.String("cache-control"),
			ContentDisposition: c.String("content-disposition"),
			ACL:                c.String("acl"),
			StorageClass:       c.String("storage-class"),
		},
	}
	if o.threshold, err = parseSize("--multipart-threshold", c.String("multipart-threshold")); err != nil {
		return options{}, err
	}
	if o.threshold == 0 {
		// 0 asks for parts for every file; to upload.Options, 0 is "the default".
		o.threshold = -1
	}
	if s := c.String("part-size"); s != "" {
		if o.partSize, err = parseSize("--part-size", s); err != nil {
			return options{}, err
		}
		if o.partSize < upload.MinPartSize || o.partSize > upload.MaxPartSize {
			return options{}, ossx.Usagef("--part-size %s is outside OSS's limits (100K to 5G)", s)
		}
	}
	if s := c.String("bwlimit"); s != "" {
		if o.bwlimit, err = parseSize("--bwlimit", s); err != nil {
			return options{}, err
		}
		if o.bwlimit < 1024 {
			return options{}, ossx.Usagef("--bwlimit %s is below the minimum of 1K", s)
		}
	}
	if o.object.Meta, err = parseMeta(c.StringSlice("meta")); err != nil {
		return options{}, err
	}
	if err := checkChoices(o); err != nil {
		return options{}, err
	}
	return o, nil
}

// checkChoices rejects flag values outside their sets.
func checkChoices(o options) error {
	choices := []struct {
		flag, value string
		allowed     []string
	}{
		{"--progress", o.progress, []string{"auto", "always", "never"}},
		{"--print", o.print, []string{"oss", "https"}},
		{"--acl", o.object.ACL, []string{"", "private", "public-read", "public-read-write", "default"}},
		{"--storage-class", o.object.StorageClass, []string{"", "Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive"}},
	}
	for _, ch := range choices {
		if slices.Contains(ch.allowed, ch.value) {
			continue
		}
		names := slices.DeleteFunc(slices.Clone(ch.allowed), func(s string) bool { return s == "" })
		return &ossx.UsageError{
			Err:  fmt.Errorf("%s %q is not one of: %s", ch.flag, ch.value, strings.Join(names, ", ")),
			Hint: "run '" + command.Invocation("ossuploader") + " --help' for usage",
		}
	}
	if o.jobs < 1 || o.jobs > 256 {
		return ossx.Usagef("--jobs %d must be between 1 and 256", o.jobs)
	}
	return nil
}

// run uploads everything opts names. Failures of single items in a batch
// are reported as they happen and summed up as an *ossx.PartialError.
func run(ctx context.Context, opts options) error {
	cfg, err := ossx.Load(opts.oss, os.Getenv)
	if err != nil {
		return err
	}
	dst, err := ossx.ParseURL(opts.dest, cfg.Bucket)
	if err != nil {
		return err
	}
	plan, err := planSources(opts, dst)
	if err != nil {
		return err
	}
	client, err := cfg.NewClient()
	if err != nil {
		return fmt.Errorf("OSS client: %w", err)
	}
	// Only a file uploaded in parts needs the state directory: a missing
	// one fails that upload, not the run.
	stateDir, stateErr := ossx.StateDir(opts.stateDir, "", os.Getenv)
	b := newBatch(ctx, opts, cfg, client, stateDir, stateErr)
	return b.run(plan)
}
