package ossx

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, ExitOK},
		{"OSS error", oss.ServiceError{StatusCode: 403, Code: "AccessDenied"}, ExitFailed},
		{"local error", errors.New("disk full"), ExitFailed},
		{"usage", Usagef("bad flag %q", "--x"), ExitUsage},
		{"wrapped usage", fmt.Errorf("config: %w", &UsageError{Err: errors.New("x")}), ExitUsage},
		{"partial", fmt.Errorf("upload: %w", &PartialError{Failed: 2, Total: 5}), ExitPartial},
		{"interrupted", fmt.Errorf("%w by signal", ErrInterrupted), ExitInterrupted},
		{"canceled", fmt.Errorf("put: %w", context.Canceled), ExitInterrupted},
		{"deadline is a failure", context.DeadlineExceeded, ExitFailed},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("%s: ExitCode(%v) = %d, want %d", tt.name, tt.err, got, tt.want)
		}
	}
	if got := (&PartialError{Failed: 2, Total: 5}).Error(); got != "2 of 5 items failed" {
		t.Errorf("PartialError = %q", got)
	}
}
