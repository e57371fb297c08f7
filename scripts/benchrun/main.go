// Command benchrun is scripts/bench: it measures the ossx tools as users
// run them — whole processes against an osslocal server, wall time, user and
// system CPU and peak RSS from wait4's rusage — each beside a baseline from
// the same run (curl PUTting the same bytes by presigned URL, cat, the
// harness's own SDK loops against the same osslocal), and writes the figures
// into BENCHMARKS.md between its generated-section markers, keeping the
// hand-written analysis around them.
//
// The sizes come from the environment, so that a quick run checks the
// script end to end: see the knobs in loadConfig.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// config holds the sizes of every measurement.
type config struct {
	bin  string // directory holding the built tools
	out  string // the report, normally BENCHMARKS.md
	work string // scratch directory, on tmpfs when there is one

	size       int64         // BENCH_SIZE: the big upload
	smallN     int           // BENCH_SMALL_N: sequential 4 KiB uploads
	dirFiles   int           // BENCH_DIR_FILES: files in the -r directory
	gtailFor   time.Duration // BENCH_GTAIL_SECONDS: how long the writer writes
	gtailMax   int64         // BENCH_GTAIL_MAX: at most this many bytes
	idleFor    time.Duration // BENCH_IDLE_SECONDS: idle CPU window
	idleFiles  int           // quiet files followed during the idle window
	latSamples int           // BENCH_LAT_SAMPLES: write → visible samples
	objects    int           // BENCH_OBJECTS: keys listed by ossls
	repeat     int           // BENCH_REPEAT: runs of the big and directory uploads
	quick      bool
	note       string // BENCH_NOTE: said in the report's first line
}

func loadConfig() (config, error) {
	quick := os.Getenv("BENCH_QUICK") == "1"
	c := config{
		bin: "bin", out: "BENCHMARKS.md",
		size: 256 << 20, smallN: 100, dirFiles: 1000,
		gtailFor: 10 * time.Second, gtailMax: 2 << 30,
		idleFor: 30 * time.Second, idleFiles: 10,
		latSamples: 200, objects: 100000, repeat: 3, quick: quick,
	}
	if quick {
		c.size, c.smallN, c.dirFiles = 32<<20, 10, 100
		c.gtailFor, c.gtailMax = 3*time.Second, 256<<20
		c.idleFor, c.latSamples, c.objects, c.repeat = 5*time.Second, 30, 5000, 1
	}
	var err error
	get := func(name string, set func(string) error) {
		if v := os.Getenv(name); v != "" && err == nil {
			if e := set(v); e != nil {
				err = fmt.Errorf("%s=%q: %v", name, v, e)
			}
		}
	}
	intVar := func(p *int) func(string) error {
		return func(s string) (e error) { *p, e = strconv.Atoi(s); return }
	}
	secVar := func(p *time.Duration) func(string) error {
		return func(s string) error {
			n, e := strconv.ParseFloat(s, 64)
			*p = time.Duration(n * float64(time.Second))
			return e
		}
	}
	sizeVar := func(p *int64) func(string) error {
		return func(s string) (e error) { *p, e = parseSize(s); return }
	}
	get("BENCH_BIN", func(s string) error { c.bin = s; return nil })
	get("BENCH_OUT", func(s string) error { c.out = s; return nil })
	get("BENCH_NOTE", func(s string) error { c.note = s; return nil })
	get("BENCH_SIZE", sizeVar(&c.size))
	get("BENCH_SMALL_N", intVar(&c.smallN))
	get("BENCH_DIR_FILES", intVar(&c.dirFiles))
	get("BENCH_GTAIL_SECONDS", secVar(&c.gtailFor))
	get("BENCH_GTAIL_MAX", sizeVar(&c.gtailMax))
	get("BENCH_IDLE_SECONDS", secVar(&c.idleFor))
	get("BENCH_LAT_SAMPLES", intVar(&c.latSamples))
	get("BENCH_OBJECTS", intVar(&c.objects))
	get("BENCH_REPEAT", intVar(&c.repeat))
	if c.repeat < 1 {
		err = fmt.Errorf("BENCH_REPEAT=%d: want at least 1", c.repeat)
	}
	return c, err
}

// parseSize reads 1GiB, 64MiB, 4KiB, 1G, 512M or a plain byte count.
func parseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suf   string
		shift uint
	}{{"gib", 30}, {"mib", 20}, {"kib", 10}, {"gb", 30}, {"mb", 20}, {"kb", 10}, {"g", 30}, {"m", 20}, {"k", 10}} {
		if strings.HasSuffix(t, u.suf) {
			t, mult = strings.TrimSuffix(t, u.suf), 1<<u.shift
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("want a size such as 1GiB or 64MiB")
	}
	return n * mult, nil
}

func main() {
	serve := flag.String("serve-osslocal", "", "internal: serve the osslocal package, writing the env file `FILE`")
	serveBucket := flag.String("serve-bucket", "bench", "internal: bucket for -serve-osslocal")
	flag.Usage = func() {
		fmt.Fprint(os.Stderr, `usage: scripts/bench   (go run ./scripts/benchrun)

Measures the tools in bin/ against osslocal and writes BENCHMARKS.md.
Environment:
  BENCH_QUICK=1          small sizes everywhere (a check that it all works)
  BENCH_SIZE=256MiB      the big upload and the big download
  OSSUTIL=PATH           an ossutil binary to measure beside curl (default: ossutil on PATH)
  BENCH_SMALL_N=100      sequential 4 KiB uploads (alternating with curl and ossutil)
  BENCH_DIR_FILES=1000   files in the ossuploader -r directory
  BENCH_GTAIL_SECONDS=10 how long the gtail writer writes
  BENCH_GTAIL_MAX=2GiB   at most this many bytes written
  BENCH_IDLE_SECONDS=30  gtail idle-CPU window
  BENCH_LAT_SAMPLES=200  gtail write→visible samples
  BENCH_OBJECTS=100000   keys listed by ossls
  BENCH_REPEAT=3         runs of each big upload, download and directory upload (the median is kept)
  BENCH_ONLY=gtail,ossls only these steps (binary, crc64, uploads, download, gtail, ossls); the
                         report then holds only them: pair it with BENCH_OUT
  BENCH_BIN=bin          where the tools are
  BENCH_OUT=BENCHMARKS.md
  BENCH_NOTE=TEXT        said in the report's first line (e.g. what else ran on the machine)
`)
	}
	flag.Parse()
	if *serve != "" {
		if err := serveMain(*serve, *serveBucket); err != nil {
			fmt.Fprintln(os.Stderr, "benchrun: error:", err)
			os.Exit(1)
		}
		return
	}
	cfg, err := loadConfig()
	if err == nil {
		err = run(cfg)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: error:", err)
		os.Exit(1)
	}
}

func run(cfg config) error {
	for _, t := range []string{"ossuploader", "gtail", "ossls", "ossget"} {
		if !fileExists(filepath.Join(cfg.bin, t)) {
			return fmt.Errorf("%s/%s is missing; run make build (make bench does)", cfg.bin, t)
		}
	}
	base := os.TempDir()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		base = "/dev/shm" // tmpfs: the disk is not what is measured
	}
	work, err := os.MkdirTemp(base, "ossx-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	cfg.work = work
	if cfg.bin, err = filepath.Abs(cfg.bin); err != nil {
		return err
	}

	b := &bench{cfg: cfg, rep: newReport(cfg)}
	// The tools and ossutil run from copies made as install.sh makes them
	// (installCopies says why); sizes are read from bin.
	ossutil := findOssutil()
	var cleanup func()
	b.bins, cleanup, err = installCopies(cfg.bin, ossutil, []string{"ossuploader", "gtail", "ossls", "ossget", "ossrm"})
	if err != nil {
		return err
	}
	defer cleanup()
	srv, err := startServer(cfg.bin, work, "bench")
	if err != nil {
		return err
	}
	defer srv.stop()
	b.srv = srv
	b.rep.server = srv.how
	b.rep.ossutil = ossutil
	// HOME and XDG_STATE_HOME inside the scratch directory: no ossutil
	// config file of the user's is read, no checkpoint or state left behind.
	b.p = proc{env: append(srv.environ(), "HOME="+work, "XDG_STATE_HOME="+filepath.Join(work, "state"), "NO_PROXY=*"),
		timeBin: gnuTime(), work: work}
	b.rep.rssHow = "GNU time's %M around each process (within ~1 MiB: time's own image); VmHWM from /proc for gtail while it runs"
	if b.p.timeBin == "" {
		b.rep.rssHow = "not measured for short processes: GNU time is missing (apt-get install time); VmHWM from /proc for gtail"
		logf("GNU time not found: peak RSS of short processes is not measured")
	}

	start := time.Now()
	steps := []struct {
		name string
		fn   func() error
	}{
		{"binary sizes", b.sizes},
		{"crc64", b.crc},
		{"uploads", b.uploads},
		{"download", b.download},
		{"gtail", b.gtail},
		{"ossls", b.ossls},
	}
	only := os.Getenv("BENCH_ONLY") // e.g. "gtail,ossls": a subset while iterating
	for _, s := range steps {
		if only != "" && !slices.Contains(strings.Split(only, ","), strings.Fields(s.name)[0]) {
			continue
		}
		logf("== %s", s.name)
		if err := s.fn(); err != nil {
			b.rep.failf("%s: %v", s.name, err)
			logf("%s failed: %v", s.name, err)
		}
	}
	b.rep.elapsed = time.Since(start)
	if err := b.rep.write(cfg.out); err != nil {
		return err
	}
	logf("wrote %s in %s", cfg.out, b.rep.elapsed.Round(time.Second))
	for _, t := range b.rep.targets {
		mark := "met   "
		if !t.met {
			mark = "MISSED"
		}
		logf("%s %s (%s): %s", mark, t.name, t.goal, t.got)
	}
	if len(b.rep.failures) > 0 {
		return fmt.Errorf("%d measurement(s) failed (listed in %s)", len(b.rep.failures), cfg.out)
	}
	return nil
}

// bench is one run.
type bench struct {
	cfg  config
	srv  *server
	p    proc
	rep  *report
	bins map[string]string // the copies run (installCopies): tool name or "ossutil" → path
}

// tool is the path of the copy of bin/name that is run.
func (b *bench) tool(name string) string {
	if p, ok := b.bins[name]; ok {
		return p
	}
	return filepath.Join(b.cfg.bin, name)
}

// gnuTime returns the path of GNU time, or "" (a shell's time keyword or
// BSD time cannot report peak RSS the same way).
func gnuTime() string {
	p, err := exec.LookPath("time")
	if err != nil {
		p = "/usr/bin/time"
	}
	out, _ := exec.Command(p, "--version").CombinedOutput()
	if !strings.Contains(string(out), "GNU") {
		return ""
	}
	return p
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

func (b *bench) sizes() error {
	for _, t := range []string{"ossuploader", "gtail", "ossls", "ossget", "ossrm", "osslocal"} {
		fi, err := os.Stat(filepath.Join(b.cfg.bin, t))
		if err != nil {
			continue
		}
		b.rep.binSizes = append(b.rep.binSizes, binSize{t, fi.Size()})
		b.rep.target(t+" binary size", "≤ 7 MB, stripped",
			fmt.Sprintf("%s B (%s)", grouped(fi.Size()), iec(fi.Size())), fi.Size() <= 7e6)
	}
	// The multi-call binary of every tool (cmd/ossx).
	if fi, err := os.Stat(filepath.Join(b.cfg.bin, "ossx")); err == nil {
		b.rep.binSizes = append(b.rep.binSizes, binSize{"ossx (multi-call, every tool)", fi.Size()})
		b.rep.target("ossx multi-call binary size", "≤ 10 MB, stripped, every tool",
			fmt.Sprintf("%s B (%s)", grouped(fi.Size()), iec(fi.Size())), fi.Size() <= 10e6)
	}
	return nil
}
