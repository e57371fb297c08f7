//go:build !unix

package osslocal

import "os"

// killSelf ends the process at once, as TerminateProcess does.
func killSelf() {
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		_ = p.Kill()
	}
}
