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

// keyLineCounter counts the lines that name an object (hold "oss://"),
// whole lines however the pipe splits them.
type keyLineCounter struct {
	n    int64
	part []byte // the unfinished last line
}

func (c *keyLineCounter) Write(p []byte) (int, error) {
	for _, line := range bytes.SplitAfter(append(c.part, p...), []byte{'\n'}) {
		if len(line) == 0 || line[len(line)-1] != '\n' {
			c.part = append(c.part[:0:0], line...)
			return len(p), nil
		}
		if bytes.Contains(line, []byte("oss://")) {
			c.n++
		}
	}
	c.part = c.part[:0]
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

	// Each variant runs BENCH_REPEAT times, alternating, so that ossls and
	// ossutil see the same load; the row is the run of median wall time.
	type variant struct {
		name    string
		bin     string
		args    []string
		n       int
		keyLine bool // count only the lines naming a key (ossutil adds a header and a summary)
		runs    []Usage
	}
	vs := []*variant{
		{name: "`ossls -r oss://bench/ls/`", bin: b.tool("ossls"), args: []string{"-r", "oss://bench/ls/"}, n: total},
		{name: "`ossls -r -l oss://bench/ls/`", bin: b.tool("ossls"), args: []string{"-r", "-l", "oss://bench/ls/"}, n: total},
		{name: "`ossls -r --json oss://bench/ls/`", bin: b.tool("ossls"), args: []string{"-r", "--json", "oss://bench/ls/"}, n: total},
		{name: fmt.Sprintf("`ossls -r oss://bench/ls/a/` (%d keys: is memory flat?)", small), bin: b.tool("ossls"), args: []string{"-r", "oss://bench/ls/a/"}, n: small},
	}
	ossutil := b.ossutil()
	if ossutil != "" {
		vs = append(vs,
			&variant{name: "`ossutil ls -s oss://bench/ls/` (names only, like ossls)", bin: ossutil, args: b.ossutilArgs("ls", "-s", "oss://bench/ls/"), n: total, keyLine: true},
			&variant{name: "`ossutil ls oss://bench/ls/` (long, like ossls -l)", bin: ossutil, args: b.ossutilArgs("ls", "oss://bench/ls/"), n: total, keyLine: true})
	}
	for r := range b.cfg.repeat {
		for _, v := range vs {
			logf("run %d/%d: %s", r+1, b.cfg.repeat, v.name)
			var lines lineCounter
			var keys keyLineCounter
			c := b.p.command(v.bin, v.args...)
			c.Stdout = &lines
			if v.keyLine {
				c.Stdout = &keys
			}
			u, err := b.p.runCmd(c)
			if err != nil {
				return err
			}
			got := lines.n.Load()
			if v.keyLine {
				got = keys.n
			}
			if got != int64(v.n) {
				return fmt.Errorf("%s printed %d keys, want %d", v.name, got, v.n)
			}
			v.runs = append(v.runs, u)
		}
	}
	for _, v := range vs {
		st := summarize(v.runs)
		rate := float64(v.n) / st.median.Wall.Seconds()
		s.add(v.name, st.median, fmt.Sprintf("%.0f keys/s", rate), fmt.Sprintf("%s of the SDK loop's rate", ratio(rate, sdkRate)))
	}
	plain, plainSmall := summarize(vs[0].runs).median, summarize(vs[3].runs).median
	s.info("SDK ListObjectsV2 loop in the harness (1000 per page, no output)", fmt.Sprintf("%.0f keys/s", sdkRate), true)
	s.note("Output goes to a pipe read by the harness, which counts the lines (each run printed exactly one line per key; ossutil's header and summary lines are not counted). Median of %d alternating runs each.", b.cfg.repeat)
	if ossutil != "" {
		for _, pair := range [][2]int{{0, 4}, {1, 5}} {
			t, o := summarize(vs[pair[0]].runs), summarize(vs[pair[1]].runs)
			s.note("CPU (user+sys, median): %s %s vs %s %s = %s.", vs[pair[0]].name, dur(t.medianCPU), vs[pair[1]].name, dur(o.medianCPU), ratio(t.medianCPU.Seconds(), o.medianCPU.Seconds()))
		}
		t, o := summarize(vs[0].runs).medianCPU, summarize(vs[4].runs).medianCPU
		b.rep.target("ossls CPU vs ossutil", "≤ 0.5× ossutil's",
			fmt.Sprintf("%s vs `ossutil ls -s` %s = %s (%d keys, median of %d)", dur(t), dur(o), ratio(t.Seconds(), o.Seconds()), total, b.cfg.repeat),
			t.Seconds() <= 0.5*o.Seconds())
	}
	rate := float64(total) / plain.Wall.Seconds()
	b.rep.target("ossls rate", "≥ 50,000 keys/s",
		fmt.Sprintf("%.0f keys/s over %d keys (the server alone, listed by the SDK: %.0f keys/s)", rate, total, sdkRate), rate >= 50000)
	flat := plain.MaxRSS <= plainSmall.MaxRSS+plainSmall.MaxRSS/5
	b.rep.target("ossls flat memory", "peak RSS at N keys ≈ at N/10",
		fmt.Sprintf("%s for %d keys, %s for %d", iec(plain.MaxRSS), total, iec(plainSmall.MaxRSS), small), flat)
	return nil
}
