package ossx

import (
	"errors"
	"fmt"
	"path/filepath"
)

// StateHint is the fix for every state directory problem, in every tool.
const StateHint = "pass --state-dir DIR or set OSSX_STATE_DIR to a directory this user can create and write"

// StateDir resolves where the ossx tools keep their state: flagDir (a
// tool's --state-dir) as given; else sub under $OSSX_STATE_DIR, under
// $XDG_STATE_HOME/ossx (XDG Base Directory spec), or under
// ~/.local/state/ossx. Never the working directory: state there would be
// committed, copied or served. Nothing is created: a tool makes the
// directory only when it has state to keep, so that a run needing none
// works without a HOME (containers, cron, systemd). The error is a
// *UsageError with StateHint.
func StateDir(flagDir, sub string, getenv func(string) string) (string, error) {
	if flagDir != "" {
		return flagDir, nil
	}
	if d := getenv("OSSX_STATE_DIR"); d != "" {
		return filepath.Join(d, sub), nil
	}
	if d := getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "ossx", sub), nil
	}
	if home := first(getenv("HOME"), getenv("USERPROFILE")); home != "" {
		return filepath.Join(home, ".local", "state", "ossx", sub), nil
	}
	return "", &UsageError{Err: errors.New("no state directory: HOME is not set"), Hint: StateHint}
}

// StateError makes err, met while creating or writing the state directory
// dir, a configuration error with StateHint, like a missing directory.
func StateError(dir string, err error) error {
	return &UsageError{Err: fmt.Errorf("state directory %s: %w", dir, err), Hint: StateHint}
}
