//go:build !linux

package main

import (
	"errors"
	"time"
)

// threadCPU needs RUSAGE_THREAD, which only Linux has.
func threadCPU() (time.Duration, error) {
	return 0, errors.New("CPU time per thread is measured on Linux only")
}
