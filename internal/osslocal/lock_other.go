//go:build !unix

package osslocal

import (
	"os"
	"path/filepath"
)

// lockDir only marks dir where flock is unavailable: sharing a data
// directory between two servers is not detected there.
func lockDir(dir string) (*os.File, error) {
	return os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o644)
}
