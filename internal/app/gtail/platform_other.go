//go:build !unix

package gtail

import "errors"

// supported reports whether gtail can run here. Following files across
// rotation exactly once needs inode numbers and flock, which gtail reads
// only on Unix systems.
func supported() error {
	return errors.New("gtail runs on Linux, macOS and other Unix systems only; on Windows use WSL or a Linux container")
}
