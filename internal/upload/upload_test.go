package upload

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/crc64ecma"
	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
	"github.com/ossx/ossx/internal/ossx"
)

const testBucket = osslocaltest.Bucket

// env is an osslocal server in this process and a client for it.
type env struct {
	t      *testing.T
	faults *osslocal.Faults
	cfg    *ossx.Config
	bucket *oss.Bucket
	state  string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv := osslocaltest.Start(t)
	vars := map[string]string{}
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	cfg, err := ossx.Load(ossx.Options{Retries: -1}, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Retry.Base, cfg.Retry.Max = time.Millisecond, 5*time.Millisecond
	b, err := cfg.OpenBucket(srv.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, faults: srv.Faults, cfg: cfg, bucket: b, state: t.TempDir()}
}

// uploader returns an Uploader with small multipart sizes, adjusted by mod.
func (e *env) uploader(mod func(*Options)) *Uploader {
	c, err := e.cfg.NewClient()
	if err != nil {
		e.t.Fatal(err)
	}
	o := Options{Threshold: 300 << 10, PartSize: MinPartSize, Jobs: 2, StateDir: e.state, Retry: e.cfg.Retry}
	if mod != nil {
		mod(&o)
	}
	return New(c, o)
}

func (e *env) setFaults(spec string) {
	e.t.Helper()
	rules, err := osslocal.ParseFaults(spec)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.faults.Set(rules); err != nil {
		e.t.Fatal(err)
	}
}

// object returns an object's bytes, or nil when it does not exist.
func (e *env) object(key string) []byte {
	e.t.Helper()
	r, err := e.bucket.GetObject(key)
	if isStatus(err, 404) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		e.t.Fatal(err)
	}
	return data
}

func (e *env) checkpoints() []string {
	names, _ := filepath.Glob(filepath.Join(e.state, "uploads", "*.json"))
	return names
}

func randomFile(t *testing.T, size int) (string, []byte) {
	t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	p := filepath.Join(t.TempDir(), "data.bin")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, data
}

func dst(key string) ossx.URL { return ossx.URL{Bucket: testBucket, Key: key} }

func crcOf(b []byte) uint64 { return crc64ecma.Checksum(b) }

func TestFileUploads(t *testing.T) {
	for _, tc := range []struct {
		name   string
		size   int
		faults string
	}{
		{"empty", 0, ""},
		{"single", 1000, ""},
		{"single-503-storm", 200 << 10, "put:error=503:times=3"},
		{"single-reset", 200 << 10, "put:reset=64k:times=2"},
		{"single-apply-then-fail", 1000, "put:apply-then-fail:nth=1"},
		{"multipart", 550 << 10, ""},
		{"multipart-exact-parts", 400 << 10, ""},
		{"multipart-503-storm", 550 << 10, "upload-part:error=503:every=2:times=4;initiate:error=500:nth=1"},
		{"multipart-reset", 550 << 10, "upload-part:reset=50k:times=3"},
		{"complete-apply-then-fail", 550 << 10, "complete:apply-then-fail:nth=1"},
		{"complete-503", 550 << 10, "complete:error=503:nth=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.setFaults(tc.faults)
			path, data := randomFile(t, tc.size)
			res, err := e.uploader(nil).File(context.Background(), path, dst("k/"+tc.name))
			if err != nil {
				t.Fatal(err)
			}
			if got := e.object("k/" + tc.name); !bytes.Equal(got, data) || got == nil {
				t.Fatalf("object differs from the file (%d vs %d bytes)", len(got), len(data))
			}
			if res.Size != int64(len(data)) || res.CRC64 != crcOf(data) || res.ETag == "" {
				t.Errorf("result %+v; want size %d crc %d and an ETag", res, len(data), crcOf(data))
			}
			if cps := e.checkpoints(); len(cps) != 0 {
				t.Errorf("checkpoints left: %v", cps)
			}
			e.checkFired(tc.faults)
		})
	}
}

// checkFired fails the test if a fault spec was given but nothing fired:
// the test would prove nothing.
func (e *env) checkFired(spec string) {
	e.t.Helper()
	if spec != "" && e.faults.Fired(osslocal.OpAny) == 0 {
		e.t.Errorf("no fault of %q fired", spec)
	}
}

func TestContentTypeAndHeaders(t *testing.T) {
	e := newEnv(t)
	path := filepath.Join(t.TempDir(), "page.html")
	os.WriteFile(path, []byte("<p>hi</p>"), 0o644)
	for _, threshold := range []int64{1 << 20, 1} {
		u := e.uploader(func(o *Options) {
			o.Threshold = threshold
			o.Object = Object{CacheControl: "max-age=60", ContentDisposition: "inline", Meta: map[string]string{"owner": "web,team"}, StorageClass: "IA"}
		})
		if _, err := u.File(context.Background(), path, dst("page")); err != nil {
			t.Fatal(err)
		}
		h, err := e.bucket.GetObjectDetailedMeta("page")
		if err != nil {
			t.Fatal(err)
		}
		for k, want := range map[string]string{
			"Content-Type": "text/html", "Cache-Control": "max-age=60", "Content-Disposition": "inline",
			"X-Oss-Meta-Owner": "web,team", "X-Oss-Storage-Class": "IA",
		} {
			if got := h.Get(k); !strings.HasPrefix(got, want) {
				t.Errorf("threshold %d: %s = %q, want %q", threshold, k, got, want)
			}
		}
	}
}

func TestCorruptCRCLeavesNothing(t *testing.T) {
	for _, tc := range []struct{ name, faults string }{
		{"single", "put:corrupt-crc"},
		{"complete", "complete:corrupt-crc"},
		{"part", "upload-part:corrupt-crc:nth=2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.setFaults(tc.faults)
			size := 1000
			if tc.name != "single" {
				size = 550 << 10
			}
			path, _ := randomFile(t, size)
			_, err := e.uploader(nil).File(context.Background(), path, dst("bad"))
			var crc *CRCMismatchError
			if !errors.As(err, &crc) {
				t.Fatalf("err = %v, want a CRC mismatch", err)
			}
			if got := e.object("bad"); got != nil {
				t.Errorf("a corrupt object of %d bytes was left", len(got))
			}
			if cps := e.checkpoints(); len(cps) != 0 {
				t.Errorf("checkpoints left: %v", cps)
			}
			e.checkFired(tc.faults)
		})
	}
}

func TestNoClobber(t *testing.T) {
	e := newEnv(t)
	if err := e.bucket.PutObject("taken", strings.NewReader("old")); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{10, 550 << 10} {
		path, _ := randomFile(t, size)
		_, err := e.uploader(func(o *Options) { o.NoClobber = true }).File(context.Background(), path, dst("taken"))
		var ex *ExistsError
		if !errors.As(err, &ex) {
			t.Fatalf("size %d: err = %v, want ExistsError", size, err)
		}
		if got := e.object("taken"); string(got) != "old" {
			t.Fatalf("size %d: existing object changed to %d bytes", size, len(got))
		}
	}
	// An attempt OSS applied but did not confirm is recognised as ours.
	e.setFaults("put:apply-then-fail:nth=1;complete:apply-then-fail:nth=1")
	for _, size := range []int{10, 550 << 10} {
		path, data := randomFile(t, size)
		key := "fresh" + string(rune('a'+size%26))
		if _, err := e.uploader(func(o *Options) { o.NoClobber = true }).File(context.Background(), path, dst(key)); err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if !bytes.Equal(e.object(key), data) {
			t.Fatalf("size %d: object differs", size)
		}
	}
}

func TestResumeAfterFailure(t *testing.T) {
	e := newEnv(t)
	path, data := randomFile(t, 650<<10) // 7 parts of 100 KiB
	e.setFaults("upload-part:error=503:nth=4")
	serial := func(o *Options) { o.Jobs = 1; o.Retry.Attempts = 1 }
	_, err := e.uploader(serial).File(context.Background(), path, dst("big"))
	if err == nil {
		t.Fatal("first run succeeded despite the fault")
	}
	cps := e.checkpoints()
	if len(cps) != 1 {
		t.Fatalf("checkpoints after failure: %v", cps)
	}
	checkPerm(t, cps[0], 0o600)
	checkPerm(t, filepath.Dir(cps[0]), 0o700)
	if e.object("big") != nil {
		t.Fatal("an object appeared before Complete")
	}

	e.setFaults("")
	res, err := e.uploader(serial).File(context.Background(), path, dst("big"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Resumed != 3 {
		t.Errorf("resumed %d parts, want 3", res.Resumed)
	}
	if !bytes.Equal(e.object("big"), data) {
		t.Fatal("object differs from the file")
	}
	if cps := e.checkpoints(); len(cps) != 0 {
		t.Errorf("checkpoints left: %v", cps)
	}
}

func TestResumeAfterCancel(t *testing.T) {
	e := newEnv(t)
	path, data := randomFile(t, 650<<10)
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	u := e.uploader(func(o *Options) {
		o.Jobs = 1
		// Cancel once the second part is in flight, as SIGINT would.
		var sent int64
		o.Progress = func(n int64) {
			sent += n
			if sent > 150<<10 {
				once.Do(cancel)
			}
		}
	})
	_, err := u.File(ctx, path, dst("big"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(e.checkpoints()) != 1 {
		t.Fatal("no checkpoint kept after the interrupt")
	}
	res, err := e.uploader(nil).File(context.Background(), path, dst("big"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Resumed < 1 {
		t.Errorf("resumed %d parts, want ≥1", res.Resumed)
	}
	if !bytes.Equal(e.object("big"), data) {
		t.Fatal("object differs from the file")
	}
}

func TestChangedSourceDropsCheckpoint(t *testing.T) {
	e := newEnv(t)
	path, _ := randomFile(t, 650<<10)
	e.setFaults("upload-part:error=503:nth=3")
	serial := func(o *Options) { o.Jobs = 1; o.Retry.Attempts = 1 }
	if _, err := e.uploader(serial).File(context.Background(), path, dst("big")); err == nil {
		t.Fatal("first run succeeded despite the fault")
	}
	e.setFaults("")
	data := make([]byte, 650<<10)
	rand.Read(data)
	os.WriteFile(path, data, 0o644)
	os.Chtimes(path, time.Now(), time.Now().Add(time.Hour))
	res, err := e.uploader(serial).File(context.Background(), path, dst("big"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Resumed != 0 {
		t.Errorf("resumed %d parts of a changed file", res.Resumed)
	}
	if !bytes.Equal(e.object("big"), data) {
		t.Fatal("object differs from the new file")
	}
}

func TestSourceChangingDuringUpload(t *testing.T) {
	for _, size := range []int{200 << 10, 650 << 10} {
		e := newEnv(t)
		path, _ := randomFile(t, size)
		var once sync.Once
		u := e.uploader(func(o *Options) {
			o.Progress = func(int64) {
				once.Do(func() {
					f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
					f.Write([]byte("more"))
					f.Close()
				})
			}
		})
		_, err := u.File(context.Background(), path, dst("moving"))
		if !errors.Is(err, ErrSourceChanged) {
			t.Fatalf("size %d: err = %v, want ErrSourceChanged", size, err)
		}
		if got := e.object("moving"); got != nil {
			t.Fatalf("size %d: an object of %d bytes was left", size, len(got))
		}
		if cps := e.checkpoints(); len(cps) != 0 {
			t.Errorf("size %d: checkpoints left: %v", size, cps)
		}
	}
}

func TestSkipUnchanged(t *testing.T) {
	e := newEnv(t)
	path, _ := randomFile(t, 1000)
	skip := func(o *Options) { o.SkipUnchanged = true }
	res, err := e.uploader(skip).File(context.Background(), path, dst("s"))
	if err != nil || res.Skipped {
		t.Fatalf("first upload: %+v, %v", res, err)
	}
	res, err = e.uploader(skip).File(context.Background(), path, dst("s"))
	if err != nil || !res.Skipped {
		t.Fatalf("second upload: %+v, %v; want skipped", res, err)
	}
	data := make([]byte, 1000)
	rand.Read(data)
	os.WriteFile(path, data, 0o644)
	res, err = e.uploader(skip).File(context.Background(), path, dst("s"))
	if err != nil || res.Skipped || !bytes.Equal(e.object("s"), data) {
		t.Fatalf("changed file: %+v, %v; want uploaded", res, err)
	}
}

func TestStream(t *testing.T) {
	for _, tc := range []struct {
		name   string
		size   int
		faults string
	}{
		{"empty", 0, ""},
		{"small", 5000, ""},
		{"one-part", MinPartSize, ""},
		{"parts", 350 << 10, ""},
		{"parts-faults", 350 << 10, "upload-part:reset=10k:times=2;complete:apply-then-fail:nth=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.setFaults(tc.faults)
			data := make([]byte, tc.size)
			rand.Read(data)
			// A pipe: the uploader cannot see the length.
			pr, pw := io.Pipe()
			go func() { pw.CloseWithError(writeAll(pw, data)) }()
			res, err := e.uploader(nil).Stream(context.Background(), pr, dst("s"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(e.object("s"), data) || res.CRC64 != crcOf(data) {
				t.Fatal("object differs from the stream")
			}
			e.checkFired(tc.faults)
		})
	}
}

func TestStreamCorruptCRC(t *testing.T) {
	e := newEnv(t)
	e.setFaults("complete:corrupt-crc")
	data := make([]byte, 350<<10)
	_, err := e.uploader(nil).Stream(context.Background(), bytes.NewReader(data), dst("s"))
	var crc *CRCMismatchError
	if !errors.As(err, &crc) || e.object("s") != nil {
		t.Fatalf("err = %v, object left: %v", err, e.object("s") != nil)
	}
}

func writeAll(w io.Writer, data []byte) error {
	for len(data) > 0 {
		n := min(len(data), 7000)
		if _, err := w.Write(data[:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

func checkPerm(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s has mode %o, want %o", path, got, want)
	}
}

func TestChoosePartSize(t *testing.T) {
	for _, tc := range []struct {
		size, want, got int64
		err             bool
	}{
		{size: 1 << 30, got: DefaultPartSize},
		{size: 100 << 30, got: DefaultPartSize},
		{size: 200 << 30, got: 21 << 20}, // 200 GiB / 10,000 = 20.48 MiB → 21 MiB
		{size: 1 << 30, want: 1 << 20, got: 1 << 20},
		{size: 100 << 30, want: 1 << 20, err: true},
		{size: 1 << 20, want: 50 << 10, err: true},
		{size: MaxParts*MaxPartSize + 1, err: true},
	} {
		got, err := ChoosePartSize(tc.size, tc.want)
		if (err != nil) != tc.err || got != tc.got {
			t.Errorf("ChoosePartSize(%d, %d) = %d, %v; want %d, error %v", tc.size, tc.want, got, err, tc.got, tc.err)
		}
		if err == nil && (tc.size+got-1)/got > MaxParts {
			t.Errorf("ChoosePartSize(%d) = %d: more than %d parts", tc.size, got, MaxParts)
		}
	}
	if got := streamPartSize(8<<20, 1000); got != 8<<20 {
		t.Errorf("part 1000 of a stream: %d", got)
	}
	if got := streamPartSize(8<<20, 1001); got != 16<<20 {
		t.Errorf("part 1001 of a stream: %d", got)
	}
	if got := streamPartSize(8<<20, MaxParts); got > MaxPartSize {
		t.Errorf("part %d of a stream: %d, over the limit", MaxParts, got)
	}
}
