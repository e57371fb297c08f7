//go:build unix

package gtail

// supported reports whether gtail can run here: it needs inode numbers and
// flock.
func supported() error { return nil }
