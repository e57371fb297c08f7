//go:build unix

package main

// The logrotate soak: the real logrotate (Debian's, 3.21) rotates three
// live log files (two busy, one quiet) every 2–4 s — copytruncate or create, with compress,
// delaycompress and rotate 2 — while gtail (the real main, run as a
// process) follows them, is killed with SIGKILL and restarted in some
// phases, and osslocal answers 503s, resets connections and loses answers
// in others. At the end the objects are read back and every line is
// accounted for:
//
//   - written: lines the writer wrote (numbered 1..N, each self-checking)
//   - in files: lines that were whole in some file gtail could see: every
//     logrotate .1 is archived as logrotate makes it (postrotate) and again
//     just before logrotate shifts it to .2 and compresses it (firstaction),
//     and the live files and .1 at the end
//   - lost-in-file: in files, never shipped — gtail's loss
//   - duplicated: extra copies of a line shipped more than once
//   - torn: shipped bytes that are not a whole line, except the fragments
//     logrotate made (lr-torn): its copy ending mid-line, or the start of a
//     line its truncate cut off
//   - misplaced: whole lines shipped under another file's name
//   - lr-window: lines written but never whole in any file — logrotate
//     dropped them between its copy and its truncate (copytruncate only);
//     lr-window-shipped says how many of those gtail shipped anyway (it read
//     them from the original before the truncate)
//
// The test fails when lost-in-file, duplicated, torn or misplaced is not 0.
//
//	OSSX_SOAK=1 go test -run LogrotateSoak -v ./cmd/gtail/      (make soak)
//
// OSSX_SOAK_DURATION (default 3m) is the writing time of all phases
// together; OSSX_SOAK_PHASES (comma-separated names) runs others
// (lrSoakParsePhase: copytruncate-gzip, create-kill-faults-gzip…);
// OSSX_SOAK_REPORT names a file the summary table is written to;
// OSSX_SOAK_LOGS a directory gtail's logs are kept in (PHASE.gtail.log);
// OSSX_SOAK_KEEP a directory a failed phase's whole run is kept in (the
// archive of files, the objects, gtail's state and log, logrotate's -v
// output), to find out what happened; OSSX_SOAK_WRITERS (comma-separated
// file names: c.log) runs only those writers; OSSX_SOAK_KILL_EVERY (MIN-MAX,
// default 3s-10s) is how long gtail runs between kills.
//
// TestLogrotateLiveWriter is the short variant: one copytruncate phase of
// 30 s, gtail running throughout, no faults; it runs whenever logrotate is
// installed (not with -short).

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// lrSoakPhase is one run: a fresh osslocal, log directory and state.
type lrSoakPhase struct {
	name         string
	copytruncate bool     // logrotate's copytruncate, else create (rename)
	kill         bool     // SIGKILL and restart gtail every 3–10 s
	faults       string   // osslocal fault rules while the writers run
	args         []string // more gtail options
	banner       bool     // every new file starts with lrSoakBanner
}

// lrSoakFaults: OSS failing now and then in every way gtail must survive.
const lrSoakFaults = "append:error=503:p=0.05; append:apply-then-fail:p=0.03; append:reset=16k:p=0.03; head:error=503:p=0.05; get:error=503:p=0.03"

// lrSoakPhases are the phases make soak runs; OSSX_SOAK_PHASES may name
// others, built the same way (lrSoakParsePhase).
var lrSoakPhases = []string{"copytruncate", "copytruncate-kill-faults", "create-gzip-faults", "create-kill", "create-banner"}

// lrSoakParsePhase reads a phase name: the rotation (copytruncate or
// create), then any of -kill, -faults, -gzip, -banner.
func lrSoakParsePhase(name string) (lrSoakPhase, error) {
	words := strings.Split(name, "-")
	ph := lrSoakPhase{name: name}
	switch words[0] {
	case "copytruncate":
		ph.copytruncate = true
	case "create":
	default:
		return ph, fmt.Errorf("phase %q: starts with copytruncate or create", name)
	}
	for _, w := range words[1:] {
		switch w {
		case "kill":
			ph.kill = true
		case "faults":
			ph.faults = lrSoakFaults
		case "gzip":
			ph.args = append(ph.args, "--gzip")
		case "banner":
			ph.banner = true
		default:
			return ph, fmt.Errorf("phase %q: %q is not kill, faults, gzip or banner", name, w)
		}
	}
	return ph, nil
}

// lrSoakConfig sizes a run.
type lrSoakConfig struct {
	dur       time.Duration // writing time of one phase
	writers   []lrSoakWriterSpec
	catchUp   time.Duration    // at most this long for gtail to ship the rest
	reportEnv bool             // write the table to $OSSX_SOAK_REPORT
	killEvery [2]time.Duration // gtail runs this long (at random between) between kills
}

type lrSoakWriterSpec struct {
	file      string
	tag       byte
	perSecond float64
	longEvery int // every longEvery-th line is 70–100 KB
}

func TestLogrotateSoak(t *testing.T) {
	if os.Getenv("OSSX_SOAK") != "1" {
		t.Skip("set OSSX_SOAK=1 (make soak)")
	}
	lr := lrSoakLogrotate(t)
	total := 3 * time.Minute
	if s := os.Getenv("OSSX_SOAK_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("OSSX_SOAK_DURATION: %v", err)
		}
		total = d
	}
	names := lrSoakPhases
	if s := os.Getenv("OSSX_SOAK_PHASES"); s != "" {
		names = strings.Split(s, ",")
	}
	var phases []lrSoakPhase
	for _, name := range names {
		ph, err := lrSoakParsePhase(strings.TrimSpace(name))
		if err != nil {
			t.Fatalf("OSSX_SOAK_PHASES: %v", err)
		}
		phases = append(phases, ph)
	}
	cfg := lrSoakConfig{
		dur: total / time.Duration(len(phases)),
		writers: []lrSoakWriterSpec{
			{file: "a.log", tag: 'A', perSecond: 10000, longEvery: 2000},
			{file: "b.log", tag: 'B', perSecond: 2500, longEvery: 500},
			// A quiet log (errors): mostly empty when logrotate looks,
			// a line now and then, rotated soon after it.
			{file: "c.log", tag: 'C', perSecond: 0.4},
		},
		catchUp:   3 * time.Minute,
		reportEnv: true,
		killEvery: [2]time.Duration{3 * time.Second, 10 * time.Second},
	}
	if s := os.Getenv("OSSX_SOAK_WRITERS"); s != "" {
		keep := map[string]bool{}
		for _, f := range strings.Split(s, ",") {
			keep[strings.TrimSpace(f)] = true
		}
		var ws []lrSoakWriterSpec
		for _, w := range cfg.writers {
			if keep[w.file] {
				ws = append(ws, w)
			}
		}
		if len(ws) == 0 {
			t.Fatalf("OSSX_SOAK_WRITERS=%s: names none of a.log, b.log, c.log", s)
		}
		cfg.writers = ws
	}
	if s := os.Getenv("OSSX_SOAK_KILL_EVERY"); s != "" {
		lo, hi, _ := strings.Cut(s, "-")
		a, err1 := time.ParseDuration(lo)
		b, err2 := time.ParseDuration(hi)
		if err1 != nil || err2 != nil || a <= 0 || b <= a {
			t.Fatalf("OSSX_SOAK_KILL_EVERY=%s: want MIN-MAX, as 3s-10s", s)
		}
		cfg.killEvery = [2]time.Duration{a, b}
	}
	lrSoakRun(t, lr, cfg, phases)
}

// TestLogrotateLiveWriter is the short logrotate run (see the top of the
// file): one writer under copytruncate, gtail running throughout.
func TestLogrotateLiveWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	lr := lrSoakLogrotate(t)
	cfg := lrSoakConfig{
		dur: 30 * time.Second,
		writers: []lrSoakWriterSpec{
			{file: "a.log", tag: 'A', perSecond: 5000, longEvery: 1000},
		},
		catchUp: 2 * time.Minute,
	}
	ph, _ := lrSoakParsePhase("copytruncate")
	lrSoakRun(t, lr, cfg, []lrSoakPhase{ph})
}

// lrSoakLogrotate finds logrotate (often in /usr/sbin, not on a user's
// PATH) or skips.
func lrSoakLogrotate(t *testing.T) string {
	if p, err := exec.LookPath("logrotate"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/logrotate", "/sbin/logrotate"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("logrotate is not installed (apt-get install logrotate; make soak installs it when run as root)")
	return ""
}

func lrSoakRun(t *testing.T, lr string, cfg lrSoakConfig, phases []lrSoakPhase) {
	version, _ := exec.Command(lr, "--version").CombinedOutput()
	var results []lrSoakResult
	for _, ph := range phases {
		t.Run(ph.name, func(t *testing.T) {
			r := lrSoakPhaseRun(t, lr, cfg, ph)
			results = append(results, r)
			for _, w := range r.files {
				if w.lostInFile > 0 || w.duplicated > 0 || w.torn > 0 || w.misplaced > 0 {
					t.Errorf("%s: %d lines lost in files (first: %v), %d duplicated, %d torn, %d misplaced",
						w.file, w.lostInFile, w.lostSeqs, w.duplicated, w.torn, w.misplaced)
				}
			}
			if !r.caughtUp {
				t.Errorf("gtail did not ship the writers' last lines within %v", cfg.catchUp)
			}
			if t.Failed() && len(r.lostLogs) > 0 {
				t.Logf("gtail's BYTES LOST lines (first %d):\n%s", len(r.lostLogs), strings.Join(r.lostLogs, "\n"))
			}
		})
	}
	var rates []string
	for _, w := range cfg.writers {
		long := ""
		if w.longEvery > 0 {
			long = fmt.Sprintf(" (every %dth 70-100 KB)", w.longEvery)
		}
		rates = append(rates, fmt.Sprintf("%s %g lines/s%s", w.file, w.perSecond, long))
	}
	head := fmt.Sprintf("logrotate soak: %s; %v of writing per phase; %s\n",
		strings.SplitN(strings.TrimSpace(string(version)), "\n", 2)[0], cfg.dur, strings.Join(rates, ", "))
	table := head + lrSoakTable(results)
	t.Log("\n" + table)
	if p := os.Getenv("OSSX_SOAK_REPORT"); p != "" && cfg.reportEnv {
		if err := os.WriteFile(p, []byte(table), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// lrSoakResult is one phase's outcome.
type lrSoakResult struct {
	phase     string
	files     []lrSoakCount
	starts    int // gtail processes started
	exit      int // the last gtail's exit status
	bytesLost int // BYTES LOST lines in gtail's logs
	lostLogs  []string
	caughtUp  bool
}

type lrSoakCount struct {
	file            string
	rotations       int
	written         int
	inFiles         int
	shipped         int // distinct lines
	lostInFile      int
	lostSeqs        []int // the first few lost-in-file line numbers
	duplicated      int
	torn            int
	misplaced       int
	lrWindow        int
	lrWindowShipped int
	lrTorn          int // shipped fragments logrotate's copy left in the file
}

func lrSoakTable(rs []lrSoakResult) string {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tfile\trotations\twritten\tin files\tshipped\tlost-in-file\tduplicated\ttorn\tmisplaced\tlr-window\tlr-window shipped\tlr-torn\tgtail starts\tBYTES LOST logs\texit\t")
	for _, r := range rs {
		for _, c := range r.files {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d (%.3f%%)\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n",
				r.phase, c.file, c.rotations, c.written, c.inFiles, c.shipped,
				c.lostInFile, 100*float64(c.lostInFile)/float64(max(c.inFiles, 1)),
				c.duplicated, c.torn, c.misplaced, c.lrWindow, c.lrWindowShipped, c.lrTorn,
				r.starts, r.bytesLost, r.exit)
		}
	}
	tw.Flush()
	return b.String()
}

const lrSoakBucket = "logrotate-soak"

func lrSoakPhaseRun(t *testing.T, lr string, cfg lrSoakConfig, ph lrSoakPhase) lrSoakResult {
	root := lrSoakRoot(t, ph.name)
	logs, arch, data := filepath.Join(root, "logs"), filepath.Join(root, "archive"), filepath.Join(root, "oss")
	for _, d := range []string{logs, arch, data} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// On disk: a few minutes of these writers are hundreds of MB.
	ts := osslocaltest.Start(t, func(o *osslocal.Options) {
		o.Buckets, o.DataDir = []string{lrSoakBucket}, data
	})
	cl, err := oss.New(ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := cl.Bucket(lrSoakBucket)
	if err != nil {
		t.Fatal(err)
	}

	var paths []string
	writers := make([]*lrSoakWriter, len(cfg.writers))
	for i, spec := range cfg.writers {
		p := filepath.Join(logs, spec.file)
		paths = append(paths, p)
		writers[i] = lrSoakNewWriter(t, p, spec, !ph.copytruncate, ph.banner)
	}
	conf := lrSoakConfigFile(t, root, arch, paths, ph.copytruncate)

	if ph.faults != "" {
		rules, err := osslocal.ParseFaults(ph.faults)
		if err != nil {
			t.Fatal(err)
		}
		ts.Faults.Set(rules)
	}
	args := append([]string{"--state-dir=" + filepath.Join(root, "state"), "--key={path}/{gen}", "--host=soak"}, ph.args...)
	args = append(args, paths...)
	args = append(args, "oss://"+lrSoakBucket+"/")
	g := &lrSoakGtail{t: t, args: args, env: append(os.Environ(), ts.Env()...), logPath: filepath.Join(root, "gtail.log")}
	t.Cleanup(g.cleanup)
	g.start()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, w := range writers {
		wg.Add(1)
		go func() { defer wg.Done(); w.run(stop) }()
	}
	lrStop, lrDone := make(chan struct{}), make(chan error, 1)
	go func() {
		lrDone <- lrSoakRotateLoop(lr, filepath.Join(root, "logrotate.state"), conf, filepath.Join(root, "logrotate.out"), lrStop)
	}()
	killStop, killDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(killDone)
		if ph.kill {
			g.killLoop(killStop, cfg.killEvery)
		}
	}()

	time.Sleep(cfg.dur)
	close(lrStop)
	if err := <-lrDone; err != nil {
		t.Error(err)
	}
	// The last lines land in the live files, after the last rotation.
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	close(killStop)
	<-killDone
	ts.Faults.Clear()
	for _, w := range writers {
		if err := w.err(); err != nil {
			t.Fatalf("writer %s: %v", w.path, err)
		}
		// The files as the writers left them belong to "in files".
		for i, p := range []string{w.path, w.path + ".1"} {
			if _, err := os.Stat(p); err == nil {
				lrSoakCopy(t, p, filepath.Join(arch, fmt.Sprintf("%s.end.%d", filepath.Base(w.path), i)))
			}
		}
	}

	res := lrSoakResult{phase: ph.name}
	gz := false
	for _, a := range ph.args {
		gz = gz || a == "--gzip"
	}
	res.caughtUp = lrSoakWaitShipped(t, bucket, writers, gz, cfg.catchUp)
	res.exit = g.terminate()
	res.starts = g.starts
	logText, _ := os.ReadFile(g.logPath)
	for _, l := range strings.Split(string(logText), "\n") {
		if strings.Contains(l, "BYTES LOST") {
			res.bytesLost++
			if len(res.lostLogs) < 20 {
				res.lostLogs = append(res.lostLogs, l)
			}
		}
	}
	res.files = lrSoakAccount(t, bucket, arch, writers, gz)
	if dir := os.Getenv("OSSX_SOAK_LOGS"); dir != "" {
		lrSoakCopy(t, g.logPath, filepath.Join(dir, ph.name+".gtail.log"))
	}
	return res
}

// lrSoakRoot is the phase's directory: a test temporary one, or with
// $OSSX_SOAK_KEEP one there that is removed only when the phase passes.
func lrSoakRoot(t *testing.T, phase string) string {
	keep := os.Getenv("OSSX_SOAK_KEEP")
	if keep == "" {
		return t.TempDir()
	}
	root, err := os.MkdirTemp(keep, phase+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("phase kept in %s", root)
			return
		}
		os.RemoveAll(root)
	})
	return root
}

// lrSoakConfigFile writes the logrotate configuration and the hook that
// archives every .1: as logrotate makes it (postrotate, the copy of a
// copytruncate) and just before logrotate renames it to .2 and compresses
// it (firstaction: with create, the application may have written to the
// renamed file after postrotate).
func lrSoakConfigFile(t *testing.T, root, arch string, paths []string, copytruncate bool) string {
	hook := filepath.Join(root, "archive.sh")
	script := `#!/bin/sh
# archive.sh WHEN LOG...: copy each LOG.1 into the archive.
when=$1; shift
for f in $*; do
	[ -f "$f.1" ] && cp "$f.1" "` + arch + `/$(basename "$f").$when.$(date +%s%N)"
done
exit 0
`
	if err := os.WriteFile(hook, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	how := "create"
	if copytruncate {
		how = "copytruncate"
	}
	conf := fmt.Sprintf(`%s {
	%s
	rotate 2
	compress
	delaycompress
	missingok
	notifempty
	firstaction
		/bin/sh %s first $1
	endscript
	postrotate
		/bin/sh %s post $1
	endscript
}
`, strings.Join(paths, " "), how, hook, hook)
	p := filepath.Join(root, "logrotate.conf")
	if err := os.WriteFile(p, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// lrSoakRotateLoop runs logrotate -f every 2–4 s until stop, its -v
// output with the times of each run appended to logPath.
func lrSoakRotateLoop(lr, state, conf, logPath string, stop <-chan struct{}) error {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	for {
		select {
		case <-stop:
			return nil
		case <-time.After(lrSoakJitter(2*time.Second, 4*time.Second)):
		}
		fmt.Fprintf(log, "--- logrotate at %s\n", time.Now().UTC().Format(time.RFC3339Nano))
		out, err := exec.Command(lr, "-v", "-s", state, "-f", conf).CombinedOutput()
		fmt.Fprintf(log, "%s--- done at %s\n", out, time.Now().UTC().Format(time.RFC3339Nano))
		if err != nil {
			return fmt.Errorf("logrotate: %v\n%s", err, out)
		}
	}
}

func lrSoakCopy(t *testing.T, from, to string) {
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// lrSoakGtail is gtail run as a process, perhaps many times over.
type lrSoakGtail struct {
	t       *testing.T
	args    []string
	env     []string
	logPath string

	mu     sync.Mutex
	cmd    *exec.Cmd
	starts int
	err    error
}

func (g *lrSoakGtail) start() {
	g.mu.Lock()
	defer g.mu.Unlock()
	log, err := os.OpenFile(g.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		g.err = err
		return
	}
	defer log.Close()
	fmt.Fprintf(log, "--- start %d at %s\n", g.starts+1, time.Now().UTC().Format(time.RFC3339Nano))
	c := exec.Command(lrSoakGtailPath(), g.args...)
	c.Env, c.Stderr = g.env, log
	if err := c.Start(); err != nil {
		g.err = err
		return
	}
	g.cmd = c
	g.starts++
}

// lrSoakGtailPath: $OSSX_SOAK_GTAIL (make soak: the release build), else
// the gtail testscript.Main puts on PATH (this package's main).
func lrSoakGtailPath() string {
	if p := os.Getenv("OSSX_SOAK_GTAIL"); p != "" {
		return p
	}
	return "gtail"
}

// killLoop kills gtail with SIGKILL at random moments (every[0]–every[1]
// after it started) and starts it again after 0.2–1.5 s (less than
// logrotate's shortest interval, so every .1 is still uncompressed at some
// moment gtail runs), until stop; it leaves gtail running.
func (g *lrSoakGtail) killLoop(stop <-chan struct{}, every [2]time.Duration) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(lrSoakJitter(every[0], every[1])):
		}
		g.mu.Lock()
		if g.cmd != nil {
			g.cmd.Process.Signal(syscall.SIGKILL)
			g.cmd.Wait()
			g.cmd = nil
		}
		g.mu.Unlock()
		select {
		case <-stop:
		case <-time.After(lrSoakJitter(200*time.Millisecond, 1500*time.Millisecond)):
		}
		g.start()
	}
}

// terminate stops gtail with SIGTERM and returns its exit status.
func (g *lrSoakGtail) terminate() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err != nil {
		g.t.Fatalf("gtail: %v", g.err)
	}
	c := g.cmd
	g.cmd = nil
	c.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { c.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		c.Process.Kill()
		<-done
		g.t.Errorf("gtail did not stop within a minute of SIGTERM")
	}
	return c.ProcessState.ExitCode()
}

func (g *lrSoakGtail) cleanup() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cmd != nil {
		g.cmd.Process.Kill()
		g.cmd.Wait()
	}
}

// A line: "@@T:SEQ:LEN:PAYLOAD:CRC\n" — T the writer's tag, SEQ its
// 10-digit number, LEN the payload's length (6 digits), CRC the CRC-32 of
// "T:SEQ:LEN:PAYLOAD" in 8 hex digits. The payload is base64 letters, so
// "@@" starts a line and nothing else: after a torn line the next one is
// still found.
const lrSoakOverhead = len("@@T:0000000000:000000::00000000\n")

var lrSoakPayload = func() []byte {
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	r := rand.New(rand.NewPCG(13, 13))
	b := make([]byte, 256<<10)
	for i := range b {
		b[i] = letters[r.IntN(len(letters))]
	}
	return b
}()

func lrSoakLine(dst []byte, tag byte, seq, longEvery int) []byte {
	n := 40 + seq*31%160
	if longEvery > 0 && seq%longEvery == 0 {
		n = 70000 + seq*7919%30001
	}
	off := seq * 104729 % (len(lrSoakPayload) - n)
	start := len(dst)
	dst = fmt.Appendf(dst, "@@%c:%010d:%06d:", tag, seq, n)
	dst = append(dst, lrSoakPayload[off:off+n]...)
	sum := crc32.ChecksumIEEE(dst[start+2:])
	return fmt.Appendf(dst, ":%08x\n", sum)
}

// lrSoakBanner starts every new file in -banner phases, the same in both
// files, as a W3C extended log's header does: files whose first KiB is the
// same.
var lrSoakBanner = "#Software: ossx logrotate soak\n#Fields: " + strings.Repeat("field ", 340) + "\n"

var lrSoakBannerLines = map[string]bool{}

func init() {
	for _, l := range strings.Split(strings.TrimSuffix(lrSoakBanner, "\n"), "\n") {
		lrSoakBannerLines[l] = true
	}
}

// lrSoakParse checks one line without its newline.
func lrSoakParse(b []byte) (tag byte, seq int, ok bool) {
	if len(b) < lrSoakOverhead-1 || b[0] != '@' || b[1] != '@' || b[3] != ':' || b[14] != ':' || b[21] != ':' || b[len(b)-9] != ':' {
		return 0, 0, false
	}
	seq, err1 := strconv.Atoi(string(b[4:14]))
	n, err2 := strconv.Atoi(string(b[15:21]))
	sum, err3 := strconv.ParseUint(string(b[len(b)-8:]), 16, 32)
	if err1 != nil || err2 != nil || err3 != nil || n != len(b)-(lrSoakOverhead-1) ||
		crc32.ChecksumIEEE(b[2:len(b)-9]) != uint32(sum) {
		return 0, 0, false
	}
	return b[2], seq, true
}

// lrSoakWriter plays an application logging at a steady rate, one write(2)
// per line, in O_APPEND. With reopen (create rotation) it reopens its path
// when that names another file, as Python's WatchedFileHandler does; else
// (copytruncate) it never reopens.
type lrSoakWriter struct {
	spec   lrSoakWriterSpec
	path   string
	reopen bool
	banner bool

	f       *os.File
	buf     []byte
	n       atomic.Int64
	errOnce sync.Once
	failure error
}

func lrSoakNewWriter(t *testing.T, path string, spec lrSoakWriterSpec, reopen, banner bool) *lrSoakWriter {
	w := &lrSoakWriter{spec: spec, path: path, reopen: reopen, banner: banner}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	w.f = f
	return w
}

func (w *lrSoakWriter) fail(err error) { w.errOnce.Do(func() { w.failure = err }) }

func (w *lrSoakWriter) err() error { return w.failure }

// run writes until stop, then one last line: it lands in the live file
// (logrotate has stopped by then), where gtail must ship it.
func (w *lrSoakWriter) run(stop <-chan struct{}) {
	defer w.f.Close()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	t0 := time.Now()
	for {
		select {
		case <-stop:
			w.reopenIfRotated()
			w.write()
			return
		case <-tick.C:
		}
		w.reopenIfRotated()
		n := int(w.n.Load())
		due := int(time.Since(t0).Seconds() * w.spec.perSecond)
		if float64(due-n) > max(w.spec.perSecond, 1) {
			// The machine stalled for a second: go on at the rate from
			// here, no burst.
			due = n + int(w.spec.perSecond/100)
			t0 = time.Now().Add(-time.Duration(float64(due) / w.spec.perSecond * float64(time.Second)))
		}
		for int(w.n.Load()) < due {
			if !w.write() {
				return
			}
		}
	}
}

// write writes the next line in one write(2), after the banner if the
// file is empty.
func (w *lrSoakWriter) write() bool {
	seq := int(w.n.Load()) + 1
	w.buf = lrSoakLine(w.buf[:0], w.spec.tag, seq, w.spec.longEvery)
	if w.banner {
		if fi, err := w.f.Stat(); err == nil && fi.Size() == 0 {
			w.buf = append([]byte(lrSoakBanner), w.buf...)
		}
	}
	if _, err := w.f.Write(w.buf); err != nil {
		w.fail(err)
		return false
	}
	w.n.Store(int64(seq))
	return true
}

// reopenIfRotated opens the path again, with reopen, when it names a new
// file; while it names none (between logrotate's rename and its create) the old file
// takes the lines.
func (w *lrSoakWriter) reopenIfRotated() {
	if !w.reopen {
		return
	}
	var path, open syscall.Stat_t
	if syscall.Stat(w.path, &path) != nil || syscall.Fstat(int(w.f.Fd()), &open) != nil {
		return
	}
	if path.Ino == open.Ino && path.Dev == open.Dev {
		return
	}
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return
	}
	w.f.Close()
	w.f = f
}

// lrSoakWaitShipped waits until every writer's last line ends an object
// of its file, for at most limit, and less if nothing was shipped for a
// minute; it says whether they all did.
func lrSoakWaitShipped(t *testing.T, bucket *oss.Bucket, writers []*lrSoakWriter, gz bool, limit time.Duration) bool {
	sizes := map[string]int64{}
	done := make([]bool, len(writers))
	deadline, lastChange := time.Now().Add(limit), time.Now()
	for time.Now().Before(deadline) && time.Since(lastChange) < time.Minute {
		all := true
		for i, w := range writers {
			if done[i] {
				continue
			}
			last := lrSoakLine(nil, w.spec.tag, int(w.n.Load()), w.spec.longEvery)
			for _, o := range lrSoakList(t, bucket, strings.TrimPrefix(w.path, "/")+"/") {
				if sizes[o.Key] == o.Size {
					continue
				}
				sizes[o.Key] = o.Size
				lastChange = time.Now()
				done[i] = done[i] || bytes.HasSuffix(lrSoakGet(t, bucket, o.Key, gz), last)
			}
			all = all && done[i]
		}
		if all {
			return true
		}
		time.Sleep(time.Second)
	}
	return false
}

func lrSoakList(t *testing.T, bucket *oss.Bucket, prefix string) []oss.ObjectProperties {
	var objs []oss.ObjectProperties
	marker := ""
	for {
		res, err := bucket.ListObjects(oss.Prefix(prefix), oss.Marker(marker), oss.MaxKeys(1000))
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, res.Objects...)
		if !res.IsTruncated {
			break
		}
		marker = res.NextMarker
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Key < objs[j].Key })
	return objs
}

func lrSoakGet(t *testing.T, bucket *oss.Bucket, key string, gz bool) []byte {
	r, err := bucket.GetObject(key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var rd io.Reader = r
	if gz {
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		rd = zr
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return b
}

// lrSoakTally counts the whole lines of each writer in a stream of bytes
// and keeps the fragments that are not whole lines.
type lrSoakTally struct {
	carry []byte
	// onLine is called for every whole line (tag, seq); onFrag for every
	// fragment.
	onLine func(tag byte, seq int)
	onFrag func(b []byte)
}

// lrSoakFrag identifies a fragment.
type lrSoakFrag struct {
	n   int
	sum uint64
}

func lrSoakFragOf(b []byte) lrSoakFrag {
	return lrSoakFrag{n: len(b), sum: crc64.Checksum(b, lrSoakCRC)}
}

var lrSoakCRC = crc64.MakeTable(crc64.ECMA)

func (s *lrSoakTally) feed(b []byte) {
	b = append(s.carry, b...)
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break
		}
		s.segment(b[:i])
		b = b[i+1:]
	}
	s.carry = append([]byte(nil), b...)
}

// end closes a stream: what is left has no newline, a fragment.
func (s *lrSoakTally) end() {
	if len(s.carry) > 0 {
		s.frag(s.carry)
	}
	s.carry = nil
}

// segment splits what lies between two newlines at each line start: the
// last piece may be a whole line, the others are fragments (a line torn,
// then another one).
func (s *lrSoakTally) segment(seg []byte) {
	if lrSoakBannerLines[string(seg)] {
		return
	}
	var starts []int
	for i := 0; i+3 < len(seg); i++ {
		if seg[i] == '@' && seg[i+1] == '@' && seg[i+2] != '@' && seg[i+3] == ':' {
			starts = append(starts, i)
		}
	}
	if len(starts) == 0 {
		s.frag(seg)
		return
	}
	if starts[0] > 0 {
		s.frag(seg[:starts[0]])
	}
	for k, p := range starts {
		if k+1 < len(starts) {
			s.frag(seg[p:starts[k+1]])
			continue
		}
		if tag, seq, ok := lrSoakParse(seg[p:]); ok {
			s.onLine(tag, seq)
		} else {
			s.frag(seg[p:])
		}
	}
}

func (s *lrSoakTally) frag(b []byte) { s.onFrag(b) }

// lrSoakHead reads the writer and number of a line's first bytes.
func lrSoakHead(b []byte) (tag byte, seq int, ok bool) {
	if len(b) < 15 || b[0] != '@' || b[1] != '@' || b[3] != ':' || b[14] != ':' {
		return 0, 0, false
	}
	seq, err := strconv.Atoi(string(b[4:14]))
	return b[2], seq, err == nil
}

// lrSoakAccount reads the archive of files and the shipped objects and
// counts, per writer, what was written, in files, shipped, lost.
func lrSoakAccount(t *testing.T, bucket *oss.Bucket, arch string, writers []*lrSoakWriter, gz bool) []lrSoakCount {
	byTag := map[byte]*lrSoakWriter{}
	inFile, shipped := map[byte][]bool{}, map[byte][]uint8{}
	for _, w := range writers {
		byTag[w.spec.tag] = w
		inFile[w.spec.tag] = make([]bool, w.n.Load()+1)
		shipped[w.spec.tag] = make([]uint8, w.n.Load()+1)
	}
	valid := func(tag byte, seq int) bool { return byTag[tag] != nil && seq >= 1 && seq < len(inFile[tag]) }

	// What was in the files.
	fileFrags := map[lrSoakFrag]bool{}
	entries, err := os.ReadDir(arch)
	if err != nil {
		t.Fatal(err)
	}
	rotations := map[string]int{}
	for _, e := range entries {
		name := e.Name()
		if strings.Contains(name, ".post.") {
			rotations[name[:strings.Index(name, ".post.")]]++
		}
		b, err := os.ReadFile(filepath.Join(arch, name))
		if err != nil {
			t.Fatal(err)
		}
		s := &lrSoakTally{
			onLine: func(tag byte, seq int) {
				if valid(tag, seq) {
					inFile[tag][seq] = true
				}
			},
			onFrag: func(b []byte) { fileFrags[lrSoakFragOf(b)] = true },
		}
		s.feed(b)
		s.end()
	}

	// What was shipped: the objects of each file in key order, one stream.
	counts := map[byte]*lrSoakCount{}
	for _, w := range writers {
		counts[w.spec.tag] = &lrSoakCount{file: filepath.Base(w.path), written: int(w.n.Load()), rotations: rotations[filepath.Base(w.path)]}
	}
	groups := map[string][]string{}
	for _, o := range lrSoakList(t, bucket, "") {
		if strings.HasPrefix(o.Key, ".gtail/") {
			continue // gtail's own objects (the files' owner objects)
		}
		dir := o.Key[:max(strings.LastIndex(o.Key, "/"), 0)]
		groups[dir] = append(groups[dir], o.Key)
	}
	for dir, keys := range groups {
		var own *lrSoakWriter
		for _, w := range writers {
			if strings.TrimPrefix(w.path, "/") == dir {
				own = w
			}
		}
		s := &lrSoakTally{
			onLine: func(tag byte, seq int) {
				if !valid(tag, seq) {
					return
				}
				if own == nil || own.spec.tag != tag {
					counts[tag].misplaced++
				}
				if shipped[tag][seq] < 255 {
					shipped[tag][seq]++
				}
			},
			onFrag: func(b []byte) {
				c := counts[writers[0].spec.tag]
				if own != nil {
					c = counts[own.spec.tag]
				}
				// logrotate tore the line: its copy ended mid-line, or
				// its truncate cut a line being written (the start of a
				// line that was never whole in a file).
				tag, seq, ok := lrSoakHead(b)
				window := ok && valid(tag, seq) && !inFile[tag][seq] &&
					bytes.HasPrefix(lrSoakLine(nil, tag, seq, byTag[tag].spec.longEvery), b)
				if fileFrags[lrSoakFragOf(b)] || window {
					c.lrTorn++
				} else {
					c.torn++
				}
			},
		}
		for _, k := range keys {
			s.feed(lrSoakGet(t, bucket, k, gz))
		}
		s.end()
	}

	var out []lrSoakCount
	for _, w := range writers {
		tag := w.spec.tag
		c := counts[tag]
		for seq := 1; seq <= c.written; seq++ {
			n := int(shipped[tag][seq])
			if n > 0 {
				c.shipped++
				c.duplicated += n - 1
			}
			if inFile[tag][seq] {
				c.inFiles++
				if n == 0 {
					c.lostInFile++
					if len(c.lostSeqs) < 10 {
						c.lostSeqs = append(c.lostSeqs, seq)
					}
				}
			} else {
				c.lrWindow++
				if n > 0 {
					c.lrWindowShipped++
				}
			}
		}
		out = append(out, *c)
	}
	return out
}

func lrSoakJitter(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(rand.Int64N(int64(hi-lo)))
}

// TestLrSoakLines checks the soak's own line format: whole lines count,
// a torn line is a fragment, and the line after it is still found.
func TestLrSoakLines(t *testing.T) {
	var stream []byte
	for seq := 1; seq <= 5; seq++ {
		stream = lrSoakLine(stream, 'A', seq, 5)
	}
	torn := lrSoakLine(nil, 'B', 6, 0)
	stream = append(stream, torn[:20]...) // the rest never written
	stream = lrSoakLine(stream, 'B', 7, 0)
	stream = append(stream, torn[:len(torn)-1]...) // no newline at the end
	var lines []string
	frags := 0
	s := &lrSoakTally{
		onLine: func(tag byte, seq int) { lines = append(lines, fmt.Sprintf("%c%d", tag, seq)) },
		onFrag: func([]byte) { frags++ },
	}
	s.feed(stream[:100])
	s.feed(stream[100:])
	s.end()
	if got := strings.Join(lines, " "); got != "A1 A2 A3 A4 A5 B7" || frags != 2 {
		t.Errorf("lines %q, %d fragments; want A1…A5 B7 and 2 fragments", got, frags)
	}
	if n := len(lrSoakLine(nil, 'A', 5, 5)); n < 70000 {
		t.Errorf("line 5 with longEvery 5 is %d bytes, want 70 KB or more", n)
	}
}
