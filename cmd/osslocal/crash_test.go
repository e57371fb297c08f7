//go:build unix

package main

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/crc64ecma"
)

// proc is one osslocal process (the real main, as a user runs it) serving
// a data directory.
type proc struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	exited chan struct{}
	c      *oss.Client
	b      *oss.Bucket
}

const crashSecret = "crash-test-secret"

// startProc runs osslocal on data with the extra environment env and waits
// until it serves.
func startProc(t *testing.T, data string, env ...string) *proc {
	t.Helper()
	bin, err := exec.LookPath("osslocal")
	if err != nil {
		t.Fatal(err)
	}
	envFile := filepath.Join(t.TempDir(), "oss.env")
	p := &proc{exited: make(chan struct{})}
	p.cmd = exec.Command(bin, "--addr", "127.0.0.1:0", "--data", data, "--bucket", "crash",
		"--access-key-id", "me", "--env-file", envFile)
	p.cmd.Env = append(os.Environ(), append([]string{"OSSLOCAL_ACCESS_KEY_SECRET=" + crashSecret}, env...)...)
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
	if !waitFor(func() bool {
		select {
		case <-p.exited:
			return true
		default:
		}
		_, err := os.Stat(envFile)
		return err == nil
	}) {
		t.Fatalf("osslocal did not start; stderr:\n%s", &p.stderr)
	}
	vars, err := readEnvFile(envFile)
	if err != nil {
		t.Fatalf("%v; stderr:\n%s", err, &p.stderr)
	}
	if p.c, err = oss.New(vars["OSS_ENDPOINT"], "me", crashSecret); err != nil {
		t.Fatal(err)
	}
	p.b, _ = p.c.Bucket("crash")
	return p
}

// stop ends p with SIGTERM, as a user would.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.exited
	if !p.cmd.ProcessState.Success() {
		t.Fatalf("osslocal after SIGTERM: %v; stderr:\n%s", p.cmd.ProcessState, &p.stderr)
	}
}

// crashed requires that p killed itself at its crash point.
func (p *proc) crashed(t *testing.T) {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(waitTimeout):
		t.Fatalf("osslocal never reached its crash point; stderr:\n%s", &p.stderr)
	}
	ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("osslocal ended with %v, not at its crash point; stderr:\n%s", p.cmd.ProcessState, &p.stderr)
	}
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func getObject(t *testing.T, b *oss.Bucket, key string) ([]byte, error) {
	t.Helper()
	r, err := b.GetObject(key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// checkWhole requires key to hold want, with the ETag (unless multipart),
// CRC-64 and length of those bytes.
func checkWhole(t *testing.T, b *oss.Bucket, key string, want []byte) {
	t.Helper()
	got, err := getObject(t, b, key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes, not the %d expected", key, len(got), len(want))
	}
	h, err := b.GetObjectDetailedMeta(key)
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(want)
	if etag := strings.Trim(h.Get("Etag"), `"`); !strings.Contains(etag, "-") && etag != strings.ToUpper(hex.EncodeToString(sum[:])) {
		t.Errorf("%s: ETag %s is not the MD5 of its bytes", key, etag)
	}
	if crc := h.Get("X-Oss-Hash-Crc64ecma"); crc != strconv.FormatUint(crc64ecma.Checksum(want), 10) {
		t.Errorf("%s: x-oss-hash-crc64ecma %s is not the CRC-64 of its bytes", key, crc)
	}
	if h.Get("Content-Length") != strconv.Itoa(len(want)) {
		t.Errorf("%s: Content-Length %s, want %d", key, h.Get("Content-Length"), len(want))
	}
	if h.Get("X-Oss-Object-Type") == "Appendable" && h.Get("X-Oss-Next-Append-Position") != strconv.Itoa(len(want)) {
		t.Errorf("%s: next append position %s, serves %d bytes", key, h.Get("X-Oss-Next-Append-Position"), len(want))
	}
}

func checkGone(t *testing.T, b *oss.Bucket, key string) {
	t.Helper()
	if _, err := getObject(t, b, key); !isCode(err, "NoSuchKey") {
		t.Fatalf("get %s: %v, want NoSuchKey", key, err)
	}
}

func isCode(err error, code string) bool {
	var se oss.ServiceError
	return errors.As(err, &se) && se.Code == code
}

// checkNoLeftovers requires data to hold no temp file and no body that no
// object or part names: the bytes under blobs/ are exactly those the
// server serves and keeps for uploads.
func checkNoLeftovers(t *testing.T, p *proc, data string) {
	t.Helper()
	err := filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".tmp-") || filepath.Base(filepath.Dir(path)) == "tmp" {
			t.Errorf("left over: %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var stored int64
	blobs, _ := os.ReadDir(filepath.Join(data, "blobs"))
	for _, e := range blobs {
		if fi, err := e.Info(); err == nil {
			stored += fi.Size()
		}
	}
	var served int64
	res, err := p.b.ListObjects(oss.MaxKeys(1000))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.Objects {
		served += o.Size
	}
	ups, err := p.b.ListMultipartUploads()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ups.Uploads {
		lp, err := p.b.ListUploadedParts(oss.InitiateMultipartUploadResult{Bucket: "crash", Key: u.Key, UploadID: u.UploadID})
		if err != nil {
			t.Fatal(err)
		}
		for _, part := range lp.UploadedParts {
			served += int64(part.Size)
		}
	}
	if stored != served {
		t.Errorf("blobs/ holds %d bytes; objects and parts are %d", stored, served)
	}
}

// crashCase is one write interrupted at one crash point.
type crashCase struct {
	name  string
	setup func(t *testing.T, b *oss.Bucket) // on a clean server
	op    func(b *oss.Bucket) error         // killed at point
	point string                            // OSSLOCAL_CRASH_AT
	check func(t *testing.T, p *proc)       // after a restart
}

// TestCrashPoints kills osslocal -9 at each step of each kind of write
// (OSSLOCAL_CRASH_AT), restarts it on the same directory and checks that
// every object is whole, old or new, never torn or lost; that an append's
// length, next position and CRC-64 agree; that an upload is either still
// pending or completed, not both; and that no temp file or unreferenced
// body is left over.
func TestCrashPoints(t *testing.T) {
	old, body := randBytes(1<<20), randBytes(2<<20+3)
	putOld := func(t *testing.T, b *oss.Bucket) {
		if err := b.PutObject("obj", bytes.NewReader(old)); err != nil {
			t.Fatal(err)
		}
	}
	logged := old[:1000]
	appendOld := func(t *testing.T, b *oss.Bucket) {
		if _, err := b.AppendObject("log", bytes.NewReader(logged), 0); err != nil {
			t.Fatal(err)
		}
	}
	appendFirst := func(b *oss.Bucket) error {
		_, err := b.AppendObject("log", bytes.NewReader(logged), 0)
		return err
	}
	appendMore := func(b *oss.Bucket) error {
		_, err := b.AppendObject("log", bytes.NewReader(body[:300<<10]), int64(len(logged)))
		return err
	}
	// checkLog requires the log to be want and to take the next append
	// at its end.
	checkLog := func(t *testing.T, b *oss.Bucket, want []byte) {
		checkWhole(t, b, "log", want)
		next, err := b.AppendObject("log", strings.NewReader("more"), int64(len(want)))
		if err != nil || next != int64(len(want))+4 {
			t.Fatalf("append after restart: %d, %v", next, err)
		}
		checkWhole(t, b, "log", append(append([]byte{}, want...), "more"...))
	}
	part1, part2 := old[:200<<10], body[:50<<10]
	var upload oss.InitiateMultipartUploadResult
	var parts []oss.UploadPart
	initParts := func(t *testing.T, b *oss.Bucket) {
		var err error
		if upload, err = b.InitiateMultipartUpload("mp"); err != nil {
			t.Fatal(err)
		}
		parts = nil
		for i, data := range [][]byte{part1, part2} {
			p, err := b.UploadPart(upload, bytes.NewReader(data), int64(len(data)), i+1)
			if err != nil {
				t.Fatal(err)
			}
			parts = append(parts, p)
		}
	}
	complete := func(b *oss.Bucket) error {
		_, err := b.CompleteMultipartUpload(upload, parts)
		return err
	}
	pendingUploads := func(t *testing.T, b *oss.Bucket) int {
		res, err := b.ListMultipartUploads()
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Uploads)
	}
	completed := func(t *testing.T, p *proc) {
		checkWhole(t, p.b, "mp", append(append([]byte{}, part1...), part2...))
		if n := pendingUploads(t, p.b); n != 0 {
			t.Errorf("%d uploads pending after their object was completed", n)
		}
		if _, err := p.b.ListUploadedParts(upload); !isCode(err, "NoSuchUpload") {
			t.Errorf("ListParts of the completed upload: %v, want NoSuchUpload", err)
		}
	}
	notCompleted := func(t *testing.T, p *proc) {
		checkGone(t, p.b, "mp")
		if err := complete(p.b); err != nil {
			t.Fatalf("complete after restart: %v", err)
		}
		completed(t, p)
	}
	uploadPart := func(b *oss.Bucket) error {
		_, err := b.UploadPart(upload, bytes.NewReader(body), int64(len(body)), 2)
		return err
	}
	// checkPart2 requires part 2 to be want, and the upload to complete
	// with it.
	checkPart2 := func(t *testing.T, p *proc, want []byte) {
		lp, err := p.b.ListUploadedParts(upload)
		if err != nil || len(lp.UploadedParts) != 2 {
			t.Fatalf("parts after restart: %+v, %v", lp, err)
		}
		sum := md5.Sum(want)
		if got := lp.UploadedParts[1]; strings.Trim(got.ETag, `"`) != strings.ToUpper(hex.EncodeToString(sum[:])) || got.Size != len(want) {
			t.Fatalf("part 2 after restart: %+v, want %d bytes", got, len(want))
		}
		list := []oss.UploadPart{parts[0], {PartNumber: 2, ETag: lp.UploadedParts[1].ETag}}
		if _, err := p.b.CompleteMultipartUpload(upload, list); err != nil {
			t.Fatal(err)
		}
		checkWhole(t, p.b, "mp", append(append([]byte{}, part1...), want...))
	}
	copySetup := func(t *testing.T, b *oss.Bucket) {
		putOld(t, b)
		if err := b.PutObject("src", bytes.NewReader(body)); err != nil {
			t.Fatal(err)
		}
	}
	copyOp := func(b *oss.Bucket) error { _, err := b.CopyObject("src", "obj"); return err }
	keys := []string{"d1", "d2", "d3", "d4"}
	deleteSetup := func(t *testing.T, b *oss.Bucket) {
		for _, k := range keys {
			if err := b.PutObject(k, strings.NewReader(k)); err != nil {
				t.Fatal(err)
			}
		}
	}
	corsRule := func(origin string) []oss.CORSRule {
		return []oss.CORSRule{{AllowedOrigin: []string{origin}, AllowedMethod: []string{"GET"}}}
	}
	corsSetup := func(t *testing.T, b *oss.Bucket) {
		if err := b.Client.SetBucketCORS("crash", corsRule("http://old.example")); err != nil {
			t.Fatal(err)
		}
		putOld(t, b)
	}
	checkCORS := func(t *testing.T, p *proc, origin string) {
		res, err := p.c.GetBucketCORS("crash")
		if err != nil || len(res.CORSRules) != 1 || res.CORSRules[0].AllowedOrigin[0] != origin {
			t.Fatalf("CORS after restart: %+v, %v; want %s", res, err, origin)
		}
		checkWhole(t, p.b, "obj", old)
	}

	var cases []crashCase
	for _, c := range []struct {
		point string
		new   bool
	}{{"blob-synced", false}, {"blob-stored", false}, {"meta-synced", false}, {"meta-renamed", true}, {"committed", true}} {
		want := old
		if c.new {
			want = body
		}
		cases = append(cases,
			crashCase{"put", putOld, func(b *oss.Bucket) error { return b.PutObject("obj", bytes.NewReader(body)) }, c.point,
				func(t *testing.T, p *proc) { checkWhole(t, p.b, "obj", want) }},
			crashCase{"copy", copySetup, copyOp, c.point,
				func(t *testing.T, p *proc) { checkWhole(t, p.b, "obj", want) }})
	}
	for _, c := range []struct {
		point string
		new   bool
	}{{"append-synced", false}, {"meta-synced", false}, {"meta-renamed", true}, {"committed", true}} {
		want := logged
		if c.new {
			want = append(append([]byte{}, logged...), body[:300<<10]...)
		}
		cases = append(cases, crashCase{"append", appendOld, appendMore, c.point,
			func(t *testing.T, p *proc) { checkLog(t, p.b, want) }})
	}
	cases = append(cases,
		// The first append creates the object: all or nothing.
		crashCase{"append-first", func(*testing.T, *oss.Bucket) {}, appendFirst, "blob-stored",
			func(t *testing.T, p *proc) {
				checkGone(t, p.b, "log")
				appendOld(t, p.b)
				checkLog(t, p.b, logged)
			}},
		crashCase{"append-first", func(*testing.T, *oss.Bucket) {}, appendFirst, "meta-renamed",
			func(t *testing.T, p *proc) { checkLog(t, p.b, logged) }},
		crashCase{"initiate", putOld, func(b *oss.Bucket) error { _, err := b.InitiateMultipartUpload("mp"); return err }, "meta-synced",
			func(t *testing.T, p *proc) {
				if n := pendingUploads(t, p.b); n != 0 {
					t.Errorf("%d uploads after an interrupted initiate", n)
				}
			}},
		crashCase{"initiate", putOld, func(b *oss.Bucket) error { _, err := b.InitiateMultipartUpload("mp"); return err }, "meta-renamed",
			func(t *testing.T, p *proc) {
				if n := pendingUploads(t, p.b); n != 1 {
					t.Errorf("%d uploads after an initiate interrupted once stored, want 1", n)
				}
			}},
		crashCase{"upload-part", initParts, uploadPart, "meta-synced",
			func(t *testing.T, p *proc) { checkPart2(t, p, part2) }},
		crashCase{"upload-part", initParts, uploadPart, "blob-stored",
			func(t *testing.T, p *proc) { checkPart2(t, p, part2) }},
		crashCase{"upload-part", initParts, uploadPart, "meta-renamed",
			func(t *testing.T, p *proc) { checkPart2(t, p, body) }},
		crashCase{"complete", initParts, complete, "blob-stored", func(t *testing.T, p *proc) { notCompleted(t, p) }},
		crashCase{"complete", initParts, complete, "meta-synced", func(t *testing.T, p *proc) { notCompleted(t, p) }},
		crashCase{"complete", initParts, complete, "meta-renamed", completed},
		crashCase{"complete", initParts, complete, "upload-done", completed},
		crashCase{"complete", initParts, complete, "upload-removed", completed},
		crashCase{"abort", initParts, func(b *oss.Bucket) error { return b.AbortMultipartUpload(upload) }, "upload-removed",
			func(t *testing.T, p *proc) {
				if n := pendingUploads(t, p.b); n != 0 {
					t.Errorf("%d uploads after an interrupted abort", n)
				}
				checkGone(t, p.b, "mp")
			}},
		crashCase{"delete-multiple", deleteSetup, func(b *oss.Bucket) error { _, err := b.DeleteObjects(keys); return err }, "deleted:2",
			func(t *testing.T, p *proc) {
				checkGone(t, p.b, "d1")
				checkGone(t, p.b, "d2")
				checkWhole(t, p.b, "d3", []byte("d3"))
				checkWhole(t, p.b, "d4", []byte("d4"))
			}},
		crashCase{"bucket-config", corsSetup, func(b *oss.Bucket) error { return b.Client.SetBucketCORS("crash", corsRule("http://new.example")) }, "meta-synced",
			func(t *testing.T, p *proc) { checkCORS(t, p, "http://old.example") }},
		crashCase{"bucket-config", corsSetup, func(b *oss.Bucket) error { return b.Client.SetBucketCORS("crash", corsRule("http://new.example")) }, "meta-renamed",
			func(t *testing.T, p *proc) { checkCORS(t, p, "http://new.example") }},
	)
	for _, c := range cases {
		t.Run(c.name+"@"+c.point, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			p := startProc(t, data)
			c.setup(t, p.b)
			p.stop(t)

			p = startProc(t, data, "OSSLOCAL_CRASH_AT="+c.point)
			if err := c.op(p.b); err == nil {
				t.Error("the interrupted write was answered 200")
			}
			p.crashed(t)

			p = startProc(t, data)
			c.check(t, p)
			checkNoLeftovers(t, p, data)
			p.stop(t)
		})
	}
}

// statusOf is the HTTP status and OSS code of a failed SDK call, or 0 and
// the error's text when it got no OSS answer.
func statusOf(err error) (int, string) {
	var se oss.ServiceError
	if errors.As(err, &se) {
		return se.StatusCode, se.Code
	}
	if err == nil {
		return 200, ""
	}
	return 0, err.Error()
}

// TestDiskFull runs osslocal on a 2 MiB tmpfs: a PUT, an append and a part
// that do not fit fail with OSS's 500 InternalError and change nothing;
// once space is freed every write works again, and no failed write keeps
// space. It needs root (mount) and skips without.
func TestDiskFull(t *testing.T) {
	mnt := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs (needs root): %v: %s", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() { _ = exec.Command("umount", mnt).Run() })
	data := filepath.Join(mnt, "data")
	p := startProc(t, data)
	b := p.b
	keep, logged := randBytes(600<<10), randBytes(100<<10)
	if err := b.PutObject("keep", bytes.NewReader(keep)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.AppendObject("log", bytes.NewReader(logged), 0); err != nil {
		t.Fatal(err)
	}
	upload, err := b.InitiateMultipartUpload("mp")
	if err != nil {
		t.Fatal(err)
	}
	big := randBytes(1536 << 10)
	// OSS has no "disk full" error; a storage failure is its generic
	// 500 InternalError ("Common OSS error codes" in
	// https://www.alibabacloud.com/help/en/object-storage-service/latest/php-exception-handling),
	// which clients retry.
	refused := func(what string, err error) {
		t.Helper()
		if status, code := statusOf(err); status != 500 || code != "InternalError" {
			t.Errorf("%s on a full disk: %d %s, want 500 InternalError", what, status, code)
		}
	}
	intact := func() {
		t.Helper()
		checkWhole(t, b, "keep", keep)
		checkWhole(t, b, "log", logged)
		checkNoLeftovers(t, p, data)
	}
	refused("PUT", b.PutObject("big", bytes.NewReader(big)))
	checkGone(t, b, "big")
	intact()
	_, err = b.AppendObject("log", bytes.NewReader(big), int64(len(logged)))
	refused("append", err)
	intact()
	_, err = b.UploadPart(upload, bytes.NewReader(big), int64(len(big)), 1)
	refused("UploadPart", err)
	intact()
	if lp, err := b.ListUploadedParts(upload); err != nil || len(lp.UploadedParts) != 0 {
		t.Errorf("parts after a refused UploadPart: %+v, %v", lp, err)
	}

	// A body that fits, whose metadata does not: a filler leaves one
	// page free.
	var st syscall.Statfs_t
	if err := syscall.Statfs(mnt, &st); err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(mnt, "filler")
	if err := os.WriteFile(filler, make([]byte, int64(st.Bavail)*st.Bsize-4096), 0o644); err != nil {
		t.Fatal(err)
	}
	refused("PUT of metadata", b.PutObject("log", bytes.NewReader(big[:4096])))
	_, err = b.AppendObject("log", bytes.NewReader(big[:4096]), int64(len(logged)))
	refused("append of metadata", err)
	intact()
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}

	// Space freed, everything works, after a restart too.
	if err := b.DeleteObject("keep"); err != nil {
		t.Fatal(err)
	}
	if err := b.PutObject("big", bytes.NewReader(big[:700<<10])); err != nil {
		t.Fatalf("PUT after space was freed: %v", err)
	}
	next, err := b.AppendObject("log", bytes.NewReader(big[:100<<10]), int64(len(logged)))
	if err != nil || next != 200<<10 {
		t.Fatalf("append after space was freed: %d, %v", next, err)
	}
	p.stop(t)
	p = startProc(t, data)
	checkWhole(t, p.b, "big", big[:700<<10])
	checkWhole(t, p.b, "log", append(append([]byte{}, logged...), big[:100<<10]...))
	checkNoLeftovers(t, p, data)
	p.stop(t)
}

// TestConcurrentWriters races two AppendObjects at one position, their
// bodies in flight at once, and two PUTs of one key: exactly one append
// wins, the other is 409 PositionNotEqualToLength, and the object is the
// old bytes and the winner's, never interleaved; a PUT race leaves one
// whole body.
func TestConcurrentWriters(t *testing.T) {
	p := startProc(t, filepath.Join(t.TempDir(), "data"))
	b := p.b
	want := []byte("base")
	if _, err := b.AppendObject("log", bytes.NewReader(want), 0); err != nil {
		t.Fatal(err)
	}
	// race runs two writes whose bodies are a and b, sending half of
	// each before either is complete, and returns their errors.
	race := func(write func(r io.Reader) error, a, b []byte) [2]error {
		var errs [2]error
		done := make(chan int)
		for i, body := range [][]byte{a, b} {
			pr, pw := io.Pipe()
			go func() { errs[i] = write(pr); pr.Close(); done <- i }()
			go func() {
				pw.Write(body[:len(body)/2])
				pw.Write(body[len(body)/2:])
				pw.Close()
			}()
		}
		<-done
		<-done
		return errs
	}
	for round := range 4 {
		bodies := [2][]byte{bytes.Repeat([]byte{'a' + byte(round)}, 256<<10+round), bytes.Repeat([]byte{'A' + byte(round)}, 200<<10)}
		pos := int64(len(want))
		errs := race(func(r io.Reader) error {
			_, err := b.AppendObject("log", r, pos)
			return err
		}, bodies[0], bodies[1])
		won := -1
		for i, err := range errs {
			switch _, code := statusOf(err); {
			case err == nil && won == -1:
				won = i
			case err == nil:
				t.Fatalf("round %d: both appends at %d succeeded", round, pos)
			case code != "PositionNotEqualToLength":
				t.Fatalf("round %d: the losing append: %v, want PositionNotEqualToLength", round, err)
			}
		}
		if won == -1 {
			t.Fatalf("round %d: no append won: %v", round, errs)
		}
		want = append(want, bodies[won]...)
		checkWhole(t, b, "log", want)
	}

	a, c := bytes.Repeat([]byte("a"), 1<<20), bytes.Repeat([]byte("c"), 1<<20+1)
	errs := race(func(r io.Reader) error { return b.PutObject("obj", r) }, a, c)
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("concurrent PUTs: %v", errs)
	}
	got, err := getObject(t, b, "obj")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, a) && !bytes.Equal(got, c) {
		t.Fatalf("concurrent PUTs left %d bytes, neither body", len(got))
	}
	checkWhole(t, b, "obj", got)
	p.stop(t)
}
