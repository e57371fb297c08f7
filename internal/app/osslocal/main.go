// Package osslocal is the osslocal command, run by cmd/osslocal and, by name, by the
// multi-call cmd/ossx.
//
// osslocal serves the Alibaba Cloud OSS API on a local address, for
// development, CI and `make demo`; see help.go for the manual.
package osslocal

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ossx/ossx/internal/command"
	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/ossx"
)

// Main runs osslocal with args (args[0] is the program name) and returns the
// exit status; only the caller exits.
func Main(args []string) int { return command.Main(newApp(), args, os.Stderr) }

// App is osslocal's cli.App, for its name and one-line usage.
func App() *cli.App { return newApp() }

// options is everything osslocal's flags say.
type options struct {
	addr        string
	allowRemote bool
	dataDir     string // "" keeps objects in memory
	keyID       string // "" makes up a key for this run
	keySecret   string
	buckets     []string
	autoCreate  bool
	faults      []osslocal.Rule
	faultsSeed  int64
	noCRC64     bool
	envFile     string
	verbose     bool
	stdout      io.Writer
	stderr      io.Writer
}

// shutdownGrace is how long requests in flight get to finish after a signal.
const shutdownGrace = 10 * time.Second

func newApp() *cli.App {
	app := command.NewApp("osslocal", "a local OSS-compatible server for development and tests", usageText, helpText)
	command.SetExitCodes(app, ossx.ExitOK, ossx.ExitFailed, ossx.ExitUsage)
	app.DisableSliceFlagSeparator = true
	app.Flags = []cli.Flag{
		&cli.StringFlag{Name: "addr", Value: "127.0.0.1:9000", Usage: "listen on `HOST:PORT`; port 0 picks a free one"},
		&cli.BoolFlag{Name: "allow-remote", Usage: "allow --addr to be a non-loopback address", DisableDefaultText: true},
		&cli.StringFlag{Name: "data", Usage: "keep objects in `DIR` (created if missing), across restarts"},
		&cli.BoolFlag{Name: "memory", Usage: "keep objects in memory only (the default)", DisableDefaultText: true},
		&cli.StringSliceFlag{Name: "bucket", Usage: "create bucket `NAME` if missing (repeatable); the first is OSS_BUCKET"},
		&cli.BoolFlag{Name: "auto-create-buckets", Usage: "create a missing bucket when a request first names it (development only; OSS does not)", DisableDefaultText: true},
		&cli.StringFlag{Name: "access-key-id", Usage: "accept access key `ID` (default: made up for this run)", EnvVars: []string{"OSSLOCAL_ACCESS_KEY_ID"}},
		&cli.StringFlag{Name: "access-key-secret", Usage: "the `SECRET` of --access-key-id; prefer the environment variable", EnvVars: []string{"OSSLOCAL_ACCESS_KEY_SECRET"}},
		&cli.StringFlag{Name: "faults", Usage: "inject the faults of `SPEC` (see FAULT RULES)"},
		&cli.Int64Flag{Name: "faults-seed", Usage: "seed `N` for fault probabilities, to repeat a run", DefaultText: "random, logged"},
		&cli.BoolFlag{Name: "no-crc64", Usage: "send no x-oss-hash-crc64ecma header, like OSS-compatible servers without CRC64", DisableDefaultText: true},
		&cli.StringFlag{Name: "env-file", Usage: "also write the export lines to `FILE` (mode 0600), removed at exit"},
		&cli.BoolFlag{Name: "verbose", Usage: "log every request and fired fault to stderr", DisableDefaultText: true},
	}
	app.Action = func(c *cli.Context) error {
		opts, err := parseOptions(c)
		if err != nil {
			return err
		}
		return run(c.Context, opts)
	}
	return app
}

// parseOptions checks the flags of c; every mistake is a usage error.
func parseOptions(c *cli.Context) (options, error) {
	opts := options{
		addr:        c.String("addr"),
		allowRemote: c.Bool("allow-remote"),
		dataDir:     c.String("data"),
		keyID:       c.String("access-key-id"),
		keySecret:   c.String("access-key-secret"),
		buckets:     c.StringSlice("bucket"),
		autoCreate:  c.Bool("auto-create-buckets"),
		faultsSeed:  c.Int64("faults-seed"),
		noCRC64:     c.Bool("no-crc64"),
		envFile:     c.String("env-file"),
		verbose:     c.Bool("verbose"),
		stdout:      c.App.Writer,
		stderr:      c.App.ErrWriter,
	}
	ossx.RegisterSecret(opts.keySecret)
	hint := "run '" + command.Invocation("osslocal") + " --help' for usage"
	if c.NArg() > 0 {
		return opts, &ossx.UsageError{Err: fmt.Errorf("unexpected argument %q", c.Args().First()), Hint: "osslocal takes options only; " + hint}
	}
	if opts.dataDir != "" && c.Bool("memory") {
		return opts, &ossx.UsageError{Err: errors.New("--data and --memory exclude each other"), Hint: hint}
	}
	if c.IsSet("data") && opts.dataDir == "" {
		return opts, &ossx.UsageError{Err: errors.New("--data needs a directory"), Hint: hint}
	}
	switch {
	case opts.keyID != "" && opts.keySecret == "":
		return opts, &ossx.UsageError{Err: errors.New("--access-key-id needs a secret"), Hint: "set OSSLOCAL_ACCESS_KEY_SECRET (or --access-key-secret), or drop --access-key-id for a made-up key"}
	case opts.keyID == "" && opts.keySecret != "":
		return opts, &ossx.UsageError{Err: errors.New("an access key secret was given without --access-key-id"), Hint: "give --access-key-id (or OSSLOCAL_ACCESS_KEY_ID) too"}
	}
	for _, b := range opts.buckets {
		if err := ossx.ValidBucketName(b); err != nil {
			return opts, &ossx.UsageError{Err: fmt.Errorf("--bucket: %w", err), Hint: hint}
		}
	}
	if err := checkAddr(opts.addr, opts.allowRemote); err != nil {
		return opts, err
	}
	if spec := c.String("faults"); spec != "" {
		rules, err := osslocal.ParseFaults(spec)
		if err != nil {
			return opts, &ossx.UsageError{Err: fmt.Errorf("--faults: %w", err), Hint: "see FAULT RULES in '" + command.Invocation("osslocal") + " --help'"}
		}
		opts.faults = rules
	}
	if !c.IsSet("faults-seed") {
		opts.faultsSeed = mrand.Int64N(1 << 31)
	}
	return opts, nil
}

// checkAddr refuses a listen address off the loopback interface unless
// allowed: osslocal is a test server with an unauthenticated admin endpoint
// (for loopback clients) and, often, well-known test keys.
func checkAddr(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return &ossx.UsageError{Err: fmt.Errorf("--addr %q: want HOST:PORT", addr), Hint: "e.g. --addr 127.0.0.1:9000, or 127.0.0.1:0 for a free port"}
	}
	if allowRemote {
		return nil
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	return &ossx.UsageError{Err: fmt.Errorf("--addr %s is not a loopback address", addr), Hint: "osslocal is a test server; add --allow-remote to listen on other interfaces"}
}

// hinted is an error with a fix the user can act on (see ossx.Hinted).
type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() }
func (h *hinted) Unwrap() error { return h.err }
func (h *hinted) Hint() string  { return h.hint }

func run(ctx context.Context, opts options) error {
	level := slog.LevelWarn
	if opts.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(opts.stderr, &slog.HandlerOptions{Level: level}))

	cred := osslocal.Credential{ID: opts.keyID, Secret: opts.keySecret}
	if cred.ID == "" {
		// rand.Text is 26 base32 characters: 130 random bits.
		cred = osslocal.Credential{ID: "LTAI" + rand.Text()[:20], Secret: rand.Text()}
		ossx.RegisterSecret(cred.Secret)
	}
	faults := osslocal.NewFaults(opts.faultsSeed)
	if err := faults.Set(opts.faults); err != nil {
		return err
	}
	faults.SetLogf(func(format string, args ...any) { logger.Info(fmt.Sprintf(format, args...)) })

	// Listen first: a second osslocal on a taken port must fail before it
	// opens the data directory the first one is using.
	l, err := net.Listen("tcp", opts.addr)
	if err != nil {
		return &hinted{err, "choose another --addr, or port 0 for a free one"}
	}
	defer l.Close()
	srv, err := osslocal.New(osslocal.Options{
		Credentials:       []osslocal.Credential{cred},
		DataDir:           opts.dataDir,
		Buckets:           opts.buckets,
		AutoCreateBuckets: opts.autoCreate,
		Faults:            faults,
		NoCRC64:           opts.noCRC64,
		Logger:            logger,
	})
	if err != nil {
		return fmt.Errorf("start server: %w", err)
	}
	defer srv.Close()

	hs := newHTTPServer(srv, defaultTimeouts, logger)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(l) }()

	env := envLines(endpoint(l.Addr().(*net.TCPAddr)), cred, opts.buckets)
	if opts.envFile != "" {
		if err := writeFileAtomic(opts.envFile, env); err != nil {
			hs.Close()
			return fmt.Errorf("write env file: %w", err)
		}
		defer os.Remove(opts.envFile)
	}
	fmt.Fprint(opts.stdout, env)
	store := "in memory"
	if opts.dataDir != "" {
		store = "in " + opts.dataDir
	}
	fmt.Fprintf(opts.stderr, "osslocal: serving %s, objects %s; stop with Ctrl-C\n", l.Addr(), store)
	if opts.noCRC64 {
		fmt.Fprintln(opts.stderr, "osslocal: --no-crc64: answers carry no x-oss-hash-crc64ecma header")
	}
	if len(opts.faults) > 0 {
		fmt.Fprintf(opts.stderr, "osslocal: %d fault rules, seed %d (--faults-seed repeats a run)\n", len(opts.faults), opts.faultsSeed)
	}

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		fmt.Fprintf(opts.stderr, "osslocal: requests still running after %s; closing them\n", shutdownGrace)
		hs.Close()
	}
	fmt.Fprintln(opts.stderr, "osslocal: stopped")
	return nil
}

// endpoint is the URL clients use for a server listening on a: an
// unspecified address (all interfaces) is reached through loopback.
func endpoint(a *net.TCPAddr) string {
	ip := a.IP
	switch {
	case ip.Equal(net.IPv6unspecified):
		ip = net.IPv6loopback
	case ip.IsUnspecified():
		ip = net.IPv4(127, 0, 0, 1)
	}
	return "http://" + net.JoinHostPort(ip.String(), fmt.Sprint(a.Port))
}

// envLines are the export lines for a POSIX shell.
func envLines(endpoint string, cred osslocal.Credential, buckets []string) string {
	var b strings.Builder
	export := func(name, value string) { fmt.Fprintf(&b, "export %s=%s\n", name, shellQuote(value)) }
	export("OSS_ENDPOINT", endpoint)
	export("OSS_ACCESS_KEY_ID", cred.ID)
	export("OSS_ACCESS_KEY_SECRET", cred.Secret)
	if len(buckets) > 0 {
		export("OSS_BUCKET", buckets[0])
	}
	return b.String()
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellQuote quotes s for a POSIX shell where needed.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writeFileAtomic writes data to name with mode 0600 so that a reader never
// sees it half-written: through a temporary file in the same directory,
// renamed into place.
func writeFileAtomic(name, data string) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // a no-op once renamed
	if _, err := io.WriteString(f, data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}
