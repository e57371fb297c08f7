package command

import (
	"context"
	"errors"
	"syscall"
	"testing"
)

// The first SIGINT cancels the context and stops the notification (so a
// second would kill the process the default way, as a user pressing ^C
// twice expects).
func TestNotifyContext(t *testing.T) {
	ctx, stop := notifyContext()
	defer stop()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-ctx.Done()
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatalf("ctx.Err() = %v, want context.Canceled", ctx.Err())
	}
	// net/http returns the cause for a cancelled request: it must still
	// be context.Canceled.
	if got := context.Cause(ctx); got == nil || got.Error() != "interrupt signal received" || !errors.Is(got, context.Canceled) {
		t.Fatalf("cause %v, want interrupt signal received, a context.Canceled", got)
	}
}

func TestNotifyContextStop(t *testing.T) {
	ctx, stop := notifyContext()
	stop()
	if ctx.Err() == nil {
		t.Fatal("ctx not done after stop")
	}
}
