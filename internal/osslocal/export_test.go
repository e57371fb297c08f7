package osslocal

import (
	"errors"
	"strings"
	"sync/atomic"
)

// HostBucket lets the external tests check the addressing rule.
var HostBucket = hostBucket

// Params are the query parameters that qualify an operation without naming
// one; the routing test sends every other SDK sub-resource.
var Params = params

// FailSyncDir makes syncing a directory whose path ends in suffix fail once
// (the tests of a sync failing after a metadata rename); the returned func
// removes the fault.
func FailSyncDir(suffix string) func() {
	var done atomic.Bool
	syncDirFault = func(dir string) error {
		if !strings.HasSuffix(dir, suffix) || done.Swap(true) {
			return nil
		}
		return errors.New("injected: directory sync failed")
	}
	return func() { syncDirFault = nil }
}
