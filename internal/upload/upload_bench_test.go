package upload

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ossx/ossx/internal/crc64ecma"
	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
	"github.com/ossx/ossx/internal/ossx"
)

// io.Copy's buffer: the size of the writes the hashes see in an upload.
const copyBuf = 32 << 10

var benchData = func() []byte {
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}()

// hashStream writes 1 MiB to w in copyBuf pieces.
func hashStream(w io.Writer) {
	for off := 0; off < len(benchData); off += copyBuf {
		w.Write(benchData[off : off+copyBuf])
	}
}

// BenchmarkCRC64 is the CRC64-ECMA every upload computes (hash/crc64,
// the table OSS's x-oss-hash-crc64ecma uses).
func BenchmarkCRC64(b *testing.B) {
	b.SetBytes(int64(len(benchData)))
	h := crc64ecma.New()
	for b.Loop() {
		hashStream(h)
	}
}

// BenchmarkDigests is the first pass over a file sent in one PUT: CRC64
// and the MD5 for Content-MD5.
func BenchmarkDigests(b *testing.B) {
	b.SetBytes(int64(len(benchData)))
	d := newDigests(true)
	for b.Loop() {
		hashStream(d)
	}
}

// BenchmarkMD5 is crypto/md5 alone in 1 MiB writes: the floor of a single
// PUT, which must carry Content-MD5 (BENCHMARKS.md).
func BenchmarkMD5(b *testing.B) {
	b.SetBytes(int64(len(benchData)))
	h := md5.New()
	for b.Loop() {
		h.Write(benchData)
	}
}

// BenchmarkHashSection is a single PUT's first pass over a file: reads
// through the pooled buffer, CRC64 and MD5 (CRC64 alone: the pass
// --skip-unchanged makes against a server that sends CRC64s).
func BenchmarkHashSection(b *testing.B) {
	path := filepath.Join(b.TempDir(), "data.bin")
	data := bytes.Repeat(benchData, 16)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	for _, withMD5 := range []bool{false, true} {
		name := "CRC64"
		if withMD5 {
			name = "CRC64+MD5"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := hashSection(context.Background(), f, 0, int64(len(data)), withMD5); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBody is the request body reader (limits, progress, the final
// source check), as the HTTP client reads it: a single PUT's second pass,
// and a part's only pass (Hashed: with its CRC64).
func BenchmarkBody(b *testing.B) {
	for _, hashed := range []bool{false, true} {
		name := "Plain"
		if hashed {
			name = "Hashed"
		}
		b.Run(name, func(b *testing.B) {
			u := &Uploader{}
			b.SetBytes(int64(len(benchData)))
			b.ReportAllocs()
			buf := make([]byte, copyBuf)
			for b.Loop() {
				bd := u.newBody(context.Background(), bytes.NewReader(benchData), int64(len(benchData)), nil)
				if hashed {
					bd.crc = crc64ecma.New()
				}
				if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{bd}, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFile uploads one file end to end through the SDK to an
// in-process osslocal: hashing, the request, the server and the checks.
// Above 64 MiB files go in parts; 16 MiB here is one PUT and the MultiPart
// case forces 4 MiB parts.
func BenchmarkFile(b *testing.B) {
	for _, bc := range []struct {
		name      string
		size      int
		threshold int64
	}{
		{"4KiB", 4 << 10, 0},
		{"16MiB", 16 << 20, 0},
		{"16MiB/Parts", 16 << 20, 1 << 20},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ts := osslocaltest.Start(b, func(o *osslocal.Options) { o.Faults = nil })
			vars := map[string]string{}
			for _, kv := range ts.Env() {
				k, v, _ := strings.Cut(kv, "=")
				vars[k] = v
			}
			cfg, err := ossx.Load(ossx.Options{Retries: -1}, func(k string) string { return vars[k] })
			if err != nil {
				b.Fatal(err)
			}
			c, err := cfg.NewClient()
			if err != nil {
				b.Fatal(err)
			}
			opts := Options{Threshold: bc.threshold, Jobs: 4, Retry: cfg.Retry}
			if bc.threshold > 0 {
				opts.PartSize = 4 << 20
			}
			u := New(c, opts)
			path := filepath.Join(b.TempDir(), "data.bin")
			data := bytes.Repeat(benchData, bc.size/len(benchData)+1)[:bc.size]
			if err := os.WriteFile(path, data, 0o644); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(bc.size))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				dst := ossx.URL{Bucket: ts.Bucket, Key: fmt.Sprintf("bench/%d", i%10)}
				if _, err := u.File(context.Background(), path, dst); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
