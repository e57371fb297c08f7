package ossx

import (
	"context"
	"errors"
	"fmt"
)

// Exit codes shared by every ossx tool. This table is the single source: each
// tool's --help and the README print it from ExitCodesHelp.
const (
	ExitOK          = 0   // everything done
	ExitFailed      = 1   // OSS or network error after retries, local I/O error
	ExitUsage       = 2   // usage or configuration error: nothing was attempted
	ExitPartial     = 3   // some of several items failed; each is named on stderr
	ExitInterrupted = 130 // SIGINT/SIGTERM: stopped, resumable where the tool says so
)

// ExitCodesHelp is the exit-code table as printed in every --help.
const ExitCodesHelp = `EXIT STATUS
   0    success
   1    failed: OSS or network error after retries, or local I/O error
   2    usage or configuration error; nothing was attempted
   3    partial: some of several items failed (each is named on stderr)
   130  interrupted by SIGINT or SIGTERM`

// UsageError marks a usage or configuration problem found before anything
// was attempted. It maps to ExitUsage.
type UsageError struct {
	Err  error
	Hint string
}

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a *UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// PartialError reports that Failed of Total items failed; the individual
// failures have already been reported. It maps to ExitPartial.
type PartialError struct {
	Failed, Total int
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("%d of %d items failed", e.Failed, e.Total)
}

// ErrInterrupted is returned (wrapped) when a signal stopped the work.
var ErrInterrupted = errors.New("interrupted")

// ExitCode maps an error returned by a tool's run function to its exit code.
func ExitCode(err error) int {
	var ue *UsageError
	var pe *PartialError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, ErrInterrupted), errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &ue):
		return ExitUsage
	case errors.As(err, &pe):
		return ExitPartial
	default:
		return ExitFailed
	}
}
