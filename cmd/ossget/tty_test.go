//go:build linux

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// TestProgressOnTerminal: --progress auto (the default) draws a progress
// line when stderr is a terminal and nothing when it is not. script(1) gives
// the run a pseudo-terminal; --bwlimit keeps the download long enough to
// draw. What is checked is what the line shows, never how long it took.
func TestProgressOnTerminal(t *testing.T) {
	scriptPath, err := exec.LookPath("script")
	if err != nil {
		t.Skip("no script(1) to run under a pseudo-terminal")
	}
	srv := osslocaltest.Start(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "ossget") // testscript.Main dispatches on the name
	osslocaltest.CopyTestBinary(t, bin)
	cl, err := oss.New(srv.Endpoint, srv.AccessKeyID, srv.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	bk, err := cl.Bucket(srv.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("ossx"), 300_000)
	for _, key := range []string{"tty/big.bin", "tree/a.bin", "tree/b.bin"} {
		if err := bk.PutObject(key, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
	}
	env := append(srv.Env(), "HOME="+dir, "XDG_STATE_HOME="+filepath.Join(dir, "state"), "PATH=/usr/bin:/bin", "TERM=dumb")

	dest := filepath.Join(dir, "big.bin")
	c := exec.Command(scriptPath, "-qec", bin+" --bwlimit 300K oss://"+srv.Bucket+"/tty/big.bin "+dest, "/dev/null")
	c.Env = env
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("under a terminal: %v\n%s", err, out)
	}
	if got, err := os.ReadFile(dest); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("downloaded file differs (%v)", err)
	}
	// Bytes done of the total in IEC units, the key, a rate in KiB/s
	// (--bwlimit 300K is 300 KiB/s: the limiter makes the download last
	// over 2s, when a rate is first shown), percentages that never fall.
	for _, want := range []string{"downloading", " / 1.1 MiB  ", "%", "KiB/s", "tty/big.bin"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("progress lacks %q:\n%q", want, out)
		}
	}
	if strings.Contains(string(out), "MB") || strings.Contains(string(out), "kB") {
		t.Errorf("SI units in the progress:\n%q", out)
	}
	last := -1
	for _, m := range regexp.MustCompile(`  (\d+)%  `).FindAllStringSubmatch(string(out), -1) {
		p, _ := strconv.Atoi(m[1])
		if p < last {
			t.Errorf("percentage fell from %d to %d:\n%q", last, p, out)
		}
		last = p
	}
	if !strings.Contains(string(out), dest) {
		t.Errorf("no path printed:\n%q", out)
	}

	// A recursive download counts its files; each Start draws the line,
	// and the second object is listed before its download starts.
	c = exec.Command(scriptPath, "-qec", bin+" -r -j 1 oss://"+srv.Bucket+"/tree/ "+filepath.Join(dir, "tree")+"/", "/dev/null")
	c.Env = env
	out, err = c.CombinedOutput()
	if err != nil {
		t.Fatalf("recursive under a terminal: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`[01]/2 files  tree/b\.bin`).Match(out) {
		t.Errorf("no file count in the progress:\n%q", out)
	}

	c = exec.Command(bin, "--bwlimit", "600K", "oss://"+srv.Bucket+"/tty/big.bin", filepath.Join(dir, "pipe.bin"))
	c.Env = env
	var stdout, stderr strings.Builder
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		t.Fatalf("without a terminal: %v\n%s", err, stderr.String())
	}
	if stderr.Len() != 0 || stdout.String() != filepath.Join(dir, "pipe.bin")+"\n" {
		t.Errorf("without a terminal: stdout %q, stderr %q; want only the path", stdout.String(), stderr.String())
	}
}
