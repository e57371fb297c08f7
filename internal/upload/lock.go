package upload

import (
	"errors"
	"os"
)

// ErrLocked means another process holds the lock LockPath asked for.
var ErrLocked = errLocked

// LockPath creates (mode 0600) and takes a non-blocking exclusive lock on
// path, the way upload checkpoints are locked, for the other tools keeping
// state under ossx.StateDir (ossget's download checkpoints). The kernel drops
// the lock when the process dies, kill -9 included. A lock held elsewhere
// is ErrLocked.
func LockPath(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, ErrLocked
		}
		return nil, err
	}
	return f, nil
}
