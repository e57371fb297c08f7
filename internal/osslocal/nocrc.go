package osslocal

import "net/http"

// withoutCRC64 answers every response of next without the
// x-oss-hash-crc64ecma header (Options.NoCRC64): what a client sees from an
// OSS-compatible server that does not compute CRC64, such as Aliyun's Ruby
// oss-emulator (github.com/aliyun/oss-emulator, which sends ETag and
// Content-MD5 only), so that tests show what the ossx tools do then.
func withoutCRC64(next http.Handler) http.Handler {
	drop := func(h http.Header) { h.Del(headerCRC64) }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e := &headerEditor{ResponseWriter: w, edit: drop}
		next.ServeHTTP(e, r)
		if !e.done {
			// Headers set and nothing written: net/http sends them once
			// the handler returns, from this same map.
			drop(w.Header())
		}
	})
}
