//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// notifyStatus delivers SIGUSR1 (print a status summary) to c.
func notifyStatus(c chan<- os.Signal) { signal.Notify(c, syscall.SIGUSR1) }

// supported reports whether gtail can run here: it needs inode numbers and
// flock.
func supported() error { return nil }
