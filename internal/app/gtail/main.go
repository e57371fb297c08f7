// Package gtail is the gtail command, run by cmd/gtail and, by name, by the
// multi-call cmd/ossx.
//
// gtail follows log files like tail -F and appends every new byte to
// OSS appendable objects, exactly once: after any crash the objects hold
// exactly the bytes the files held, none lost, none twice.
package gtail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ossx/ossx/internal/command"
	"github.com/ossx/ossx/internal/keytmpl"
	"github.com/ossx/ossx/internal/ossx"
	"github.com/ossx/ossx/internal/ship"
	"github.com/ossx/ossx/internal/tail"
)

// Main runs gtail with args (args[0] is the program name) and returns the
// exit status; only the caller exits.
func Main(args []string) int { return command.Main(newApp(), args, os.Stderr) }

// App is gtail's cli.App, for its name and one-line usage.
func App() *cli.App { return newApp() }

// options is everything gtail's flags and arguments say.
type options struct {
	config  ossx.Options
	sources []string // files, globs, or "-" for stdin
	dest    string   // oss://bucket/prefix/ or a bare prefix

	key       keytmpl.Template
	host      string
	localTime bool
	stateDir  string

	flushInterval   time.Duration
	flushBytes      int
	partialTimeout  time.Duration
	rollSize        int64
	rotateWait      time.Duration
	poll            time.Duration
	safetyPoll      time.Duration
	shutdownTimeout time.Duration

	gzip      bool
	once      bool
	forget    bool
	fromEnd   bool
	echo      bool
	logFormat string

	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// maxRollSize keeps objects below OSS's 5 GiB limit for appendable objects
// (OSS docs, AppendObject: "the size of the object cannot exceed 5 GB").
const maxRollSize = 5<<30 - 64<<20

func newApp() *cli.App {
	app := command.NewApp("gtail", "follow log files and append every byte to OSS, exactly once", usageText, helpText)
	command.SetExitCodes(app, ossx.ExitOK, ossx.ExitFailed, ossx.ExitUsage, ossx.ExitPartial, ossx.ExitInterrupted)
	const ship_, follow, modes = "Shipping", "Following", "Modes"
	app.Flags = append([]cli.Flag{
		&cli.StringFlag{Name: "key", Usage: "object key `TEMPLATE` below the prefix (see KEYS)", Value: keytmpl.Default, Category: ship_},
		&cli.StringFlag{Name: "host", Usage: "`NAME` for {host} (default the host name)", Category: ship_},
		&cli.BoolFlag{Name: "local-time", Usage: "{date} and {hour} in local time, not UTC", DisableDefaultText: true, Category: ship_},
		&cli.BoolFlag{Name: "gzip", Usage: "compress: every append is one complete gzip member", DisableDefaultText: true, Category: ship_},
		&cli.DurationFlag{Name: "flush-interval", Usage: "ship waiting lines at least every `DURATION`", Value: 2 * time.Second, Category: ship_},
		&cli.StringFlag{Name: "flush-bytes", Usage: "ship as soon as `SIZE` bytes wait; also the largest append", Value: "1MiB", Category: ship_},
		&cli.DurationFlag{Name: "partial-timeout", Usage: "ship a trailing line without newline once it is `DURATION` old", Value: 5 * time.Second, Category: ship_},
		&cli.StringFlag{Name: "roll-size", Usage: "start a new object when the current one would exceed `SIZE` (< 5GiB)", Value: "1GiB", Category: ship_},
		&cli.StringFlag{Name: "state-dir", Usage: "`DIR` for the state files (default $OSSX_STATE_DIR/gtail, $XDG_STATE_HOME/ossx/gtail or ~/.local/state/ossx/gtail)", Category: ship_},
		&cli.StringFlag{Name: "from", Usage: "`WHERE` to start in files seen the first time: start or end", Value: "start", Category: follow},
		&cli.DurationFlag{Name: "rotate-wait", Usage: "keep reading a rotated or deleted file until it has been idle for `DURATION`", Value: 5 * time.Second, Category: follow},
		&cli.DurationFlag{Name: "poll-interval", Usage: "look at files every `DURATION` where inotify cannot tell (no inotify, a directory not there yet)", Value: time.Second, Category: follow},
		&cli.DurationFlag{Name: "safety-interval", Usage: "with inotify watching, still look every `DURATION` in case an event was lost (network file systems)", Value: 30 * time.Second, Category: follow},
		&cli.BoolFlag{Name: "once", Usage: "ship what the files hold now and exit (for cron)", DisableDefaultText: true, Category: modes},
		&cli.BoolFlag{Name: "forget", Usage: "drop the state of the FILEs (after an 'another writer' stop), print what had been shipped, exit: they are shipped again from the start, to new objects", DisableDefaultText: true, Category: modes},
		&cli.BoolFlag{Name: "stdout", Usage: "also write the shipped bytes to stdout, like tail -f", DisableDefaultText: true, Category: modes},
		&cli.DurationFlag{Name: "shutdown-timeout", Usage: "on SIGTERM/SIGINT, allow `DURATION` to ship what is left", Value: 10 * time.Second, Category: modes},
		&cli.StringFlag{Name: "log-format", Usage: "stderr log `FORMAT`: text or json", Value: "text", Category: modes},
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

// parseOptions turns flags and arguments into options; every error is a
// *ossx.UsageError.
func parseOptions(c *cli.Context) (options, error) {
	o := options{
		config:          command.Options(c),
		host:            c.String("host"),
		localTime:       c.Bool("local-time"),
		stateDir:        c.String("state-dir"),
		flushInterval:   c.Duration("flush-interval"),
		partialTimeout:  c.Duration("partial-timeout"),
		rotateWait:      c.Duration("rotate-wait"),
		poll:            c.Duration("poll-interval"),
		safetyPoll:      c.Duration("safety-interval"),
		shutdownTimeout: c.Duration("shutdown-timeout"),
		gzip:            c.Bool("gzip"),
		once:            c.Bool("once"),
		forget:          c.Bool("forget"),
		echo:            c.Bool("stdout"),
		logFormat:       c.String("log-format"),
		stdin:           os.Stdin,
		stdout:          c.App.Writer,
		stderr:          c.App.ErrWriter,
	}
	args, err := command.Args(c)
	if err != nil {
		return o, err
	}
	if len(args) < 2 {
		return o, &ossx.UsageError{Err: fmt.Errorf("need at least one FILE and a destination"), Hint: "gtail /var/log/app.log oss://BUCKET/logs/"}
	}
	o.sources, o.dest = args[:len(args)-1], args[len(args)-1]
	for _, s := range o.sources {
		if s == "-" && len(o.sources) > 1 {
			return o, ossx.Usagef("- (stdin) cannot be combined with files")
		}
		if _, err := filepath.Match(s, ""); err != nil {
			return o, &ossx.UsageError{Err: fmt.Errorf("bad glob %q: %w", s, err), Hint: "quote globs so gtail, not the shell, expands them: gtail '/var/log/*.log' …"}
		}
	}
	if o.key, err = keytmpl.Parse(c.String("key")); err != nil {
		return o, &ossx.UsageError{Err: err, Hint: "fields: {host} {path} {file} {date} {hour} {gen}; see gtail --help"}
	}
	size, err := parseSize(c.String("flush-bytes"))
	if err != nil || size < 1 || size > 1<<30 {
		return o, ossx.Usagef("--flush-bytes %q: want a size from 1 to 1GiB, e.g. 4MiB", c.String("flush-bytes"))
	}
	o.flushBytes = int(size)
	if o.rollSize, err = parseSize(c.String("roll-size")); err != nil || o.rollSize < 1 || o.rollSize > maxRollSize {
		return o, ossx.Usagef("--roll-size %q: want a size below 5GiB, e.g. 1GiB", c.String("roll-size"))
	}
	switch c.String("from") {
	case "start":
	case "end":
		o.fromEnd = true
	default:
		return o, ossx.Usagef("--from %q: want start or end", c.String("from"))
	}
	if o.logFormat != "text" && o.logFormat != "json" {
		return o, ossx.Usagef("--log-format %q: want text or json", o.logFormat)
	}
	for name, d := range map[string]time.Duration{"flush-interval": o.flushInterval, "partial-timeout": o.partialTimeout,
		"rotate-wait": o.rotateWait, "poll-interval": o.poll, "safety-interval": o.safetyPoll, "shutdown-timeout": o.shutdownTimeout} {
		if d <= 0 {
			return o, ossx.Usagef("--%s must be positive", name)
		}
	}
	if o.host == "" {
		if o.host, err = os.Hostname(); err != nil {
			return o, &ossx.UsageError{Err: fmt.Errorf("host name: %w", err), Hint: "pass --host"}
		}
	}
	if o.stateDir, err = ossx.StateDir(o.stateDir, "gtail", os.Getenv); err != nil {
		return o, err
	}
	return o, nil
}

// parseSize reads "4096", "64KiB", "4MiB", "1GiB" (K, M, G, KB, MB, GB are
// powers of 1024 too: these are buffer sizes, not disk marketing).
func parseSize(s string) (int64, error) {
	num, unit := s, ""
	if i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		num, unit = s[:i], strings.ToLower(s[i:])
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, err
	}
	shift := map[string]uint{"": 0, "b": 0, "k": 10, "kb": 10, "kib": 10, "m": 20, "mb": 20, "mib": 20, "g": 30, "gb": 30, "gib": 30}
	sh, ok := shift[unit]
	if !ok || n > 1<<(62-sh) {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n << sh, nil
}

// run follows what opts say until ctx ends (a clean stop returns nil) or,
// with --once, until everything there is has been shipped.
func run(ctx context.Context, o options) error {
	if err := supported(); err != nil {
		return err
	}
	log := newLogger(o)
	cfg, err := ossx.Load(o.config, os.Getenv)
	if err != nil {
		return err
	}
	dest, err := ossx.ParseURL(o.dest, cfg.Bucket)
	if err != nil {
		return err
	}
	if !dest.IsPrefix() {
		dest.Key += "/"
	}
	bucket, err := cfg.OpenBucket(dest.Bucket)
	if err != nil {
		return err
	}
	// Appender checks every append's CRC64 itself; the SDK's own check
	// would hash every byte a second time (-30% CPU, BENCHMARKS.md).
	bucket.Client.Config.IsEnableCRC = false
	app := &ship.Appender{Bucket: bucket, Retry: cfg.Retry, Gzip: o.gzip, Log: log, Bounded: o.once}
	if len(o.sources) == 1 && o.sources[0] == "-" {
		if err := app.CheckCRC64(ctx, nil, dest.Key); err != nil {
			return err
		}
		return shipStdin(ctx, o, dest, app, log)
	}
	for _, s := range o.sources {
		fi, err := os.Stat(s)
		switch {
		case err != nil || strings.ContainsAny(s, "*?["):
			// Not there yet, or a glob: whatever matches is looked at then.
		case fi.IsDir():
			return &ossx.UsageError{Err: fmt.Errorf("%s is a directory", s),
				Hint: fmt.Sprintf("name the files in it, e.g. '%s'", filepath.Join(s, "*.log"))}
		case !fi.Mode().IsRegular():
			return &ossx.UsageError{Err: fmt.Errorf("%s is not a regular file", s),
				Hint: "to ship a pipe or a program's output, use -: my-program | gtail - DEST"}
		}
	}
	st, err := ship.Open(o.stateDir, dest.String())
	switch {
	case errors.Is(err, ship.ErrLocked):
		return &ossx.UsageError{Err: err, Hint: "another gtail ships to this destination with this --state-dir; stop it first"}
	case errors.Is(err, ship.ErrCorrupt):
		return &ossx.UsageError{Err: err, Hint: "move the file aside to start over: the files are then shipped again, to new objects"}
	case err != nil:
		return &ossx.UsageError{Err: err, Hint: ossx.StateHint}
	}
	defer st.Close()
	if o.forget {
		return forget(o, dest, st)
	}
	if err := app.CheckCRC64(ctx, recentKeys(st), dest.Key); err != nil {
		return err
	}
	return tail.Run(ctx, tail.Options{
		Sources: o.sources, Dest: dest, Key: o.key, Host: o.host, LocalTime: o.localTime,
		FlushInterval: o.flushInterval, FlushBytes: o.flushBytes, PartialTimeout: o.partialTimeout,
		RollSize: o.rollSize, RotateWait: o.rotateWait, Poll: o.poll, SafetyPoll: o.safetyPoll,
		ShutdownTimeout: o.shutdownTimeout, Gzip: o.gzip, Once: o.once, FromEnd: o.fromEnd,
		Echo: o.echo, Stdout: o.stdout,
	}, st, app, log)
}

// recentKeys are the objects of the state's last few entries, for
// Appender.CheckCRC64 to look at.
func recentKeys(st *ship.State) []string {
	var keys []string
	for i := len(st.Entries) - 1; i >= 0 && len(keys) < 3; i-- {
		if k := st.Entries[i].Key; k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

func newLogger(o options) *slog.Logger {
	hopts := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		switch a.Value.Kind() {
		case slog.KindString:
			a.Value = slog.StringValue(ossx.Redact(a.Value.String()))
		case slog.KindAny:
			// Errors and other values are rendered here, once, so that what
			// they carry passes through Redact like any string.
			if err, ok := a.Value.Any().(error); ok {
				a.Value = slog.StringValue(ossx.Message(err))
			} else if st, ok := a.Value.Any().(fmt.Stringer); ok {
				a.Value = slog.StringValue(ossx.Redact(st.String()))
			}
		}
		return a
	}}
	var h slog.Handler = slog.NewTextHandler(o.stderr, hopts)
	if o.logFormat == "json" {
		h = slog.NewJSONHandler(o.stderr, hopts)
	}
	return slog.New(h).With("tool", "gtail")
}

// forget drops the state of the files o.sources name (paths or globs,
// matched against the paths in the state), saying on stdout what had been
// shipped of each: the way out of a file stopped by another writer, which
// gtail will not touch on its own.
func forget(o options, dest ossx.URL, st *ship.State) error {
	var pats []string
	for _, s := range o.sources {
		if abs, err := filepath.Abs(s); err == nil {
			s = abs
		}
		pats = append(pats, s)
	}
	gone := st.Forget(func(p string) bool {
		for _, pat := range pats {
			if ok, _ := filepath.Match(pat, p); ok || pat == p {
				return true
			}
		}
		return false
	})
	if len(gone) == 0 {
		return &ossx.UsageError{Err: fmt.Errorf("the state %s has nothing for %s", st.Path(), strings.Join(o.sources, " ")),
			Hint: "give the files as gtail followed them (the paths in the state file)"}
	}
	if err := st.Save(); err != nil {
		return err
	}
	for _, e := range gone {
		obj := "no object"
		if e.Key != "" {
			obj = fmt.Sprintf("last object oss://%s/%s (%d bytes)", dest.Bucket, e.Key, e.Pos)
		}
		fmt.Fprintf(o.stdout, "forgot %s: %d bytes shipped, %s\n", e.Path, e.Offset, obj)
	}
	return nil
}
