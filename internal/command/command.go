// Package command holds what every ossx tool's main shares on top of
// urfave/cli: the traps disarmed (no os.Exit inside the library, usage errors
// on stderr), common configuration flags, signal handling and the single
// place where an error is printed and turned into an exit code.
package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ossx/ossx/internal/ossx"
)

// NewApp returns a cli.App with the shared conventions: --version (no -v),
// -h and --help print the manual (help.go: NAME, SYNOPSIS, DESCRIPTION and
// the sections of description, OPTIONS, EXIT STATUS) on stdout, usage
// errors are returned as *ossx.UsageError. usageText is the synopsis, one
// form a line. The app runs through Run, never App.Run (see Run), so a
// CustomAppHelpTemplate would be ignored: write further sections into
// description instead.
func NewApp(name, usage, usageText, description string) *cli.App {
	// Not cli.NewApp: it reaches the template-based help (see Run).
	app := &cli.App{
		Name:                 name,
		Usage:                usage,
		UsageText:            usageText,
		Description:          description,
		HideHelpCommand:      true,
		EnableBashCompletion: true,
		Reader:               os.Stdin,
		Writer:               os.Stdout,
		ErrWriter:            os.Stderr,
	}
	app.OnUsageError = func(c *cli.Context, err error, _ bool) error {
		return &ossx.UsageError{Err: flagError(c.App, err), Hint: helpHint(app)}
	}
	return app
}

// Main runs app with a context cancelled on SIGINT/SIGTERM, prints the error
// once and returns the exit code. A second signal kills the process the
// default way. A panic in app's goroutine becomes one redacted error line
// and exit 1, never a traceback that could print a secret.
func Main(app *cli.App, args []string, stderr io.Writer) (code int) {
	defer ossx.CatchPanic(app.Name, stderr, &code)
	ctx, stop := notifyContext()
	defer stop()
	if app.Metadata == nil {
		app.Metadata = map[string]any{}
	}
	app.Metadata[argvKey] = args
	if complete(app, args, app.Writer) {
		return ossx.ExitOK
	}
	if handled, err := generate(app, args); handled {
		ossx.Report(stderr, app.Name, err)
		return ossx.ExitCode(err)
	}
	err := Run(ctx, app, args)
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		err = fmt.Errorf("%w by signal", ossx.ErrInterrupted)
	}
	ossx.Report(stderr, app.Name, err)
	return ossx.ExitCode(err)
}

// notifyContext is signal.NotifyContext for SIGINT and SIGTERM, except
// that the first signal also stops the notification, so that a second one
// kills the process the default way. stop is to be called once. One goroutine does both, where
// NotifyContext plus a goroutine calling stop on ctx.Done were two (each
// go statement at start-up can wake another thread).
func notifyContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			signal.Stop(ch)
			cancel(signalError(s.String() + " signal received"))
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// signalError is the cause of a context cancelled by a signal, as
// os/signal's own: it is context.Canceled to errors.Is, for net/http
// reports a cancelled request with its context's cause.
type signalError string

func (s signalError) Error() string        { return string(s) }
func (s signalError) Is(target error) bool { return target == context.Canceled }

// ConfigFlags are the OSS connection flags every tool accepts. Secrets are
// deliberately not flags: argv is visible to every user through ps.
func ConfigFlags() []cli.Flag {
	const cat = "OSS connection"
	return []cli.Flag{
		&cli.StringFlag{Name: "endpoint", Usage: "OSS endpoint `URL` (default $OSS_ENDPOINT, or derived from the region)", Category: cat},
		&cli.StringFlag{Name: "region", Usage: "OSS `REGION` id, e.g. cn-hangzhou; enables V4 signing (default $OSS_REGION)", Category: cat},
		&cli.BoolFlag{Name: "internal", Usage: "use the region's internal (VPC) endpoint", Category: cat, DisableDefaultText: true},
		&cli.StringFlag{Name: "bucket", Usage: "default `BUCKET` for keys given without oss:// (default $OSS_BUCKET)", Category: cat},
		&cli.StringFlag{Name: "profile", Usage: "`PROFILE` in the ossutil config file (default $OSS_PROFILE)", Category: cat},
		&cli.StringFlag{Name: "config", Usage: "ossutil config `FILE` (default $OSS_CONFIG_FILE, else ~/.ossutilconfig)", Category: cat, TakesFile: true},
		// 0 means the default, which ossx.Load applies.
		&cli.DurationFlag{Name: "timeout", Usage: "`DURATION` to connect; a read or write stalled for 6× as long fails", Value: 0, DefaultText: "10s", Category: cat,
			// 0 stands for the default internally; given explicitly it is a mistake.
			Action: func(_ *cli.Context, d time.Duration) error {
				if d <= 0 {
					return &ossx.UsageError{Err: fmt.Errorf("--timeout %s: must be positive", d), Hint: "e.g. --timeout 30s"}
				}
				return nil
			}},
		&cli.IntFlag{Name: "retries", Usage: "retry a failed request (5xx, 429, network) up to `N` times", Value: -1, DefaultText: "5", Category: cat,
			Action: func(_ *cli.Context, n int) error {
				if n < 0 {
					return &ossx.UsageError{Err: fmt.Errorf("--retries %d: must be 0 or more", n), Hint: "--retries 0 turns retries off"}
				}
				return nil
			}},
	}
}

// Options turns the ConfigFlags of c into ossx.Options.
func Options(c *cli.Context) ossx.Options {
	return ossx.Options{
		Endpoint:         c.String("endpoint"),
		Region:           c.String("region"),
		Internal:         c.Bool("internal"),
		Bucket:           c.String("bucket"),
		Profile:          c.String("profile"),
		ConfigFile:       c.String("config"),
		ConnectTimeout:   c.Duration("timeout"),
		ReadWriteTimeout: 6 * c.Duration("timeout"),
		Retries:          c.Int("retries"),
	}
}
