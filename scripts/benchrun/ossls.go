package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// lineCounter counts the lines ossls prints.
type lineCounter struct{ n atomic.Int64 }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n.Add(int64(bytes.Count(p, []byte{'\n'})))
	return len(p), nil
}

// seed PUTs n small objects below prefix with 16 concurrent clients and
// returns how long it took: osslocal's ingest rate for small PUTs.
func (b *bench) seed(prefix string, from, n int) (time.Duration, error) {
	const workers = 16
	keys := make(chan int)
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for i := range keys {
				key := fmt.Sprintf("%s%08d.log", prefix, i)
				if err := b.srv.bucket.PutObject(key, strings.NewReader("x")); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for i := from; i < from+n; i++ {
		keys <- i
	}
	close(keys)
	wg.Wait()
	return time.Since(start), firstErr
}

func (b *bench) ossls() error {
	total := b.cfg.objects
	small := max(total/10, 1)
	s := b.rep.section(fmt.Sprintf("ossls: listing %d objects", total))
	defer b.srv.deletePrefix("ls/")
	logf("ossls: seeding %d objects", total)
	d, err := b.seed("ls/a/", 0, small)
	if err != nil {
		return err
	}
	d2, err := b.seed("ls/b/", small, total-small)
	if err != nil {
		return err
	}
	s.info(fmt.Sprintf("osslocal PUT ingest: %d one-byte PUTs from the harness, 16 concurrent SDK clients", total),
		fmt.Sprintf("%.0f PUTs/s", float64(total)/(d+d2).Seconds()), true)

	// The SDK's own paging loop in the harness: the list rate of the server
	// and the SDK's XML decoding, without any printing.
	start := time.Now()
	token, listed := "", 0
	for {
		opts := []oss.Option{oss.Prefix("ls/"), oss.MaxKeys(1000)}
		if token != "" {
			opts = append(opts, oss.ContinuationToken(token))
		}
		res, err := b.srv.bucket.ListObjectsV2(opts...)
		if err != nil {
			return err
		}
		listed += len(res.Objects)
		if !res.IsTruncated {
			break
		}
		token = res.NextContinuationToken
	}
	sdk := time.Since(start)
	if listed != total {
		return fmt.Errorf("the bucket lists %d objects, want %d", listed, total)
	}
	sdkRate := float64(total) / sdk.Seconds()

	type variant struct {
		name string
		args []string
		n    int
	}
	var plain, plainSmall Usage
	for i, v := range []variant{
		{"`ossls -r oss://bench/ls/`", []string{"-r", "oss://bench/ls/"}, total},
		{"`ossls -r -l oss://bench/ls/`", []string{"-r", "-l", "oss://bench/ls/"}, total},
		{"`ossls -r --json oss://bench/ls/`", []string{"-r", "--json", "oss://bench/ls/"}, total},
		{fmt.Sprintf("`ossls -r oss://bench/ls/a/` (%d keys: is memory flat?)", small), []string{"-r", "oss://bench/ls/a/"}, small},
	} {
		logf("%s", v.name)
		var out lineCounter
		c := b.p.command(b.tool("ossls"), v.args...)
		c.Stdout = &out
		u, err := b.p.runCmd(c)
		if err != nil {
			return err
		}
		if got := out.n.Load(); got != int64(v.n) {
			return fmt.Errorf("%s printed %d lines, want %d", v.name, got, v.n)
		}
		rate := float64(v.n) / u.Wall.Seconds()
		s.add(v.name, u, fmt.Sprintf("%.0f keys/s", rate), fmt.Sprintf("%s of the SDK loop's rate", ratio(rate, sdkRate)))
		switch i {
		case 0:
			plain = u
		case 3:
			plainSmall = u
		}
	}
	s.info("SDK ListObjectsV2 loop in the harness (1000 per page, no output)", fmt.Sprintf("%.0f keys/s", sdkRate), true)
	s.note("Output goes to a pipe read by the harness, which counts the lines (each run printed exactly one line per key).")
	rate := float64(total) / plain.Wall.Seconds()
	b.rep.target("ossls rate", "≥ 50,000 keys/s",
		fmt.Sprintf("%.0f keys/s over %d keys (the server alone, listed by the SDK: %.0f keys/s)", rate, total, sdkRate), rate >= 50000)
	flat := plain.MaxRSS <= plainSmall.MaxRSS+plainSmall.MaxRSS/5
	b.rep.target("ossls flat memory", "peak RSS at N keys ≈ at N/10",
		fmt.Sprintf("%s for %d keys, %s for %d", iec(plain.MaxRSS), total, iec(plainSmall.MaxRSS), small), flat)
	return nil
}
