package osslocal

import (
	"os"
	"strconv"
	"strings"
	"sync/atomic"
)

// Crash points, for the kill -9 tests of a --data directory
// (cmd/osslocal/crash_test.go): OSSLOCAL_CRASH_AT=POINT[:N] in the
// environment of a starting process makes it SIGKILL itself the Nth time
// (default the first) it passes POINT, so each step of a write is
// interrupted deterministically rather than by a lucky timing. Unset, a
// point costs one comparison with the empty string.
//
//	blob-synced      a body is in a synced temp file, not yet in blobs/
//	blob-stored      a body is in blobs/, no metadata names it yet
//	append-synced    an append's bytes are synced past the object's size,
//	                 its metadata not yet written
//	meta-synced      a metadata file (bucket, object, upload, part) is in a
//	                 synced temp file, not yet renamed over the old one
//	meta-renamed     a metadata file is renamed into place, its directory
//	                 not yet synced
//	committed        an object is published, its old body not yet removed
//	                 and the client not yet answered
//	upload-done      a completed upload's object is published, the upload
//	                 and its parts not yet removed
//	upload-removed   an upload's upload.json is removed (Complete, Abort),
//	                 its parts not yet
//	deleted          one object of a delete is gone, the request not done
var crashPoint, crashNth = parseCrashAt(os.Getenv("OSSLOCAL_CRASH_AT"))

var crashHits atomic.Int64

func parseCrashAt(v string) (string, int64) {
	point, n, ok := strings.Cut(v, ":")
	nth, err := strconv.ParseInt(n, 10, 64)
	if !ok || err != nil || nth < 1 {
		nth = 1
	}
	return point, nth
}

// crash kills the process when it reaches the point OSSLOCAL_CRASH_AT names.
func crash(point string) {
	if crashPoint != point || crashHits.Add(1) != crashNth {
		return
	}
	killSelf()
	select {} // the signal is on its way
}
