package gtail

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ossx/ossx/internal/ossx"
)

// A secret reaching the log inside an error value (not a string attribute)
// is redacted too, in both log formats.
func TestLoggerRedactsErrorValues(t *testing.T) {
	const secret = "gtail-logger-secret-Zq9+/="
	ossx.RegisterSecret(secret)
	for _, format := range []string{"text", "json"} {
		var out strings.Builder
		log := newLogger(options{logFormat: format, stderr: &out})
		err := fmt.Errorf("open state: %w", errors.New("token "+secret+" rejected"))
		log.Warn("failed", "err", err, "path", "/x/"+secret)
		if strings.Contains(out.String(), secret) {
			t.Errorf("%s log carries the secret:\n%s", format, out.String())
		}
		if !strings.Contains(out.String(), "[REDACTED]") {
			t.Errorf("%s log lost the redacted error:\n%s", format, out.String())
		}
	}
}
