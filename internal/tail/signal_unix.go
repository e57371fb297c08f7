//go:build unix

package tail

import (
	"os"
	"os/signal"
	"syscall"
)

// notifyStatus delivers SIGUSR1 (log a status summary) to c.
func notifyStatus(c chan<- os.Signal) { signal.Notify(c, syscall.SIGUSR1) }
