//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const logrotateBin = "/usr/sbin/logrotate"

// TestLogrotateCopytruncate runs the real logrotate (copytruncate, rotate 2,
// compress, delaycompress) over a live writer that never reopens its log,
// with gtail following throughout. Every line that was in a file at any
// rotation is shipped exactly once, in order, none torn; lines logrotate
// itself drops (written between its copy and its truncation: in neither file
// afterwards) are shipped too when gtail had read them, and counted.
func TestLogrotateCopytruncate(t *testing.T) {
	if _, err := os.Stat(logrotateBin); err != nil {
		t.Skip("needs " + logrotateBin + " (apt-get install logrotate; .ci/run installs it)")
	}
	e := newEnv(t)
	p := filepath.Join(e.logs, "app.log")
	dir := t.TempDir()
	conf := filepath.Join(dir, "logrotate.conf")
	os.WriteFile(conf, []byte(p+` {
    copytruncate
    rotate 2
    compress
    delaycompress
    missingok
}
`), 0o644)
	w := newLogWriter(t, p)
	c, stderr := e.cmd(p, "oss://"+testBucket+"/")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	waitFor(t, "gtail to follow", func() bool { return strings.Contains(stderr.String(), "following") }, stderr)
	w.start(4000)
	// What the files held: every copy, as logrotate left it, then the
	// file at the end.
	var inFiles bytes.Buffer
	const rotations = 8
	for range rotations {
		time.Sleep(jitter(150*time.Millisecond, 400*time.Millisecond))
		out, err := exec.Command(logrotateBin, "-f", "-s", filepath.Join(dir, "status"), conf).CombinedOutput()
		if err != nil {
			t.Fatalf("logrotate: %v\n%s", err, out)
		}
		b, err := os.ReadFile(p + ".1")
		if err != nil {
			t.Fatal(err)
		}
		inFiles.Write(b)
	}
	time.Sleep(100 * time.Millisecond)
	written := w.Stop()
	b, _ := os.ReadFile(p)
	inFiles.Write(b)
	waitFor(t, "every rotation finished", func() bool {
		return strings.Count(stderr.String(), "truncated generation finished") >= rotations
	}, stderr)
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil && !(c.ProcessState.ExitCode() == 1 && strings.Contains(stderr.String(), "BYTES LOST")) {
		// Exit 1 with BYTES LOST is right when gtail saw the file grow
		// but the truncation came before it could read those bytes.
		t.Fatalf("gtail: %v\n%s", err, stderr)
	}
	shipped := e.shipped(prefixOf(p), false)

	wantLines := lines(written)
	inFile := map[string]bool{}
	for _, l := range lines(inFiles.Bytes()) {
		inFile[l] = true
	}
	// shipped must be written with some lines left out (those in no
	// file that gtail had not read), in order, each once, none torn.
	got := lines(shipped)
	if !bytes.HasSuffix(shipped, []byte("\n")) {
		t.Errorf("the objects end in a torn line")
	}
	i, lostInFile, windowLost, windowShipped := 0, 0, 0, 0
	for _, l := range wantLines {
		if i < len(got) && got[i] == l {
			i++
			if !inFile[l] {
				windowShipped++
			}
			continue
		}
		if inFile[l] {
			lostInFile++
		} else {
			windowLost++
		}
	}
	if i < len(got) {
		t.Errorf("shipped line %d %.40q is not the next line written (duplicated, torn or out of order)", i, got[i])
	}
	t.Logf("%d lines written, %d rotations; logrotate dropped %d lines from the files (written between its copy and its truncation); "+
		"gtail shipped %d of them, lost %d; lost lines that were in a file: %d",
		len(wantLines), rotations, windowShipped+windowLost, windowShipped, windowLost, lostInFile)
	if lostInFile > 0 {
		t.Errorf("%d lines that were in a file were not shipped\n%s", lostInFile, stderr)
	}
}

func lines(b []byte) []string {
	s := strings.SplitAfter(string(b), "\n")
	if len(s) > 0 && s[len(s)-1] == "" {
		s = s[:len(s)-1]
	}
	return s
}
