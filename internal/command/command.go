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
	"github.com/ossx/ossx/internal/version"
)

// NewApp returns a cli.App with the shared conventions: --version (no -v),
// help on stdout only when asked for, usage errors returned as
// *ossx.UsageError, the exit-code table at the end of --help.
func NewApp(name, usage, usageText, description string) *cli.App {
	app := cli.NewApp()
	app.Name = name
	app.Usage = usage
	app.UsageText = usageText
	app.Description = description
	app.Version = version.String(name)
	app.HideHelpCommand = true
	app.EnableBashCompletion = true
	app.Writer = os.Stdout
	app.ErrWriter = os.Stderr
	// Without this, cli.Exit errors make the library call os.Exit itself.
	app.ExitErrHandler = func(*cli.Context, error) {}
	app.OnUsageError = func(c *cli.Context, err error, _ bool) error {
		return &ossx.UsageError{Err: flagError(c.App, err), Hint: "run '" + name + " --help' for usage"}
	}
	app.CustomAppHelpTemplate = cli.AppHelpTemplate + "\n" + ossx.ExitCodesHelp + "\n"
	// The tools have no subcommands, so "TOOL --help ARG..." (help asked
	// for after typing a command line) is help for the tool, not urfave/cli's
	// "No help topic for 'ARG'" with exit 1.
	app.CommandNotFound = func(c *cli.Context, _ string) { cli.ShowAppHelp(c) }
	return app
}

func init() {
	// Keep -v free for tools that want it; --version only.
	cli.VersionFlag = &cli.BoolFlag{Name: "version", Usage: "print the version and exit", DisableDefaultText: true}
	cli.VersionPrinter = func(c *cli.Context) { fmt.Fprintln(c.App.Writer, c.App.Version) }
}

// Main runs app with a context cancelled on SIGINT/SIGTERM, prints the error
// once and returns the exit code. A second signal kills the process the
// default way. A panic in app's goroutine becomes one redacted error line
// and exit 1, never a traceback that could print a secret.
func Main(app *cli.App, args []string, stderr io.Writer) (code int) {
	defer ossx.CatchPanic(app.Name, stderr, &code)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
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
	err := app.RunContext(ctx, args)
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		err = fmt.Errorf("%w by signal", ossx.ErrInterrupted)
	}
	ossx.Report(stderr, app.Name, err)
	return ossx.ExitCode(err)
}

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
