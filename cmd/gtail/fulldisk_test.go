//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestStateFullDisk (issue 13, 4): gtail keeps saving its state on a full
// disk, so a generation it found meanwhile is known to the next start even
// when gtail was killed -9 before the disk had room again and logrotate
// moved the generation to a name gtail does not follow (app.log.1 → .2,
// app.log → .1, as logrotate does while gtail is down). Before, the
// generation was never recorded and its lines were lost at the restart,
// with exit 0 and no BYTES LOST.
//
// The state directory is a small filesystem, a tmpfs and an ext4 image,
// filled to the last byte, so this needs root; it is skipped otherwise.
func TestStateFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the full disk is a small filesystem mounted as the state directory")
	}
	for _, fs := range []string{"tmpfs", "ext4"} {
		t.Run(fs, func(t *testing.T) { stateFullDisk(t, fs) })
	}
}

func stateFullDisk(t *testing.T, fs string) {
	e := newEnv(t)
	mountSmall(t, fs, e.state)
	p := filepath.Join(e.logs, "app.log")
	dest := "oss://" + testBucket + "/"
	gen := func(name string, n int) []byte {
		var b bytes.Buffer
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "%s line %d\n", name, i)
		}
		return b.Bytes()
	}
	first, second, secondLater, third := gen("first", 100), gen("second", 100), gen("second, written while gtail was down", 100), gen("third", 100)
	if err := os.WriteFile(p, first, 0o644); err != nil {
		t.Fatal(err)
	}
	c, stderr := e.cmd(p, dest)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	waitFor(t, "the first generation shipped", func() bool { return len(e.shipped(prefixOf(p), false)) == len(first) }, stderr)

	filler := fillDisk(t, e.state)
	// logrotate (create): a new generation, which gtail must record.
	if err := os.Rename(p, p+".1"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, second, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "gtail to find the second generation", func() bool {
		return strings.Contains(stderr.String(), "cannot save the state") ||
			len(e.shipped(prefixOf(p), false)) == len(first)+len(second)
	}, stderr)
	c.Process.Signal(syscall.SIGKILL)
	c.Wait()
	if strings.Contains(stderr.String(), "cannot save the state") {
		t.Errorf("the state could not be saved on the full disk:\n%s", stderr)
	}

	// While gtail is down the application writes on, and logrotate runs
	// again: the second generation is now app.log.1, which `gtail app.log`
	// finds only by the identity its state recorded.
	appendTo(t, p, secondLater)
	if err := os.Rename(p+".1", p+".2"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(p, p+".1"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, third, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	code, out := e.run("--once", p, dest)
	if code != 0 || strings.Contains(out, "BYTES LOST") {
		t.Errorf("exit %d, want 0 and nothing lost:\n%s", code, out)
	}
	sameBytes(t, e.shipped(prefixOf(p), false), bytes.Join([][]byte{first, second, secondLater, third}, nil))
}

// mountSmall mounts a small filesystem at dir, made here: a 1 MiB tmpfs or
// a 4 MiB ext4 image on a loop device. It skips the test if it cannot.
func mountSmall(t *testing.T, fs, dir string) {
	t.Helper()
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	args := []string{"-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", dir}
	if fs == "ext4" {
		img := filepath.Join(t.TempDir(), "ext4.img")
		if err := os.WriteFile(img, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(img, 4<<20); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("mkfs.ext4", "-q", img).CombinedOutput(); err != nil {
			t.Skipf("cannot make an ext4 image (mkfs.ext4, Debian's e2fsprogs): %v %s", err, out)
		}
		args = []string{"-o", "loop", img, dir}
	}
	if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a %s as the state directory: %v %s", fs, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
}

// fillDisk fills the filesystem of dir to the last byte with a file, which
// it returns, and checks that no block is left.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	name := filepath.Join(dir, "filler")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for size := 64 << 10; size > 0; size /= 2 {
		buf := bytes.Repeat([]byte{'x'}, size)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatal(err)
				}
				break
			}
		}
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	if st.Bavail != 0 {
		t.Fatalf("%s: %d blocks still free after filling", dir, st.Bavail)
	}
	return name
}
