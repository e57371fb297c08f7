package osslocal_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/crc64ecma"
	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// dirServer runs a server on dir until stop is called.
type dirServer struct {
	srv  *osslocal.Server
	http *httptest.Server
	b    *oss.Bucket
	c    *oss.Client
}

func startDir(t *testing.T, dir string) *dirServer {
	t.Helper()
	srv, err := osslocal.New(osslocal.Options{
		DataDir:     dir,
		Credentials: []osslocal.Credential{{ID: osslocaltest.AccessKeyID, Secret: osslocaltest.AccessKeySecret}},
		Buckets:     []string{osslocaltest.Bucket},
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	c, err := oss.New(hs.URL, osslocaltest.AccessKeyID, osslocaltest.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.Bucket(osslocaltest.Bucket)
	d := &dirServer{srv: srv, http: hs, b: b, c: c}
	t.Cleanup(d.stop)
	return d
}

func (d *dirServer) stop() {
	if d.http != nil {
		d.http.Close()
		d.srv.Close()
		d.http = nil
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// TestDirStoreSurvivesRestart writes every kind of object and an unfinished
// upload, restarts the server on the same directory and reads them back.
func TestDirStoreSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	d := startDir(t, dir)
	b := d.b
	normal := randomBytes(300 << 10)
	put(t, b, "normal", normal, oss.ContentType("image/png"), oss.Meta("x", "y"), oss.ObjectACL(oss.ACLPublicRead))
	var log []byte
	pos := int64(0)
	for _, chunk := range []string{"one\n", "two\n"} {
		next, err := b.AppendObject("log", strings.NewReader(chunk), pos)
		if err != nil {
			t.Fatal(err)
		}
		pos = next
		log = append(log, chunk...)
	}
	part := randomBytes(100 << 10)
	imur, _ := b.InitiateMultipartUpload("mp")
	p1, _ := b.UploadPart(imur, bytes.NewReader(part), int64(len(part)), 1)
	p2, _ := b.UploadPart(imur, strings.NewReader("end"), 3, 2)
	if _, err := b.CompleteMultipartUpload(imur, []oss.UploadPart{p1, p2}); err != nil {
		t.Fatal(err)
	}
	pending, _ := b.InitiateMultipartUpload("pending", oss.Meta("p", "q"))
	pp, err := b.UploadPart(pending, bytes.NewReader(part), int64(len(part)), 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.c.CreateBucket("second", oss.ACL(oss.ACLPublicRead)); err != nil {
		t.Fatal(err)
	}
	put(t, b, "deleted", []byte("x"))
	b.DeleteObject("deleted")
	before := map[string]http.Header{}
	for _, k := range []string{"normal", "log", "mp"} {
		before[k], _ = b.GetObjectDetailedMeta(k)
	}
	d.stop()

	d = startDir(t, dir)
	b = d.b
	for k, want := range map[string][]byte{"normal": normal, "log": log, "mp": append(append([]byte{}, part...), "end"...)} {
		if got := get(t, b, k); !bytes.Equal(got, want) {
			t.Fatalf("%s: content differs after restart", k)
		}
		h, err := b.GetObjectDetailedMeta(k)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"Etag", "X-Oss-Hash-Crc64ecma", "X-Oss-Object-Type", "Content-Type", "X-Oss-Meta-X", "Last-Modified", "Content-Length"} {
			if h.Get(name) != before[k].Get(name) {
				t.Errorf("%s %s = %q after restart, was %q", k, name, h.Get(name), before[k].Get(name))
			}
		}
	}
	if acl, _ := b.GetObjectACL("normal"); acl.ACL != "public-read" {
		t.Errorf("ACL after restart = %q", acl.ACL)
	}
	if ok, _ := b.IsObjectExist("deleted"); ok {
		t.Error("deleted object came back")
	}
	// Appends continue where they stopped, with the cumulative CRC and ETag.
	if _, err := b.AppendObject("log", strings.NewReader("three\n"), pos, oss.InitCRC(crc64ecma.Checksum(log))); err != nil {
		t.Fatal(err)
	}
	log = append(log, "three\n"...)
	if h, _ := b.GetObjectDetailedMeta("log"); h.Get("Etag") != etag(log) || h.Get("X-Oss-Hash-Crc64ecma") != crc(log) {
		t.Errorf("append after restart: %v", h)
	}
	// The unfinished upload can be completed.
	lp, err := b.ListUploadedParts(pending)
	if err != nil || len(lp.UploadedParts) != 1 {
		t.Fatalf("parts after restart: %+v, %v", lp, err)
	}
	if _, err := b.CompleteMultipartUpload(pending, []oss.UploadPart{pp}); err != nil {
		t.Fatal(err)
	}
	if h, _ := b.GetObjectDetailedMeta("pending"); h.Get("X-Oss-Meta-P") != "q" {
		t.Errorf("upload metadata lost: %v", h)
	}
	if info, err := d.c.GetBucketInfo("second"); err != nil || info.BucketInfo.ACL != "public-read" {
		t.Fatalf("bucket after restart: %+v, %v", info, err)
	}
}

// TestDirStoreRecoversCrashLeftovers plants what a crash at each point of a
// write leaves behind and checks that a restart shows only whole objects
// and removes the rest.
func TestDirStoreRecoversCrashLeftovers(t *testing.T) {
	dir := t.TempDir()
	d := startDir(t, dir)
	put(t, d.b, "kept", []byte("kept"))
	if _, err := d.b.AppendObject("log", strings.NewReader("committed"), 0); err != nil {
		t.Fatal(err)
	}
	d.stop()

	blobs, _ := os.ReadDir(filepath.Join(dir, "blobs"))
	objDir := filepath.Join(dir, "objects", osslocaltest.Bucket)
	// 1. A body half-received: a temp blob.
	os.WriteFile(filepath.Join(dir, "tmp", "blob-123"), []byte("half"), 0o644)
	// 2. A body stored but its metadata never written: an orphan blob.
	os.WriteFile(filepath.Join(dir, "blobs", "orphan"), []byte("orphan"), 0o644)
	// 3. Metadata half-written: a temp file beside the metadata.
	os.WriteFile(filepath.Join(objDir, ".tmp-999"), []byte(`{"key":"ghost","blo`), 0o644)
	// 4. An append whose bytes reached the blob but not the metadata.
	for _, e := range blobs {
		p := filepath.Join(dir, "blobs", e.Name())
		if data, _ := os.ReadFile(p); string(data) == "committed" {
			f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString("uncommitted")
			f.Close()
		}
	}
	// 5. Objects of a bucket whose deletion was cut short.
	os.MkdirAll(filepath.Join(dir, "objects", "gone-bucket"), 0o755)

	d = startDir(t, dir)
	if got := get(t, d.b, "kept"); string(got) != "kept" {
		t.Fatalf("kept = %q", got)
	}
	if got := get(t, d.b, "log"); string(got) != "committed" {
		t.Fatalf("log = %q", got)
	}
	res, err := d.b.ListObjects()
	if err != nil || len(res.Objects) != 2 {
		t.Fatalf("objects after recovery: %+v, %v", res.Objects, err)
	}
	next, err := d.b.AppendObject("log", strings.NewReader("+more"), 9)
	if err != nil || next != 14 {
		t.Fatalf("append after recovery: %d, %v", next, err)
	}
	if got := get(t, d.b, "log"); string(got) != "committed+more" {
		t.Fatalf("log = %q", got)
	}
	for _, p := range []string{filepath.Join(dir, "tmp", "blob-123"), filepath.Join(dir, "blobs", "orphan"), filepath.Join(objDir, ".tmp-999"), filepath.Join(dir, "objects", "gone-bucket")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s survived recovery", p)
		}
	}
}

// TestCrashHelper is the server process TestKillDuringWrites kills.
func TestCrashHelper(t *testing.T) {
	dir := os.Getenv("OSSLOCAL_CRASH_DIR")
	if dir == "" {
		t.Skip("helper process for TestKillDuringWrites")
	}
	srv, err := osslocal.New(osslocal.Options{
		DataDir:     dir,
		Credentials: []osslocal.Credential{{ID: osslocaltest.AccessKeyID, Secret: osslocaltest.AccessKeySecret}},
		Buckets:     []string{osslocaltest.Bucket},
	})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("ENDPOINT http://%s\n", l.Addr())
	http.Serve(l, srv)
}

// TestKillDuringWrites kills -9 a server process while a PUT overwriting an
// object, an append and an upload part are half-way through their bodies,
// then restarts on the directory: every object is as it was before the
// interrupted writes, nothing half-written is visible.
func TestKillDuringWrites(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$")
	cmd.Env = append(os.Environ(), "OSSLOCAL_CRASH_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var endpoint string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if e, ok := strings.CutPrefix(sc.Text(), "ENDPOINT "); ok {
			endpoint = e
			break
		}
	}
	if endpoint == "" {
		t.Fatal("helper did not start")
	}
	go io.Copy(io.Discard, out)
	c, _ := oss.New(endpoint, osslocaltest.AccessKeyID, osslocaltest.AccessKeySecret)
	b, _ := c.Bucket(osslocaltest.Bucket)
	old := randomBytes(200 << 10)
	put(t, b, "obj", old)
	if _, err := b.AppendObject("log", bytes.NewReader(old[:1000]), 0); err != nil {
		t.Fatal(err)
	}
	imur, _ := b.InitiateMultipartUpload("mp")
	p1, err := b.UploadPart(imur, bytes.NewReader(old), int64(len(old)), 1)
	if err != nil {
		t.Fatal(err)
	}

	// Three writes that send 1 MiB of their 8 MiB and then stall.
	var sent sync.WaitGroup
	var pipes []*io.PipeWriter
	start := func(f func(r io.Reader) error) {
		pr, pw := io.Pipe()
		pipes = append(pipes, pw)
		sent.Add(1)
		go f(pr)
		go func() {
			pw.Write(randomBytes(1 << 20))
			sent.Done()
		}()
	}
	start(func(r io.Reader) error { return b.PutObject("obj", r) })
	start(func(r io.Reader) error { _, err := b.AppendObject("log", r, 1000); return err })
	start(func(r io.Reader) error { _, err := b.UploadPart(imur, r, 8<<20, 1); return err })
	sent.Wait()
	// The bodies are being written: wait for the server's temp and blob
	// files to hold the megabyte (the append writes into its blob).
	for i := 0; ; i++ {
		if tmpBytes(dir) >= 2<<20 && blobBytes(dir) >= 1<<20+1000+2*int64(len(old)) {
			break
		}
		if i > 1000 {
			t.Fatalf("server never received the bodies: tmp %d, blobs %d", tmpBytes(dir), blobBytes(dir))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	for _, pw := range pipes {
		pw.Close()
	}

	d := startDir(t, dir)
	if got := get(t, d.b, "obj"); !bytes.Equal(got, old) {
		t.Fatal("interrupted PUT changed the object")
	}
	if got := get(t, d.b, "log"); !bytes.Equal(got, old[:1000]) {
		t.Fatalf("interrupted append changed the object: %d bytes", len(got))
	}
	h, _ := d.b.GetObjectDetailedMeta("log")
	if h.Get("X-Oss-Next-Append-Position") != "1000" {
		t.Fatalf("next position %q", h.Get("X-Oss-Next-Append-Position"))
	}
	lp, err := d.b.ListUploadedParts(imur)
	if err != nil || len(lp.UploadedParts) != 1 || lp.UploadedParts[0].ETag != p1.ETag {
		t.Fatalf("parts after crash: %+v, %v", lp, err)
	}
	if _, err := d.b.CompleteMultipartUpload(imur, []oss.UploadPart{p1}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, d.b, "mp"); !bytes.Equal(got, old) {
		t.Fatal("multipart content differs")
	}
	if n := tmpBytes(dir); n != 0 {
		t.Errorf("%d bytes of temp files after restart", n)
	}
}

func dirBytes(dir string) int64 {
	var n int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if fi, err := e.Info(); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func tmpBytes(dir string) int64  { return dirBytes(filepath.Join(dir, "tmp")) }
func blobBytes(dir string) int64 { return dirBytes(filepath.Join(dir, "blobs")) }

// TestWriteNotVisibleUntilComplete checks that readers see the old object
// while a PUT's body is still arriving, and the new one after.
func TestWriteNotVisibleUntilComplete(t *testing.T) {
	for _, dir := range []string{"", t.TempDir()} {
		t.Run(fmt.Sprintf("dir=%v", dir != ""), func(t *testing.T) {
			ts := osslocaltest.Start(t, func(o *osslocal.Options) { o.DataDir = dir })
			b := bucket(t, ts)
			put(t, b, "k", []byte("old"))
			pr, pw := io.Pipe()
			done := make(chan error)
			go func() { done <- b.PutObject("k", pr) }()
			pw.Write(bytes.Repeat([]byte("n"), 64<<10))
			if got := get(t, b, "k"); string(got) != "old" {
				t.Fatalf("mid-PUT read %d bytes, want the old object", len(got))
			}
			pw.Close()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if got := get(t, b, "k"); len(got) != 64<<10 {
				t.Fatalf("after PUT: %d bytes", len(got))
			}
		})
	}
}

// TestConcurrentRequests hammers one server from many goroutines (run with
// -race): PUTs and GETs of shared keys always see whole objects; racing
// appends at one position succeed exactly once.
func TestConcurrentRequests(t *testing.T) {
	for _, dir := range []string{"", t.TempDir()} {
		t.Run(fmt.Sprintf("dir=%v", dir != ""), func(t *testing.T) {
			ts := osslocaltest.Start(t, func(o *osslocal.Options) { o.DataDir = dir })
			b := bucket(t, ts)
			versions := map[string]bool{}
			for i := 0; i < 4; i++ {
				versions[strings.Repeat(strconv.Itoa(i), 10000+i)] = true
			}
			put(t, b, "shared", []byte(strings.Repeat("0", 10000)))
			var wg sync.WaitGroup
			var appended atomic.Int32
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 15; i++ {
						v := strings.Repeat(strconv.Itoa((g+i)%4), 10000+(g+i)%4)
						if err := b.PutObject("shared", strings.NewReader(v)); err != nil {
							t.Error(err)
							return
						}
						rc, err := b.GetObject("shared")
						if err != nil {
							t.Error(err)
							return
						}
						got, _ := io.ReadAll(rc)
						rc.Close()
						if !versions[string(got)] {
							t.Errorf("read a torn object of %d bytes", len(got))
						}
						if _, err := b.AppendObject(fmt.Sprintf("race-%d", i), strings.NewReader("x"), 0); err == nil {
							appended.Add(1)
						}
						if _, err := b.ListObjects(oss.MaxKeys(5)); err != nil {
							t.Error(err)
						}
					}
				}()
			}
			wg.Wait()
			if n := appended.Load(); n != 15 {
				t.Errorf("%d appends at position 0 succeeded over 15 keys, want 15", n)
			}
		})
	}
}

// TestBodiesStreamed uploads and downloads 64 MiB through a directory
// store and checks the process allocated far less than that.
func TestBodiesStreamed(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 128 MiB")
	}
	ts := osslocaltest.Start(t, func(o *osslocal.Options) { o.DataDir = t.TempDir() })
	b := bucket(t, ts)
	const size = 64 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	// An io.Reader of unknown length: the SDK streams it chunked.
	if err := b.PutObject("big", io.LimitReader(zeros{}, size)); err != nil {
		t.Fatal(err)
	}
	rc, err := b.GetObject("big")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, rc)
	rc.Close()
	if err != nil || n != size {
		t.Fatalf("read %d bytes, %v", n, err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/4 {
		t.Errorf("allocated %d MiB to move %d MiB", alloc>>20, size>>20)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestDataDirInUse(t *testing.T) {
	dir := t.TempDir()
	first, err := osslocal.New(osslocal.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := osslocal.New(osslocal.Options{DataDir: dir}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second server on one directory: %v, want in use", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second, err := osslocal.New(osslocal.Options{DataDir: dir})
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	second.Close()
}

// TestDirStoreIgnoresStrayFiles: a file that is no upload directory in
// uploads/BUCKET (a Finder .DS_Store, a note) is not damaged metadata: the
// server starts, and the uploads there are kept.
func TestDirStoreIgnoresStrayFiles(t *testing.T) {
	dir := t.TempDir()
	d := startDir(t, dir)
	imu, err := d.b.InitiateMultipartUpload("pending")
	if err != nil {
		t.Fatal(err)
	}
	d.stop()
	if err := os.WriteFile(filepath.Join(dir, "uploads", osslocaltest.Bucket, ".DS_Store"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	d = startDir(t, dir)
	defer d.stop()
	res, err := d.b.ListMultipartUploads()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Uploads) != 1 || res.Uploads[0].UploadID != imu.UploadID {
		t.Fatalf("uploads after restart: %+v, want %s", res.Uploads, imu.UploadID)
	}
}

// TestDirStoreRefusesDamagedMetadata plants metadata no crash can leave
// (writes are atomic) but a damaged disk or a hand edit can: the server
// refuses to start, naming the file, rather than drop the object or the
// upload and its parts.
func TestDirStoreRefusesDamagedMetadata(t *testing.T) {
	for _, kind := range []string{"objects", "uploads"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			d := startDir(t, dir)
			put(t, d.b, "kept", []byte("kept"))
			if _, err := d.b.InitiateMultipartUpload("pending"); err != nil {
				t.Fatal(err)
			}
			d.stop()
			pattern := filepath.Join(dir, "objects", osslocaltest.Bucket, "*.json")
			if kind == "uploads" {
				pattern = filepath.Join(dir, "uploads", osslocaltest.Bucket, "*", "upload.json")
			}
			files, _ := filepath.Glob(pattern)
			if len(files) != 1 {
				t.Fatalf("%s: %v", pattern, files)
			}
			if err := os.WriteFile(files[0], []byte(`{"key":`), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := osslocal.New(osslocal.Options{DataDir: dir})
			if err == nil || !strings.Contains(err.Error(), "damaged metadata file "+files[0]) {
				t.Fatalf("start on damaged %s: %v, want an error naming %s", kind, err, files[0])
			}
			var h interface{ Hint() string }
			if !errors.As(err, &h) || !strings.Contains(h.Hint(), "restore it from a backup") {
				t.Fatalf("start on damaged %s: %v, want a hint", kind, err)
			}
			if _, err := os.Stat(files[0]); err != nil {
				t.Fatalf("the damaged file was removed: %v", err)
			}
		})
	}
}

// TestSyncFailsAfterRename: a write whose metadata is renamed into place
// but whose directory cannot be synced answers an error, and what the
// server serves then is what it serves after a restart: the new object,
// whole. Undoing it (removing the new body, cutting the append back) left
// metadata naming bytes that were gone: after a restart a PUT's object had
// no body and an append's tail read as zeros.
func TestSyncFailsAfterRename(t *testing.T) {
	first, more := randomBytes(100<<10), randomBytes(50<<10)
	cases := []struct {
		name  string
		setup func(t *testing.T, b *oss.Bucket)
		write func(b *oss.Bucket) error
		want  []byte
	}{
		{"put", func(t *testing.T, b *oss.Bucket) { put(t, b, "k", first) },
			func(b *oss.Bucket) error { return b.PutObject("k", bytes.NewReader(more)) }, more},
		{"append", func(t *testing.T, b *oss.Bucket) {
			if _, err := b.AppendObject("k", bytes.NewReader(first), 0); err != nil {
				t.Fatal(err)
			}
		}, func(b *oss.Bucket) error {
			_, err := b.AppendObject("k", bytes.NewReader(more), int64(len(first)))
			return err
		}, append(append([]byte{}, first...), more...)},
		{"complete", func(t *testing.T, b *oss.Bucket) { put(t, b, "k", first) },
			func(b *oss.Bucket) error {
				imur, err := b.InitiateMultipartUpload("k")
				if err != nil {
					return err
				}
				p, err := b.UploadPart(imur, bytes.NewReader(more), int64(len(more)), 1)
				if err != nil {
					return err
				}
				_, err = b.CompleteMultipartUpload(imur, []oss.UploadPart{p})
				return err
			}, more},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			d := startDir(t, dir)
			tc.setup(t, d.b)
			restore := osslocal.FailSyncDir(filepath.Join("objects", osslocaltest.Bucket))
			err := tc.write(d.b)
			restore()
			if err == nil {
				t.Fatal("the write succeeded: the injected sync failure was not reached")
			}
			if got := get(t, d.b, "k"); !bytes.Equal(got, tc.want) {
				t.Fatalf("served after the failed sync: %d bytes, want the new object's %d", len(got), len(tc.want))
			}
			d.stop()
			d = startDir(t, dir)
			if got := get(t, d.b, "k"); !bytes.Equal(got, tc.want) {
				t.Fatalf("served after a restart: %d bytes (the same as before the restart: %v), want the new object's %d",
					len(got), bytes.Equal(got, tc.want), len(tc.want))
			}
			h, err := d.b.GetObjectDetailedMeta("k")
			if err != nil {
				t.Fatal(err)
			}
			if crc := h.Get(oss.HTTPHeaderOssCRC64); crc != strconv.FormatUint(crc64ecma.Checksum(tc.want), 10) {
				t.Fatalf("CRC64 after a restart %s, not the bytes'", crc)
			}
		})
	}
}
