package osslocal

import "net/http"

// Faults injects failures into requests; see the fault-injection work.
// This stub passes everything through until the real rules land.
type Faults struct{}

// Wrap returns next with fault injection in front of it.
func (f *Faults) Wrap(next http.Handler) http.Handler { return next }
