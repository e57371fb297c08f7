package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/keytmpl"
)

// logBlock is 64 KiB of log lines (about 110 bytes each, the last one
// complete), what a buffered logger hands to write(2).
func logBlock() []byte {
	var b bytes.Buffer
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; ; i++ {
		line := fmt.Sprintf("2026-01-02T03:04:05.%06dZ INFO request done method=GET path=/api/v1/items/%d status=200 bytes=%d dur=%dus\n",
			i%1000000, r.IntN(100000), r.IntN(1<<20), r.IntN(100000))
		if b.Len()+len(line) > 64<<10 {
			return b.Bytes()
		}
		b.WriteString(line)
	}
}

// gtailProc is a running gtail.
type gtailProc struct {
	cmd    *exec.Cmd
	start  time.Time
	stderr *os.File
}

func (b *bench) startGtail(name string, args ...string) (*gtailProc, error) {
	logPath := filepath.Join(b.cfg.work, name+".gtail.log")
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	state := filepath.Join(b.cfg.work, "gtail-state-"+name)
	c := b.p.command(b.tool("gtail"), append([]string{"--state-dir", state}, args...)...)
	c.Stderr = lf
	g := &gtailProc{cmd: c, start: time.Now(), stderr: lf}
	if err := c.Start(); err != nil {
		lf.Close()
		return nil, err
	}
	return g, nil
}

func (g *gtailProc) pid() int { return g.cmd.Process.Pid }

// stop sends SIGTERM and returns the whole process's usage.
func (g *gtailProc) stop() (Usage, error) {
	defer g.stderr.Close()
	g.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- g.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		g.cmd.Process.Kill()
		<-done
		err = fmt.Errorf("gtail did not stop within 30s of SIGTERM")
	}
	if err != nil {
		return Usage{}, fmt.Errorf("gtail: %v (log %s)", err, g.stderr.Name())
	}
	return usageOf(g.cmd.ProcessState, time.Since(g.start)), nil
}

// waitShipped waits until the objects below prefix hold want bytes in n
// objects (n 0: any number).
func (b *bench) waitShipped(prefix string, want int64, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		got, _, err := b.srv.prefixSize(prefix)
		if err != nil {
			return time.Time{}, err
		}
		if got == want {
			return time.Now(), nil
		}
		if got > want {
			return time.Time{}, fmt.Errorf("%s holds %d bytes, more than the %d written", prefix, got, want)
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%s holds %d of %d bytes after %s", prefix, got, want, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (b *bench) gtail() error {
	s := b.rep.section("gtail")
	var maxRSS int64
	err := b.gtailThroughput(s, &maxRSS)
	if err == nil {
		err = b.gtailIdle(s, &maxRSS)
	}
	if err == nil {
		err = b.gtailLatency(s, &maxRSS)
	}
	if maxRSS > 0 {
		b.rep.target("gtail peak RSS", "≤ 15 MB", fmt.Sprintf("%.1f MB (largest of the gtail runs)", float64(maxRSS)/1e6), maxRSS <= 15e6)
	}
	return err
}

func (b *bench) gtailThroughput(s *section, maxRSS *int64) error {
	dir := filepath.Join(b.cfg.work, "tp")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, "app.log")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer os.Remove(path)
	defer b.srv.deletePrefix("gtail/")
	g, err := b.startGtail("tp", path, "oss://bench/gtail/tp/")
	if err != nil {
		f.Close()
		return err
	}
	// The writer: whole blocks of lines, as fast as write(2) goes, for
	// gtailFor or until gtailMax bytes.
	block := logBlock()
	logf("gtail: writer appends for %s", b.cfg.gtailFor)
	start := time.Now()
	cpu0, _ := procCPU(g.pid())
	srv0 := b.srv.cpu()
	var written int64
	for time.Since(start) < b.cfg.gtailFor && written+int64(len(block)) <= b.cfg.gtailMax {
		if _, err := f.Write(block); err != nil {
			f.Close()
			g.stop()
			return err
		}
		written += int64(len(block))
	}
	writeTime := time.Since(start)
	f.Close()
	shipped, err := b.waitShipped("gtail/tp/", written, 5*time.Minute)
	if err != nil {
		g.stop()
		return err
	}
	cpu1, _ := procCPU(g.pid())
	srvCPU := b.srv.cpu() - srv0
	_, hwm, _ := procRSS(g.pid())
	u, err := g.stop()
	if err != nil {
		return err
	}
	*maxRSS = max(*maxRSS, hwm)
	elapsed := shipped.Sub(start)
	gcpu := cpu1 - cpu0
	live := Usage{Wall: elapsed, User: u.User, Sys: u.Sys, MaxRSS: hwm}
	perCore := float64(written) / 1e6 / gcpu.Seconds()

	b.srv.deletePrefix("gtail/tp/") // the in-memory server holds one copy at a time
	cat, err := b.p.run("cat", path)
	if err != nil {
		return err
	}
	// Catch-up: the same bytes shipped by a fresh gtail --once.
	logf("gtail --once over %s", iec(written))
	srv1 := b.srv.cpu()
	once, err := b.p.run(b.tool("gtail"), "--state-dir", filepath.Join(b.cfg.work, "gtail-state-once"), "--once", path, "oss://bench/gtail/once/")
	if err != nil {
		return err
	}
	onceSrv := b.srv.cpu() - srv1
	if got, _, _ := b.srv.prefixSize("gtail/once/"); got != written {
		return fmt.Errorf("gtail --once shipped %d of %d bytes", got, written)
	}
	*maxRSS = max(*maxRSS, once.MaxRSS)
	b.srv.deletePrefix("gtail/")

	// Catch-up with --gzip over the first 512 MiB at most: every append is
	// one gzip member, deflate dominates.
	gzBytes, err := headCopy(path, filepath.Join(dir, "gz.log"), 512<<20)
	if err != nil {
		return err
	}
	logf("gtail --gzip --once over %s", iec(gzBytes))
	gz, err := b.p.run(b.tool("gtail"), "--state-dir", filepath.Join(b.cfg.work, "gtail-state-gz"), "--gzip", "--once",
		filepath.Join(dir, "gz.log"), "oss://bench/gtail/gz/")
	if err != nil {
		return err
	}
	gzStored, _, _ := b.srv.prefixSize("gtail/gz/")
	*maxRSS = max(*maxRSS, gz.MaxRSS)
	os.Remove(filepath.Join(dir, "gz.log"))
	b.srv.deletePrefix("gtail/")

	// osslocal's own append ingest: the same bytes appended in gtail's
	// default batches (--flush-bytes 1MiB) by the harness's SDK client.
	rawBytes := min(written, 512<<20)
	src, err := os.Open(path)
	if err != nil {
		return err
	}
	defer src.Close()
	buf := make([]byte, 1<<20)
	var pos int64
	rawStart := time.Now()
	for pos < rawBytes {
		n, _ := src.ReadAt(buf[:min(int64(len(buf)), rawBytes-pos)], pos)
		if pos, err = b.srv.bucket.AppendObject("gtail/raw.log", bytes.NewReader(buf[:n]), pos); err != nil {
			return fmt.Errorf("raw append: %w", err)
		}
	}
	raw := time.Since(rawStart)

	s.add(fmt.Sprintf("live: writer appends %s in %s, gtail ships it all", iec(written), dur(writeTime)), live,
		fmt.Sprintf("%s wall; **%.0f MB per CPU-second**", mbps(written, elapsed), perCore),
		fmt.Sprintf("%s of raw appends", ratio(float64(written)/elapsed.Seconds(), float64(rawBytes)/raw.Seconds())))
	s.add(fmt.Sprintf("catch-up: `gtail --once` over the same %s", iec(written)), once,
		fmt.Sprintf("%s wall; %.0f MB per CPU-second", mbps(written, once.Wall), float64(written)/1e6/once.CPU().Seconds()),
		fmt.Sprintf("%s of raw appends", ratio(float64(written)/once.Wall.Seconds(), float64(rawBytes)/raw.Seconds())))
	s.add(fmt.Sprintf("catch-up: `gtail --gzip --once` over the first %s", iec(gzBytes)), gz,
		fmt.Sprintf("%s wall; %.0f MB per CPU-second; stored %s (%.1f×)", mbps(gzBytes, gz.Wall),
			float64(gzBytes)/1e6/gz.CPU().Seconds(), iec(gzStored), float64(gzBytes)/float64(max(gzStored, 1))), "")
	s.baseline("`cat FILE > /dev/null`", cat, mbps(written, cat.Wall))
	s.info(fmt.Sprintf("osslocal append ingest: SDK AppendObject loop from the harness, 1 MiB batches, %s", iec(rawBytes)), mbps(rawBytes, raw), true)
	s.note("Live run: wall and rate from the writer's first byte to the last byte visible in OSS; CPU is the whole gtail process (%s of it while shipping). osslocal used %s CPU meanwhile, the writer (in the harness) most of a core.", dur(gcpu), dur(srvCPU))
	s.note("Catch-up run: osslocal used %s CPU.", dur(onceSrv))
	b.rep.target("gtail throughput on one core", "≥ 200 MB/s",
		fmt.Sprintf("%.0f MB per CPU-second live (%s wall with osslocal and the writer on the same %d cores); %.0f MB per CPU-second catch-up",
			perCore, mbps(written, elapsed), runtime.NumCPU(), float64(written)/1e6/once.CPU().Seconds()),
		perCore >= 200)
	return nil
}

func (b *bench) gtailIdle(s *section, maxRSS *int64) error {
	dir := filepath.Join(b.cfg.work, "idle")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	block := logBlock()[:4096]
	block = block[:bytes.LastIndexByte(block, '\n')+1]
	// Each file starts differently: files whose bytes are the start of a
	// followed file's are held back for --rotate-wait as possible
	// copytruncate copies (internal/tail looksLikeCopy).
	var total int64
	for i := range b.cfg.idleFiles {
		data := append([]byte(fmt.Sprintf("quiet file %02d\n", i)), block...)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("quiet-%02d.log", i)), data, 0o644); err != nil {
			return err
		}
		total += int64(len(data))
	}
	g, err := b.startGtail("idle", filepath.Join(dir, "*.log"), "oss://bench/gtail/idle/")
	if err != nil {
		return err
	}
	if _, err := b.waitShipped("gtail/idle/", total, time.Minute); err != nil {
		g.stop()
		return err
	}
	time.Sleep(3 * time.Second) // let the state save and the flush timers settle
	logf("gtail: idle over %d files for %s", b.cfg.idleFiles, b.cfg.idleFor)
	cpu0, _ := procCPU(g.pid())
	t0 := time.Now()
	time.Sleep(b.cfg.idleFor)
	cpu1, _ := procCPU(g.pid())
	window := time.Since(t0)
	rss, hwm, _ := procRSS(g.pid())
	if _, err := g.stop(); err != nil {
		return err
	}
	*maxRSS = max(*maxRSS, hwm)
	pct := 100 * (cpu1 - cpu0).Seconds() / window.Seconds()
	s.info(fmt.Sprintf("idle: following %d quiet files for %s", b.cfg.idleFiles, dur(window)),
		fmt.Sprintf("%.2f%% of a core (%s CPU)", pct, dur(cpu1-cpu0)), false)
	s.note("Idle CPU from /proc/PID/stat (10 ms ticks) over the window, after the files were shipped; RSS at its end %s, peak %s.", iec(rss), iec(hwm))
	b.rep.target("gtail idle CPU", "≈ 0% (no busy polling; < 0.5% of a core)",
		fmt.Sprintf("%.2f%% of a core over %s, %d files", pct, dur(window), b.cfg.idleFiles), pct < 0.5)
	return nil
}

func (b *bench) gtailLatency(s *section, maxRSS *int64) error {
	dir := filepath.Join(b.cfg.work, "lat")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "lat.log")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// --flush-interval 1ms: ship a complete line as soon as gtail sees it;
	// the default (2s) batches on purpose and adds up to that much.
	g, err := b.startGtail("lat", "--flush-interval", "1ms", path, "oss://bench/gtail/lat/")
	if err != nil {
		return err
	}
	logf("gtail: %d write → visible samples", b.cfg.latSamples)
	var key string
	var size int64
	var lat []time.Duration
	r := rand.New(rand.NewPCG(3, 4))
	for i := range b.cfg.latSamples {
		line := []byte(fmt.Sprintf("latency sample %06d %s\n", i, time.Now().UTC().Format(time.RFC3339Nano)))
		t0 := time.Now()
		if _, err := f.Write(line); err != nil {
			g.stop()
			return err
		}
		size += int64(len(line))
		for {
			if key == "" {
				res, err := b.srv.bucket.ListObjectsV2(oss.Prefix("gtail/lat/"))
				for _, o := range res.Objects {
					if err == nil && !keytmpl.IsBookkeeping(o.Key) { // not the owner object
						key = o.Key
					}
				}
			}
			if key != "" {
				h, err := b.srv.bucket.GetObjectMeta(key)
				if err == nil {
					if n, _ := strconv.ParseInt(h.Get("Content-Length"), 10, 64); n >= size {
						break
					}
				}
			}
			if time.Since(t0) > 30*time.Second {
				g.stop()
				return fmt.Errorf("line %d not visible after 30s", i)
			}
			time.Sleep(time.Millisecond)
		}
		lat = append(lat, time.Since(t0))
		time.Sleep(time.Duration(r.IntN(20)) * time.Millisecond)
	}
	_, hwm, _ := procRSS(g.pid())
	u, err := g.stop()
	if err != nil {
		return err
	}
	u.MaxRSS = hwm
	*maxRSS = max(*maxRSS, hwm)
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	s.add(fmt.Sprintf("latency: write → visible in OSS, %d lines, --flush-interval 1ms", len(lat)), u,
		fmt.Sprintf("p50 %s, p90 %s, p99 %s, max %s", dur(pct(0.5)), dur(pct(0.9)), dur(pct(0.99)), dur(lat[len(lat)-1])), "")
	s.note("Latency is polled with HEAD every 1 ms from the harness, so it includes up to ~1 ms of polling; gtail wakes on inotify, folds events for 20 ms, then ships. With the default --flush-interval 2s a line waits up to 2 s more, by design (fewer, larger appends).")
	b.srv.deletePrefix("gtail/")
	return nil
}

// headCopy copies the first max bytes of src (whole lines: src is made of
// whole 64 KiB blocks of lines) to dst and returns how many it copied.
func headCopy(src, dst string, max int64) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, io.LimitReader(in, max-max%int64(len(logBlock()))))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return n, err
}
