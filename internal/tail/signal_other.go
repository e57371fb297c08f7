//go:build !unix

package tail

import "os"

func notifyStatus(chan<- os.Signal) {}
