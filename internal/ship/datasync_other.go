//go:build !linux

package ship

import "os"

// datasync is a full fsync where fdatasync is not to be had (on macOS,
// Go's Sync is F_FULLFSYNC, which also flushes the drive's cache).
func datasync(f *os.File) error { return f.Sync() }
