//go:build unix

package main

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/crc64ecma"
	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// Soak tests run the built binary on a gigabyte against a disk-backed
// osslocal. They take minutes, so they run only with OSSX_SOAK=1
// (make soak). They log what they measure; they assert only correctness
// and memory, never time.

const soakSize = 1 << 30

func soak(t *testing.T) (bin string, srv *osslocaltest.TS, b *oss.Bucket, env []string) {
	t.Helper()
	if os.Getenv("OSSX_SOAK") != "1" {
		t.Skip("set OSSX_SOAK=1 to run")
	}
	bin = filepath.Join(t.TempDir(), "ossuploader")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	data := t.TempDir()
	srv = osslocaltest.Start(t, func(o *osslocal.Options) { o.DataDir = data })
	c, err := oss.New(srv.Endpoint, srv.AccessKeyID, srv.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	if b, err = c.Bucket(srv.Bucket); err != nil {
		t.Fatal(err)
	}
	env = append(srv.Env(), "HOME="+t.TempDir(), "XDG_STATE_HOME="+t.TempDir(), "PATH="+os.Getenv("PATH"))
	return bin, srv, b, env
}

// fastRandom yields n pseudo-random bytes quickly (ChaCha8).
func fastRandom(n int64, seed byte) io.Reader {
	var s [32]byte
	s[0] = seed
	return io.LimitReader(rand.NewChaCha8(s), n)
}

// serverCRC is the CRC64 OSS reports for key.
func objectCRC(t *testing.T, b *oss.Bucket, key string) (uint64, int64) {
	t.Helper()
	h, err := b.GetObjectDetailedMeta(key)
	if err != nil {
		t.Fatal(err)
	}
	crc, _ := strconv.ParseUint(h.Get(oss.HTTPHeaderOssCRC64), 10, 64)
	size, _ := strconv.ParseInt(h.Get(oss.HTTPHeaderContentLength), 10, 64)
	return crc, size
}

func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10 // KiB on Linux
	}
	return 0
}

// TestSoakStdinMemory streams 1 GiB through stdin: the object must be whole
// and the process must stay within a bounded size (jobs+1 parts).
func TestSoakStdinMemory(t *testing.T) {
	bin, _, b, env := soak(t)
	cmd := exec.Command(bin, "--part-size", "8M", "-j", "4", "-", "soak/stdin")
	cmd.Env = env
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := crc64ecma.New()
	if _, err := io.Copy(io.MultiWriter(stdin, h), fastRandom(soakSize, 1)); err != nil {
		t.Fatal(err)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	elapsed := time.Since(start)
	crc, size := objectCRC(t, b, "soak/stdin")
	if crc != h.Sum64() || size != soakSize {
		t.Fatalf("object: %d bytes, CRC64 %d; sent %d bytes, CRC64 %d", size, crc, soakSize, h.Sum64())
	}
	rss := maxRSS(cmd.ProcessState)
	t.Logf("stdin 1 GiB: %v (%.0f MiB/s), max RSS %d MiB", elapsed.Round(time.Millisecond),
		float64(soakSize)/(1<<20)/elapsed.Seconds(), rss>>20)
	// 5 parts of 8 MiB in flight plus the runtime; far below 1 GiB.
	if rss > 160<<20 {
		t.Errorf("max RSS %d MiB: stdin is not streamed with bounded memory", rss>>20)
	}
}

// TestSoakKillResume uploads a 1 GiB file, killing the process with
// SIGKILL at random moments; each re-run continues, and the final object is
// whole with no checkpoint or unfinished upload left.
func TestSoakKillResume(t *testing.T) {
	bin, _, b, env := soak(t)
	path := filepath.Join(t.TempDir(), "big.bin")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := crc64ecma.New()
	if _, err := io.Copy(io.MultiWriter(f, h), fastRandom(soakSize, 2)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	args := []string{"--part-size", "8M", "-j", "4", path, "soak/big.bin"}

	kills := 0
	for i := range 4 {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(300+rand.IntN(700)) * time.Millisecond)
		if cmd.Process.Signal(syscall.SIGKILL) == nil {
			kills++
		}
		cmd.Wait()
		t.Logf("run %d killed", i+1)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	t.Logf("after %d kills, the last run took %v: %s", kills, time.Since(start).Round(time.Millisecond), bytes.TrimSpace(stderr.Bytes()))
	crc, size := objectCRC(t, b, "soak/big.bin")
	if crc != h.Sum64() || size != soakSize {
		t.Fatalf("object: %d bytes, CRC64 %d; file %d bytes, CRC64 %d", size, crc, soakSize, h.Sum64())
	}
	ups, err := b.ListMultipartUploads()
	if err != nil {
		t.Fatal(err)
	}
	if len(ups.Uploads) != 0 {
		t.Errorf("%d unfinished uploads left", len(ups.Uploads))
	}

	// One uninterrupted run, for the record.
	start = time.Now()
	cmd = exec.Command(bin, append([]string{"--part-size", "8M", "-j", "4"}, path, "soak/again.bin")...)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	elapsed := time.Since(start)
	t.Logf("file 1 GiB, 8 MiB parts, 4 jobs: %v (%.0f MiB/s), max RSS %d MiB", elapsed.Round(time.Millisecond),
		float64(soakSize)/(1<<20)/elapsed.Seconds(), maxRSS(cmd.ProcessState)>>20)
}
