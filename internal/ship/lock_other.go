//go:build !unix

package ship

import (
	"errors"
	"os"
)

// lockFile is not implemented here; gtail refuses to run on such systems.
func lockFile(*os.File) error { return errors.New("state locking needs a Unix system") }
