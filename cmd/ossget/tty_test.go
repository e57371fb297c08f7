//go:build linux

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
	"github.com/ossx/ossx/internal/progress/progresstest"
)

// TestProgressOnTerminal: --progress auto (the default) draws a progress
// line when stderr is a terminal and nothing when it is not. script(1) gives
// the run a pseudo-terminal; --bwlimit keeps the download long enough to
// draw. What is checked is what the line shows, never how long it took.
func TestProgressOnTerminal(t *testing.T) {
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
	c := progresstest.Terminal(t, bin+" --bwlimit 300K oss://"+srv.Bucket+"/tty/big.bin "+dest)
	c.Env = env
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("under a terminal: %v\n%s", err, out)
	}
	if got, err := os.ReadFile(dest); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("downloaded file differs (%v)", err)
	}
	// Bytes done of the total, the key, a rate (--bwlimit 300K is 300
	// KiB/s: the limiter makes the download last over 2s, when a rate is
	// first shown).
	progresstest.Check(t, string(out), "downloading", " / 1.1 MiB  ", "KiB/s", "tty/big.bin")
	if !strings.Contains(string(out), dest) {
		t.Errorf("no path printed:\n%q", out)
	}

	// A recursive download counts its files; each Start draws the line,
	// and the second object is listed before its download starts.
	c = progresstest.Terminal(t, bin+" -r -j 1 oss://"+srv.Bucket+"/tree/ "+filepath.Join(dir, "tree")+"/")
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
