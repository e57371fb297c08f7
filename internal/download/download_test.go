package download

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
	"github.com/ossx/ossx/internal/ossx"
)

// env is an osslocal server, an object on it, and a Downloader reaching
// the server through endpoint (the server itself, or a proxy in front).
type env struct {
	t    *testing.T
	srv  *osslocaltest.TS
	data []byte
	u    ossx.URL
}

func newEnv(t *testing.T, size int) *env {
	t.Helper()
	srv := osslocaltest.Start(t)
	data := make([]byte, size)
	rand.Read(data)
	c, err := oss.New(srv.Endpoint, srv.AccessKeyID, srv.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Bucket(srv.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.PutObject("obj", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, srv: srv, data: data, u: ossx.URL{Bucket: srv.Bucket, Key: "obj"}}
}

// downloader talks to endpoint with small parts and fast retries.
func (e *env) downloader(endpoint string, mod func(*Options)) *Downloader {
	e.t.Helper()
	vars := map[string]string{}
	for _, kv := range e.srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	vars["OSS_ENDPOINT"] = endpoint
	cfg, err := ossx.Load(ossx.Options{Retries: -1}, func(k string) string { return vars[k] })
	if err != nil {
		e.t.Fatal(err)
	}
	cfg.Retry.Base, cfg.Retry.Max = time.Millisecond, 5*time.Millisecond
	c, err := cfg.NewClient()
	if err != nil {
		e.t.Fatal(err)
	}
	o := Options{Jobs: 3, PartSize: MinPartSize, Threshold: 200 << 10, StateDir: e.t.TempDir(), Retry: cfg.Retry}
	if mod != nil {
		mod(&o)
	}
	return New(c, o)
}

func (e *env) dest() Dest {
	root, err := os.OpenRoot(e.t.TempDir())
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { root.Close() })
	return Dest{Root: root, Name: "out"}
}

func (e *env) checkFile(d Dest) {
	e.t.Helper()
	got, err := os.ReadFile(filepath.Join(d.Root.Name(), d.Name))
	if err != nil {
		e.t.Fatal(err)
	}
	if !bytes.Equal(got, e.data) {
		e.t.Fatalf("file holds %d bytes that differ from the object's %d", len(got), len(e.data))
	}
}

// cutProxy forwards TCP connections to target and cuts the first cuts
// connections whose answers exceed limit bytes right there, with a reset:
// a network that drops a download in the middle of a body, which no fault
// of osslocal's (they act before the answer) can do.
type cutProxy struct {
	ln     net.Listener
	target string
	limit  int64
	cuts   atomic.Int64 // left to make
	made   atomic.Int64
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns []net.Conn // closed at cleanup: idle keep-alive connections would hold it up
}

func newCutProxy(t *testing.T, target string, limit int64, cuts int) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(target)
	p := &cutProxy{ln: ln, target: u.Host, limit: limit}
	p.cuts.Store(int64(cuts))
	p.wg.Go(p.serve)
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *cutProxy) endpoint() string { return "http://" + p.ln.Addr().String() }

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Go(func() { p.handle(c) })
	}
}

func (p *cutProxy) handle(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer s.Close()
	p.mu.Lock()
	p.conns = append(p.conns, c, s)
	p.mu.Unlock()
	go func() { io.Copy(s, c); s.(*net.TCPConn).CloseWrite() }()
	if p.cuts.Add(-1) >= 0 {
		io.CopyN(c, s, p.limit)
		p.made.Add(1)
		c.(*net.TCPConn).SetLinger(0)
		return
	}
	io.Copy(c, s)
}

// A download cut in the middle of bodies continues from the byte each
// request reached and ends byte-exact and verified: to a file in one GET,
// in ranges, and to a writer in order.
func TestResetMidBody(t *testing.T) {
	for _, tc := range []struct {
		name      string
		threshold int64
		toWriter  bool
	}{
		{"file, one GET", 10 << 20, false},
		{"file, ranges", 100 << 10, false},
		{"writer, one GET", 10 << 20, true},
		{"writer, ranges", 100 << 10, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, 700<<10)
			p := newCutProxy(t, e.srv.Endpoint, 150<<10, 3)
			d := e.downloader(p.endpoint(), func(o *Options) { o.Threshold = tc.threshold })
			ctx := context.Background()
			m, err := d.Head(ctx, e.u)
			if err != nil {
				t.Fatal(err)
			}
			var res Result
			if tc.toWriter {
				var buf bytes.Buffer
				res, err = d.ToWriter(ctx, e.u, m, &buf)
				if err == nil && !bytes.Equal(buf.Bytes(), e.data) {
					t.Fatalf("writer got %d bytes that differ from the object's %d", buf.Len(), len(e.data))
				}
			} else {
				dest := e.dest()
				res, err = d.ToFile(ctx, e.u, m, dest)
				if err == nil {
					e.checkFile(dest)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified != VerifiedCRC64 || res.CRC64 != m.CRC64 {
				t.Errorf("verified %s, CRC64 %d; want crc64, %d", res.Verified, res.CRC64, m.CRC64)
			}
			if p.made.Load() == 0 {
				t.Fatal("no connection was cut: the test proves nothing")
			}
		})
	}
}

// strippingProxy forwards HTTP to target, dropping the CRC64 header from
// every answer: a server that does not give it. With md5, a normal
// object's answer carries Content-MD5 as OSS gives it for objects put in
// one request (osslocal's ETag of such an object is that MD5 in hex);
// without, no Content-MD5 either.
func strippingProxy(t *testing.T, target string, md5 bool) string {
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(r *http.Response) error {
		r.Header.Del("x-oss-hash-crc64ecma")
		r.Header.Del("Content-MD5")
		if raw, err := hex.DecodeString(strings.Trim(r.Header.Get("ETag"), `"`)); md5 && err == nil && r.Header.Get("x-oss-object-type") == "Normal" {
			r.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(raw))
		}
		return nil
	}
	return serve(t, rp)
}

// serve serves h on a loopback port until the test ends and returns its
// endpoint.
func serve(t *testing.T, h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// Without a CRC64, a download is checked against Content-MD5; without
// either it is "none", and the bytes are still right.
func TestWithoutCRC64(t *testing.T) {
	e := newEnv(t, 300<<10)
	ctx := context.Background()
	for _, tc := range []struct {
		md5  bool
		want Verification
	}{{true, VerifiedMD5}, {false, VerifiedNone}} {
		d := e.downloader(strippingProxy(t, e.srv.Endpoint, tc.md5), func(o *Options) { o.Threshold = 100 << 10 })
		m, err := d.Head(ctx, e.u)
		if err != nil {
			t.Fatal(err)
		}
		dest := e.dest()
		res, err := d.ToFile(ctx, e.u, m, dest)
		if err != nil {
			t.Fatal(err)
		}
		e.checkFile(dest)
		if res.Verified != tc.want {
			t.Errorf("verified %q, want %q", res.Verified, tc.want)
		}
		var buf bytes.Buffer
		if res, err = d.ToWriter(ctx, e.u, m, &buf); err != nil || res.Verified != tc.want || !bytes.Equal(buf.Bytes(), e.data) {
			t.Errorf("to a writer: verified %q, %v, bytes equal %v", res.Verified, err, bytes.Equal(buf.Bytes(), e.data))
		}
	}
}

// A wrong MD5 is a mismatch like a wrong CRC64: nothing is kept.
func TestMD5Mismatch(t *testing.T) {
	e := newEnv(t, 1000)
	m := Meta{Size: int64(len(e.data)), ETag: "x", MD5: make([]byte, 16)}
	d := e.downloader(strippingProxy(t, e.srv.Endpoint, true), nil)
	mm, err := d.Head(context.Background(), e.u)
	if err != nil {
		t.Fatal(err)
	}
	m.ETag, m.Type = mm.ETag, mm.Type
	dest := e.dest()
	_, err = d.ToFile(context.Background(), e.u, m, dest)
	var ce *CRCMismatchError
	if !errors.As(err, &ce) || ce.Kind != "MD5" {
		t.Fatalf("err = %v, want an MD5 mismatch", err)
	}
	if names, _ := os.ReadDir(dest.Root.Name()); len(names) != 0 {
		t.Fatalf("left behind: %v", names)
	}
}

// Without a state directory a ranged download keeps no checkpoint, and its
// parts, finishing in any order, still combine in file order.
func TestRangedWithoutState(t *testing.T) {
	e := newEnv(t, 900<<10)
	d := e.downloader(e.srv.Endpoint, func(o *Options) { o.StateDir, o.Jobs = "", 4 })
	m, err := d.Head(context.Background(), e.u)
	if err != nil {
		t.Fatal(err)
	}
	dest := e.dest()
	if _, err := d.ToFile(context.Background(), e.u, m, dest); err != nil {
		t.Fatal(err)
	}
	e.checkFile(dest)
}

func TestLocalName(t *testing.T) {
	for _, tc := range []struct {
		rel, want string
		ok        bool
	}{
		{"a", "a", true},
		{"a/b/c.txt", "a/b/c.txt", true},
		{"dir/", "dir", true},
		{"sp ace/é/日本", "sp ace/é/日本", true},
		{"..", "", false},
		{"../x", "", false},
		{"a/../../x", "", false},
		{"a/..", "", false},
		{"./a", "", false},
		{"a//b", "", false},
		{"/etc/passwd", "", false},
		{"a\nb", "", false},
		{"a\x00b", "", false},
		{"a\x7fb", "", false},
		{"", "", false},
		{"/", "", false},
		{strings.Repeat("x", 256), "", false},
		{strings.Repeat("x", 255), strings.Repeat("x", 255), true},
		{"\xff", "", false},
	} {
		got, err := LocalName(tc.rel)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("LocalName(%q) = %q, %v; want %q, ok %v", tc.rel, got, err, tc.want, tc.ok)
		}
	}
}

// A checkpoint is trusted only for a temporary file of its own DEST: one
// that names DEST itself (damaged, or written by hand) must never lead to
// DEST being removed or written in place.
func TestCheckpointNamingDest(t *testing.T) {
	e := newEnv(t, 900<<10)
	d := e.downloader(e.srv.Endpoint, nil)
	m, err := d.Head(context.Background(), e.u)
	if err != nil {
		t.Fatal(err)
	}
	dest := e.dest()
	p := filepath.Join(dest.Root.Name(), dest.Name)
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	cps := newCheckpoints(d.opts.StateDir)
	name := cps.name(d.endpoint, e.u.Bucket, e.u.Key, p)
	if err := os.MkdirAll(cps.Dir(), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, etag := range []string{"another-version", m.ETag} {
		cp := &checkpoint{Version: checkpointVersion, Endpoint: d.endpoint, Bucket: e.u.Bucket, Key: e.u.Key,
			Dest: p, Temp: dest.Name, ETag: etag, Size: m.Size, CRC64: m.CRC64, PartSize: MinPartSize}
		if err := cps.save(name, cp); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // interrupted at once: whatever was done to DEST stays visible
		_, err := d.ToFile(ctx, e.u, m, dest)
		var re *ResumableError
		if !errors.As(err, &re) {
			t.Fatalf("ETag %s: %v, want a resumable interruption", etag, err)
		}
		if got, err := os.ReadFile(p); err != nil || string(got) != "old" {
			t.Fatalf("ETag %s: DEST holds %q, %v; want it untouched", etag, got, err)
		}
	}
}

// A temporary file's name stays valid UTF-8 and within 255 bytes however
// long DEST's name, so a file system that checks names (APFS) takes it.
func TestTempPrefix(t *testing.T) {
	for _, base := range []string{"a", strings.Repeat("x", 255), "x" + strings.Repeat("é", 127), "xx" + strings.Repeat("日本", 42)} {
		name := tempPrefix(base) + "0123456789ab"
		if !utf8.ValidString(name) || len(name) > maxName || !isTemp(name, base) {
			t.Errorf("%d-byte base: temporary name %q (%d bytes, valid UTF-8 %v)", len(base), name, len(name), utf8.ValidString(name))
		}
	}
}

// A 206 whose Content-Range is not the range asked for (a broken proxy or
// cache) is an error, never bytes written at the wrong offset: for an
// object OSS gives no CRC64 or MD5 for, nothing else would catch it. Here
// the continuation of a GET cut mid-body asks for the rest, and a proxy
// that drops the checksums hands back the range one byte earlier.
func TestWrongContentRange(t *testing.T) {
	e := newEnv(t, 700<<10)
	u, _ := url.Parse(e.srv.Endpoint)
	rp := httputil.NewSingleHostReverseProxy(u)
	director := rp.Director
	rp.Director = func(r *http.Request) {
		director(r)
		var a, b int64
		if _, err := fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-%d", &a, &b); err == nil && a > 0 {
			r.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", a-1, b-1))
		}
	}
	rp.ModifyResponse = func(r *http.Response) error {
		r.Header.Del("x-oss-hash-crc64ecma")
		r.Header.Del("Content-MD5")
		return nil
	}
	p := newCutProxy(t, serve(t, rp), 150<<10, 1)
	d := e.downloader(p.endpoint(), func(o *Options) { o.Retry.Attempts = 1 })
	ctx := context.Background()
	m, err := d.Head(ctx, e.u)
	if err != nil {
		t.Fatal(err)
	}
	if m.verification() != VerifiedNone {
		t.Fatalf("verification %s: the test needs an object without checksums", m.verification())
	}
	dest := e.dest()
	_, err = d.ToFile(ctx, e.u, m, dest)
	if err == nil || !strings.Contains(err.Error(), "Content-Range") {
		t.Fatalf("err = %v, want a wrong Content-Range", err)
	}
	if p.made.Load() == 0 {
		t.Fatal("no connection was cut: the test proves nothing")
	}
	if names, _ := os.ReadDir(dest.Root.Name()); len(names) != 0 {
		t.Fatalf("left behind: %v", names)
	}
}

// Another ossget to the same DEST sweeps the leftovers of killed runs
// (sweepTemps) just as this one has made its temporary file, or is about
// to rename it: it must pass over the live file, whose download then ends
// whole, in one GET or in ranges.
func TestSweepSparesLiveTemp(t *testing.T) {
	for _, size := range []int{100 << 10, 900 << 10} {
		for _, point := range []string{"created", "rename"} {
			t.Run(fmt.Sprintf("%d/%s", size, point), func(t *testing.T) {
				e := newEnv(t, size)
				d := e.downloader(e.srv.Endpoint, nil)
				m, err := d.Head(context.Background(), e.u)
				if err != nil {
					t.Fatal(err)
				}
				dest := e.dest()
				swept := false
				raceHook = func(p string) {
					if p == point && !swept {
						swept = true
						sweepTemps(dest, "", readTemps(dest.Root, ".")[tempPrefix(dest.Name)])
					}
				}
				t.Cleanup(func() { raceHook = nil })
				if _, err := d.ToFile(context.Background(), e.u, m, dest); err != nil {
					t.Fatal(err)
				}
				if !swept {
					t.Fatalf("no %s point reached", point)
				}
				e.checkFile(dest)
			})
		}
	}
}

// Downloads into one directory (a mirror) sweep the leftovers of each DEST
// while reading the directory once, not once per file.
func TestSweepReadsDirOnce(t *testing.T) {
	e := newEnv(t, 10<<10)
	d := e.downloader(e.srv.Endpoint, nil)
	m, err := d.Head(context.Background(), e.u)
	if err != nil {
		t.Fatal(err)
	}
	dest := e.dest()
	dir := dest.Root.Name()
	names := []string{"a", "b", "c"}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, "."+n+".ossget-0123456789ab"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, ".a.ossget-my-notes.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		dest.Name = n
		if _, err := d.ToFile(context.Background(), e.u, m, dest); err != nil {
			t.Fatal(err)
		}
		e.checkFile(dest)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(left) != 1 || filepath.Base(left[0]) != ".a.ossget-my-notes.txt" {
		t.Fatalf("left in the directory: %v, want only the user's .a.ossget-my-notes.txt", left)
	}
	if d.temps.reads != 1 {
		t.Fatalf("directory read %d times for %d files, want once", d.temps.reads, len(names))
	}
}
