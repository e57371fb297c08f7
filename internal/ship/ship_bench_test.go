//go:build unix

package ship

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ossx/ossx/internal/follow"
	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
	"github.com/ossx/ossx/internal/ossx"
)

// benchLog is 16 MiB of log lines of about 110 bytes.
func benchLog(b *testing.B) string {
	b.Helper()
	var buf bytes.Buffer
	for i := 0; buf.Len() < 16<<20; i++ {
		fmt.Fprintf(&buf, "2026-01-02T03:04:05.%06dZ INFO request done method=GET path=/api/v1/items/%d status=200 dur=%dus\n",
			i%1000000, i*7919%100000, i*104729%100000)
	}
	path := filepath.Join(b.TempDir(), "app.log")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkShip is gtail's read-and-ship loop over a 16 MiB log: batches
// of complete lines read with follow.Batch at the state's offset (4 MiB,
// gtail's default --flush-bytes, and 256 KiB), each appended exactly once
// through the Appender to an in-process osslocal. b.N counts passes over
// the file; every pass starts a new object.
func BenchmarkShip(b *testing.B) {
	path := benchLog(b)
	for _, bc := range []struct {
		name  string
		batch int
		gzip  bool
	}{
		{"Batch4MiB", 4 << 20, false},
		{"Batch256KiB", 256 << 10, false},
		{"Batch4MiB/Gzip", 4 << 20, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ts := osslocaltest.Start(b, func(o *osslocal.Options) { o.Faults = nil })
			vars := map[string]string{}
			for _, kv := range ts.Env() {
				k, v, _ := strings.Cut(kv, "=")
				vars[k] = v
			}
			cfg, err := ossx.Load(ossx.Options{}, func(k string) string { return vars[k] })
			if err != nil {
				b.Fatal(err)
			}
			bucket, err := cfg.OpenBucket(ts.Bucket)
			if err != nil {
				b.Fatal(err)
			}
			app := &Appender{Bucket: bucket, Retry: cfg.Retry, Gzip: bc.gzip, Log: slog.New(slog.DiscardHandler)}
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				b.Fatal(err)
			}
			size := fi.Size()
			ctx := context.Background()
			b.SetBytes(size)
			b.ReportAllocs()
			var buf, enc []byte
			pass := 0
			for b.Loop() {
				obj := Object{Key: fmt.Sprintf("ship/%d", pass%4)}
				if pass >= 4 { // reuse four keys: the in-memory server stays small
					bucket.DeleteObject(obj.Key)
				}
				pass++
				for off := int64(0); off < size; {
					data, err := follow.Batch(f, off, size, bc.batch, false, buf)
					if err != nil {
						b.Fatal(err)
					}
					buf = data[:0]
					body := app.Encode(enc, data)
					if app.Gzip {
						enc = body
					}
					if obj, err = app.Append(ctx, obj, body); err != nil {
						b.Fatal(err)
					}
					off += int64(len(data))
				}
			}
		})
	}
}

// BenchmarkBatch is the read half alone: follow.Batch over a file in the
// page cache, finding the last newline of each 4 MiB batch.
func BenchmarkBatch(b *testing.B) {
	path := benchLog(b)
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	size := fi.Size()
	b.SetBytes(size)
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		for off := int64(0); off < size; {
			data, err := follow.Batch(f, off, size, 4<<20, false, buf)
			if err != nil {
				b.Fatal(err)
			}
			buf = data[:0]
			off += int64(len(data))
		}
	}
}
