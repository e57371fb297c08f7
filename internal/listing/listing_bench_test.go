package listing

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/ossx/ossx/internal/ossx"
)

// BenchmarkList is what ossls -r does per key, end to end in one process:
// ListObjectsV2 pages of 1000 from an in-process osslocal through the SDK
// (request, the server's XML, the SDK's XML decoding), prefetched by Pages,
// printed in each format. b.N counts passes over 10,000 keys.
func BenchmarkList(b *testing.B) {
	bucket := testBucket(b)
	const keys = 10000
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				key := fmt.Sprintf("logs/2026/01/02/host-%02d/part-%06d.log", i%50, i)
				if err := bucket.PutObject(key, strings.NewReader("x")); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for i := range keys {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, f := range []struct {
		name   string
		format Format
	}{{"Plain", Plain}, {"Long", Long}, {"JSON", JSON}} {
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p := NewPrinter(io.Discard, f.format, false)
				n := 0
				for page, err := range Pages(context.Background(), Objects(bucket, ossx.RetryPolicy{Attempts: 1}, Query{Prefix: "logs/"})) {
					if err != nil {
						b.Fatal(err)
					}
					for i := range page {
						p.Print(&page[i])
					}
					n += len(page)
				}
				if err := p.Flush(); err != nil || n != keys {
					b.Fatalf("listed %d keys, flush: %v", n, err)
				}
			}
			b.ReportMetric(float64(b.N)*keys/b.Elapsed().Seconds(), "keys/s")
		})
	}
}
