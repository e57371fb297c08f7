package main

import (
	"crypto/md5"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// writeRandomFile writes size incompressible bytes to path.
func writeRandomFile(path string, size int64, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	buf := make([]byte, 1<<20)
	for left := size; left > 0; left -= int64(len(buf)) {
		r.Read(buf)
		n := min(int64(len(buf)), left)
		if _, err := f.Write(buf[:n]); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// presign returns a presigned PUT URL for key, what curl uploads to.
func (b *bench) presign(key string) (string, error) {
	return b.srv.bucket.SignURL(key, oss.HTTPPut, 3600)
}

// curlPut uploads path to key by presigned URL, like an app without an SDK.
func (b *bench) curlPut(path, key string) (Usage, error) {
	url, err := b.presign(key)
	if err != nil {
		return Usage{}, err
	}
	return b.p.run("curl", "-sS", "--fail", "-o", "/dev/null", "-T", path, url)
}

// checkObject fails unless key holds size bytes: a measurement of an
// upload that did not arrive would be meaningless.
func (b *bench) checkObject(key string, size int64) error {
	h, err := b.srv.bucket.GetObjectMeta(key)
	if err != nil {
		return fmt.Errorf("check %s: %w", key, err)
	}
	if got := h.Get("Content-Length"); got != fmt.Sprint(size) {
		return fmt.Errorf("check %s: %s bytes, want %d", key, got, size)
	}
	return nil
}

func (b *bench) uploads() error {
	errs := []error{b.bigUpload(), b.smallUploads(), b.dirUpload()}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (b *bench) bigUpload() error {
	size := b.cfg.size
	reps := b.cfg.repeat
	s := b.rep.section(fmt.Sprintf("Upload: one %s file (median of %d runs each)", iec(size), reps))
	big := filepath.Join(b.cfg.work, "big.bin")
	logf("writing %s of random bytes", iec(size))
	if err := writeRandomFile(big, size, 1); err != nil {
		return err
	}
	defer os.Remove(big)
	defer b.srv.deletePrefix("big/")

	// The runs: curl and each ossuploader variant, alternating, repeated,
	// so that all of them see the same load on a busy machine.
	type variant struct {
		name string
		run  func(key string) (Usage, error)
		runs []Usage
		srv  []time.Duration // osslocal's CPU while receiving
	}
	tool := func(extra ...string) func(string) (Usage, error) {
		return func(key string) (Usage, error) {
			args := append([]string{"-q", "--progress", "never"}, extra...)
			return b.p.run(b.tool("ossuploader"), append(args, big, "oss://bench/"+key)...)
		}
	}
	vs := []*variant{
		{name: "`curl -T` by presigned URL (one PUT)", run: func(key string) (Usage, error) { return b.curlPut(big, key) }},
		{name: "ossuploader (defaults: multipart above 64 MiB, 4 jobs)", run: tool()},
		{name: "ossuploader --multipart-threshold above the size (one PUT, like curl)", run: tool("--multipart-threshold", fmt.Sprint(size+1))},
	}
	if ossutil := b.ossutil(); ossutil != "" {
		vs = append(vs, &variant{name: "`ossutil cp` (its defaults)", run: func(key string) (Usage, error) {
			return b.p.run(ossutil, b.ossutilArgs("cp", "-f", big, "oss://bench/"+key)...)
		}})
	}
	var cats []Usage
	for r := range reps {
		c, err := b.p.run("cat", big)
		if err != nil {
			return err
		}
		cats = append(cats, c)
		// Each round starts with the next variant, so that none always
		// runs in the same place: in a fixed order the multipart run
		// always followed the deletion of curl's 256 MiB in osslocal
		// (whose GC and scavenger share the 2 cores), and it measured
		// 1.24-1.25x curl's CPU where interleaved A/B runs gave 0.95-1.16x.
		for j := range vs {
			i := (j + r) % len(vs)
			v := vs[i]
			logf("run %d/%d: %s", r+1, reps, v.name)
			key := fmt.Sprintf("big/%d.bin", i)
			before := b.srv.cpu()
			u, err := v.run(key)
			if err != nil {
				return err
			}
			v.srv = append(v.srv, b.srv.cpu()-before)
			if err := b.checkObject(key, size); err != nil {
				return err
			}
			v.runs = append(v.runs, u)
			b.srv.deletePrefix("big/")
		}
	}
	cat := summarize(cats).median
	s.baseline("`cat FILE > /dev/null`", cat, mbps(size, cat.Wall))
	curl := summarize(vs[0].runs)
	s.baseline(vs[0].name, curl.median, mbps(size, curl.median.Wall))
	perByte := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(size) }
	for _, v := range vs[1:] {
		st := summarize(v.runs)
		s.add(v.name, st.median, mbps(size, st.median.Wall),
			fmt.Sprintf("CPU %.2f ns/B = %s curl's, wall %s", perByte(st.medianCPU), ratio(st.medianCPU.Seconds(), curl.medianCPU.Seconds()), ratio(st.median.Wall.Seconds(), curl.median.Wall.Seconds())))
	}
	for _, v := range vs {
		slices.Sort(v.srv)
		s.note("osslocal used %s CPU (median) receiving %s.", dur(v.srv[len(v.srv)/2]), v.name)
	}
	s.note("Rows are the run of median wall time; CPU ratios compare median CPU times.")
	tp, cp := perByte(summarize(vs[1].runs).medianCPU), perByte(curl.medianCPU)
	sp := perByte(summarize(vs[2].runs).medianCPU)
	s.note("curl spends %.2f ns of client CPU per byte (median).", cp)
	b.rep.target("Upload CPU per byte (multipart)", "≤ 1.2× curl's",
		fmt.Sprintf("%.2f ns/B vs curl %.2f ns/B = %s (ossuploader defaults, %s, median of %d)", tp, cp, ratio(tp, cp), iec(size), reps),
		tp <= 1.2*cp)
	// The floor of a single PUT: the Content-MD5 it must carry, measured
	// here so that the reader can set it beside curl's whole cost.
	floor := ""
	if md5ns, err := md5PerByte(size); err != nil {
		s.note("crypto/md5 alone was not measured: %v.", err)
	} else {
		s.note("crypto/md5 alone (the Content-MD5 a single PUT carries), over %s in 1 MiB writes on one thread: %.2f ns/B of thread CPU = %s curl's whole upload; with the CRC64, the read and the send, a single PUT cannot get below it.",
			iec(size), md5ns, ratio(md5ns, cp))
		floor = fmt.Sprintf("; MD5 alone %.2f ns/B = %s curl's", md5ns, ratio(md5ns, cp))
	}
	b.rep.target("Upload CPU per byte (single PUT)", "≤ 1.5× curl's",
		fmt.Sprintf("%.2f ns/B vs curl %.2f ns/B = %s (Content-MD5 and CRC64, median of %d%s)", sp, cp, ratio(sp, cp), reps, floor),
		sp <= 1.5*cp)
	if len(vs) > 3 {
		op := perByte(summarize(vs[3].runs).medianCPU)
		b.rep.target("Upload CPU vs ossutil", "≤ 0.5× ossutil's",
			fmt.Sprintf("%.2f ns/B vs ossutil %.2f ns/B = %s", tp, op, ratio(tp, op)), tp <= 0.5*op)
	}

	// osslocal's own PUT ingest: the same bytes PUT by the harness's SDK
	// client (no hashing on the client), the server's ceiling.
	f, err := os.Open(big)
	if err != nil {
		return err
	}
	defer f.Close()
	start := time.Now()
	if err := b.srv.bucket.PutObject("big/raw.bin", f); err != nil {
		return err
	}
	s.info("osslocal PUT ingest (SDK PUT from the harness)", mbps(size, time.Since(start)), true)
	return nil
}

func (b *bench) smallUploads() error {
	n := b.cfg.smallN
	s := b.rep.section(fmt.Sprintf("Upload: %d sequential 4 KiB files, one process each", n))
	small := filepath.Join(b.cfg.work, "small.bin")
	if err := writeRandomFile(small, 4096, 2); err != nil {
		return err
	}
	defer b.srv.deletePrefix("small/")
	var tool, curl, ossutilRuns []Usage
	var toolRSS, curlRSS int64
	ossutil := b.ossutil()
	// Alternate them so that all see the same load on a busy machine.
	// Wall time and CPU come from bare runs (the time wrapper would add a
	// millisecond to both), peak RSS from a second, wrapped run of each.
	for i := range n {
		if ossutil != "" {
			u, err := b.p.runBare(ossutil, b.ossutilArgs("cp", "-f", small, fmt.Sprintf("oss://bench/small/ossutil-%d", i))...)
			if err != nil {
				return err
			}
			ossutilRuns = append(ossutilRuns, u)
		}
		for _, wrapped := range []bool{false, true} {
			run := b.p.runBare
			if wrapped {
				run = b.p.run
			}
			u, err := run(b.tool("ossuploader"), "-q", small, fmt.Sprintf("oss://bench/small/tool-%d", i))
			if err != nil {
				return err
			}
			url, err := b.presign(fmt.Sprintf("small/curl-%d", i))
			if err != nil {
				return err
			}
			c, err := run("curl", "-sS", "--fail", "-o", "/dev/null", "-T", small, url)
			if err != nil {
				return err
			}
			if wrapped {
				toolRSS, curlRSS = max(toolRSS, u.MaxRSS), max(curlRSS, c.MaxRSS)
			} else {
				tool, curl = append(tool, u), append(curl, c)
			}
		}
	}
	if err := b.checkObject(fmt.Sprintf("small/tool-%d", n-1), 4096); err != nil {
		return err
	}
	ts, cs := summarize(tool), summarize(curl)
	ts.median.MaxRSS, cs.median.MaxRSS = toolRSS, curlRSS
	s.add("ossuploader FILE KEY (median process)", ts.median, fmt.Sprintf("p90 wall %s", dur(ts.p90)),
		fmt.Sprintf("wall %s curl's", ratio(ts.median.Wall.Seconds(), cs.median.Wall.Seconds())))
	s.baseline("`curl -T` by presigned URL (median process)", cs.median, fmt.Sprintf("p90 wall %s", dur(cs.p90)))
	s.note("Wall and CPU from %d bare runs of each (alternating); peak RSS is the largest of %d more runs under GNU time. ossuploader: mean wall %s, mean CPU %s; curl: mean wall %s, mean CPU %s. For processes this short the kernel splits CPU between user and sys by scheduler ticks; their sum is exact.",
		n, n, dur(ts.meanWall), dur(ts.meanCPU), dur(cs.meanWall), dur(cs.meanCPU))
	b.rep.target("4 KiB upload wall time", "≤ curl's",
		fmt.Sprintf("median %s vs curl %s = %s", dur(ts.median.Wall), dur(cs.median.Wall), ratio(ts.median.Wall.Seconds(), cs.median.Wall.Seconds())),
		ts.median.Wall <= cs.median.Wall)
	s.note("CPU per call (user+sys, median): ossuploader %s, curl %s = %s.", dur(ts.medianCPU), dur(cs.medianCPU), ratio(ts.medianCPU.Seconds(), cs.medianCPU.Seconds()))
	if ossutil != "" {
		if err := b.checkObject(fmt.Sprintf("small/ossutil-%d", n-1), 4096); err != nil {
			return err
		}
		oss := summarize(ossutilRuns)
		s.add("`ossutil cp FILE KEY` (median process)", oss.median, fmt.Sprintf("p90 wall %s", dur(oss.p90)),
			fmt.Sprintf("wall %s curl's", ratio(oss.median.Wall.Seconds(), cs.median.Wall.Seconds())))
		s.note("CPU per call (user+sys, median): ossutil %s; ossuploader's is %s of it. Wall: ossuploader %s ossutil's.",
			dur(oss.medianCPU), ratio(ts.medianCPU.Seconds(), oss.medianCPU.Seconds()), ratio(ts.median.Wall.Seconds(), oss.median.Wall.Seconds()))
		b.rep.target("4 KiB upload CPU vs ossutil", "≤ 0.5× ossutil's",
			fmt.Sprintf("median %s vs ossutil %s = %s", dur(ts.medianCPU), dur(oss.medianCPU), ratio(ts.medianCPU.Seconds(), oss.medianCPU.Seconds())),
			ts.medianCPU.Seconds() <= 0.5*oss.medianCPU.Seconds())
	}
	if toolRSS > 0 {
		b.rep.target("4 KiB upload peak RSS", "≤ 10 MB", fmt.Sprintf("%.1f MB = %s (largest of %d; curl %s)", float64(toolRSS)/1e6, iec(toolRSS), n, iec(curlRSS)), toolRSS <= 10e6)
	}
	return nil
}

// stats summarizes repeated runs; median is the run of median wall time.
type stats struct {
	median            Usage
	medianCPU         time.Duration
	p90               time.Duration
	meanWall, meanCPU time.Duration
}

func summarize(us []Usage) stats {
	sorted := slices.Clone(us)
	slices.SortFunc(sorted, func(a, b Usage) int { return int(a.Wall - b.Wall) })
	var st stats
	st.median = sorted[len(sorted)/2]
	st.p90 = sorted[min(len(sorted)-1, len(sorted)*9/10)].Wall
	cpus := make([]time.Duration, 0, len(us))
	for _, u := range us {
		cpus = append(cpus, u.CPU())
	}
	slices.Sort(cpus)
	st.medianCPU = cpus[len(cpus)/2]
	for _, u := range us {
		st.meanWall += u.Wall / time.Duration(len(us))
		st.meanCPU += u.CPU() / time.Duration(len(us))
	}
	return st
}

func (b *bench) dirUpload() error {
	n := b.cfg.dirFiles
	s := b.rep.section(fmt.Sprintf("Upload: a directory of %d files (1–8 KiB; median of %d runs each)", n, b.cfg.repeat))
	dir := filepath.Join(b.cfg.work, "dir")
	defer os.RemoveAll(dir)
	defer b.srv.deletePrefix("dir/")
	var total int64
	var curlCfg strings.Builder
	for i := range n {
		sub := filepath.Join(dir, fmt.Sprintf("d%02d", i%20))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return err
		}
		p := filepath.Join(sub, fmt.Sprintf("f%05d.dat", i))
		size := int64(1024 + (i*7919)%(7*1024))
		if err := writeRandomFile(p, size, uint64(i)+10); err != nil {
			return err
		}
		total += size
		url, err := b.presign(fmt.Sprintf("dir/curl/f%05d.dat", i))
		if err != nil {
			return err
		}
		fmt.Fprintf(&curlCfg, "url = %q\nupload-file = %q\noutput = \"/dev/null\"\n", url, p)
	}
	cfgPath := filepath.Join(b.cfg.work, "curl-dir.cfg")
	if err := os.WriteFile(cfgPath, []byte(curlCfg.String()), 0o600); err != nil {
		return err
	}
	var tools, curls []Usage
	for r := range b.cfg.repeat {
		logf("run %d/%d: ossuploader -r and curl over %d files", r+1, b.cfg.repeat, n)
		u, err := b.p.run(b.tool("ossuploader"), "-q", "-r", dir, "oss://bench/dir/tool/")
		if err != nil {
			return err
		}
		if _, got, err := b.srv.prefixSize("dir/tool/"); err != nil || got != n {
			return fmt.Errorf("ossuploader -r stored %d of %d files (%v)", got, n, err)
		}
		c, err := b.p.run("curl", "-sS", "--fail", "-Z", "--parallel-max", "4", "-K", cfgPath)
		if err != nil {
			return err
		}
		if _, got, err := b.srv.prefixSize("dir/curl/"); err != nil || got != n {
			return fmt.Errorf("curl stored %d of %d files (%v)", got, n, err)
		}
		tools, curls = append(tools, u), append(curls, c)
		b.srv.deletePrefix("dir/")
	}
	ts, cs := summarize(tools), summarize(curls)
	u, c := ts.median, cs.median
	s.add("ossuploader -r DIR PREFIX/ (4 jobs)", u, fmt.Sprintf("%.0f files/s", float64(n)/u.Wall.Seconds()),
		fmt.Sprintf("wall %s, CPU %s curl's", ratio(u.Wall.Seconds(), c.Wall.Seconds()), ratio(ts.medianCPU.Seconds(), cs.medianCPU.Seconds())))
	s.baseline("one `curl -Z --parallel-max 4` process, presigned URLs", c, fmt.Sprintf("%.0f files/s", float64(n)/c.Wall.Seconds()))
	s.note("%s in all.", iec(total))
	return nil
}

// ossutil returns the copy of the ossutil binary that is run beside curl
// (installCopies), "" when there is none.
func (b *bench) ossutil() string { return b.bins["ossutil"] }

// findOssutil locates the ossutil binary to measure beside curl: $OSSUTIL,
// else ossutil or ossutil64 on PATH; "" when there is none.
func findOssutil() string {
	if p := os.Getenv("OSSUTIL"); p != "" {
		if abs, err := filepath.Abs(p); err == nil {
			return abs // the tools run in the scratch directory
		}
		return p
	}
	for _, name := range []string{"ossutil", "ossutil64"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// ossutilArgs adds the endpoint and keys of the bench server to an ossutil
// command (ossutil 1.7's -e -i -k; no config file is read: HOME is the
// scratch directory).
func (b *bench) ossutilArgs(args ...string) []string {
	e := b.srv.env
	return append(args, "-e", e["OSS_ENDPOINT"], "-i", e["OSS_ACCESS_KEY_ID"], "-k", e["OSS_ACCESS_KEY_SECRET"])
}

// md5PerByte is the CPU time crypto/md5 takes per byte on the measuring
// thread (RUSAGE_THREAD, as for the CRC64 step), over size bytes hashed in
// 1 MiB writes, as a single PUT's first pass feeds it.
func md5PerByte(size int64) (float64, error) {
	buf := make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{5}).Read(buf)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before, err := threadCPU()
	if err != nil {
		return 0, err
	}
	h := md5.New()
	var hashed int64
	for hashed < size {
		h.Write(buf)
		hashed += int64(len(buf))
	}
	h.Sum(nil)
	after, err := threadCPU()
	if err != nil {
		return 0, err
	}
	return float64((after - before).Nanoseconds()) / float64(hashed), nil
}
