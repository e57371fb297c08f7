package tail

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ossx/ossx/internal/command"
	"github.com/ossx/ossx/internal/ship"
)

// TestStoppedHintInvocation: the --forget command in a stopped file's hint
// is the one the user can type: "gtail --forget" from the gtail binary,
// "ossx gtail --forget" when the multi-call binary runs gtail.
func TestStoppedHintInvocation(t *testing.T) {
	defer func(l string) { command.Launcher = l }(command.Launcher)
	e := &StoppedError{
		Err:   fmt.Errorf("append: %w", &ship.ConflictError{Key: "logs/app.log", Reason: "replaced"}),
		Path:  "/var/log/app.log",
		State: "/state/gtail.json",
		Dest:  "oss://b/logs/",
	}
	for _, tc := range []struct{ launcher, want string }{
		{"", "; to ship this file again from the start, to new objects: gtail --forget /var/log/app.log oss://b/logs/ (drops its state in /state/gtail.json)"},
		{"ossx", "; to ship this file again from the start, to new objects: ossx gtail --forget /var/log/app.log oss://b/logs/ (drops its state in /state/gtail.json)"},
	} {
		command.Launcher = tc.launcher
		if got := e.Hint(); !strings.HasSuffix(got, tc.want) {
			t.Errorf("launcher %q: hint\n%s\nwant it to end in\n%s", tc.launcher, got, tc.want)
		}
	}
}
