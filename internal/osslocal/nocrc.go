package osslocal

import "net/http"

// withoutCRC64 answers every response of next without the
// x-oss-hash-crc64ecma header (Options.NoCRC64): what a client sees from an
// OSS-compatible server that does not compute CRC64, such as Aliyun's Ruby
// oss-emulator (github.com/aliyun/oss-emulator, which sends ETag and
// Content-MD5 only), so that tests show what the ossx tools do then.
func withoutCRC64(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := &crcDropper{ResponseWriter: w}
		next.ServeHTTP(d, r)
		// Headers set and nothing written: net/http sends them once the
		// handler returns, from this same map.
		w.Header().Del(headerCRC64)
	})
}

type crcDropper struct {
	http.ResponseWriter
	done bool
}

func (d *crcDropper) WriteHeader(status int) {
	if !d.done {
		d.done = true
		d.Header().Del(headerCRC64)
	}
	d.ResponseWriter.WriteHeader(status)
}

func (d *crcDropper) Write(p []byte) (int, error) {
	if !d.done {
		d.WriteHeader(http.StatusOK)
	}
	return d.ResponseWriter.Write(p)
}

func (d *crcDropper) Unwrap() http.ResponseWriter { return d.ResponseWriter }
