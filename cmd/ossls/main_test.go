package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"ossls": main})
}

// TestScripts runs testdata/script/*.txtar, each against its own
// in-process osslocal whose address and credentials are in the environment
// (OSS_ENDPOINT, OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET, OSS_BUCKET), with
// $BUCKET the pre-created empty bucket, $NLKEY and $ESCKEY keys holding a
// newline and an escape sequence.
func TestScripts(t *testing.T) { runScripts(t, false) }

// TestScriptsNoCRC64 runs the same scripts against a server that sends no
// x-oss-hash-crc64ecma (osslocal.Options.NoCRC64), as OSS-compatible servers
// without CRC64 answer: listing needs none.
func TestScriptsNoCRC64(t *testing.T) { runScripts(t, true) }

func runScripts(t *testing.T, noCRC64 bool) {
	cmds := osslocaltest.ScriptCmds() // status, faults
	maps.Copy(cmds, map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"put":        cmdPut,
		"putmany":    cmdPutMany,
		"putkeys":    cmdPutKeys,
		"mkbucket":   cmdMkBucket,
		"region":     cmdRegion,
		"initupload": cmdInitUpload,
		"jsonlines":  cmdJSONLines,
		"sorted":     cmdSorted,
		"fetchurls":  cmdFetchURLs,
	})
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			_, err := osslocaltest.ScriptSetup(env, func(o *osslocal.Options) { o.NoCRC64 = noCRC64 })
			// Keys a script cannot spell: a newline, an escape sequence.
			env.Setenv("NLKEY", "x\noss:__spoof")
			env.Setenv("ESCKEY", "e\x1b[2Jclear")
			return err
		},
		Cmds: cmds,
	})
}

// sdkBucket opens a bucket of srv with the SDK, the way any OSS client would.
func sdkBucket(t interface{ Fatalf(string, ...any) }, srv *osslocaltest.TS, name string) *oss.Bucket {
	c, err := oss.New(srv.Endpoint, srv.AccessKeyID, srv.AccessKeySecret)
	if err != nil {
		t.Fatalf("oss.New: %v", err)
	}
	b, err := c.Bucket(name)
	if err != nil {
		t.Fatalf("bucket %s: %v", name, err)
	}
	return b
}

// put [-bucket NAME] [-size N] [-class CLASS] [-append | -multipart] KEY [CONTENT]:
// create an object holding CONTENT, or N bytes "x", or nothing; with
// storage class CLASS; as an appendable object or through a one-part
// multipart upload.
func cmdPut(ts *testscript.TestScript, neg bool, args []string) {
	bucket, args := bucketArg(ts, args)
	var content, class, how string
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch {
		case args[0] == "-size" && len(args) > 1:
			n, err := strconv.Atoi(args[1])
			ts.Check(err)
			content, args = strings.Repeat("x", n), args[1:]
		case args[0] == "-class" && len(args) > 1:
			class, args = args[1], args[1:]
		case args[0] == "-append" || args[0] == "-multipart":
			how = args[0]
		default:
			ts.Fatalf("put: unknown option %s", args[0])
		}
		args = args[1:]
	}
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: put [-bucket NAME] [-size N] [-class CLASS] [-append | -multipart] KEY [CONTENT]")
	}
	if len(args) == 2 {
		content = args[1]
	}
	b := sdkBucket(ts, osslocaltest.ScriptServer(ts), bucket)
	var opts []oss.Option
	if class != "" {
		opts = append(opts, oss.ObjectStorageClass(oss.StorageClassType(class)))
	}
	key, body := args[0], strings.NewReader(content)
	switch how {
	case "-append":
		_, err := b.AppendObject(key, body, 0, opts...)
		ts.Check(err)
	case "-multipart":
		imur, err := b.InitiateMultipartUpload(key, opts...)
		ts.Check(err)
		part, err := b.UploadPart(imur, body, int64(len(content)), 1)
		ts.Check(err)
		_, err = b.CompleteMultipartUpload(imur, []oss.UploadPart{part})
		ts.Check(err)
	default:
		ts.Check(b.PutObject(key, body, opts...))
	}
}

// putmany [-bucket NAME] PREFIX N: create objects PREFIX00000 … PREFIX(N-1),
// object i holding i bytes.
func cmdPutMany(ts *testscript.TestScript, neg bool, args []string) {
	bucket, args := bucketArg(ts, args)
	if neg || len(args) != 2 {
		ts.Fatalf("usage: putmany [-bucket NAME] PREFIX N")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s%05d", args[0], i)
	}
	putAll(ts, sdkBucket(ts, osslocaltest.ScriptServer(ts), bucket), keys)
}

// putkeys [-bucket NAME] FILE: create one object per line of FILE, the key
// being the line verbatim (spaces included).
func cmdPutKeys(ts *testscript.TestScript, neg bool, args []string) {
	bucket, args := bucketArg(ts, args)
	if neg || len(args) != 1 {
		ts.Fatalf("usage: putkeys [-bucket NAME] FILE")
	}
	keys := strings.Split(strings.TrimSuffix(ts.ReadFile(args[0]), "\n"), "\n")
	putAll(ts, sdkBucket(ts, osslocaltest.ScriptServer(ts), bucket), keys)
}

// putAll creates the objects named keys, object i holding i%4096 bytes,
// with 16 requests in flight.
func putAll(t interface{ Fatalf(string, ...any) }, b *oss.Bucket, keys []string) {
	next := make(chan int)
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range next {
				if err := b.PutObject(keys[i], strings.NewReader(strings.Repeat("x", i%4096))); err != nil {
					errs <- fmt.Errorf("put %q: %w", keys[i], err)
					return
				}
			}
		})
	}
	func() {
		defer close(next)
		for i := range keys {
			select {
			case next <- i:
			case err := <-errs:
				errs <- err
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatalf("%v", err)
	}
}

// mkbucket NAME: create a bucket.
func cmdMkBucket(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mkbucket NAME")
	}
	srv := osslocaltest.ScriptServer(ts)
	c, err := oss.New(srv.Endpoint, srv.AccessKeyID, srv.AccessKeySecret)
	ts.Check(err)
	ts.Check(c.CreateBucket(args[0]))
}

// region BUCKET REGION: move BUCKET to REGION, so that the server answers
// for it as OSS does through another region's endpoint.
func cmdRegion(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: region BUCKET REGION")
	}
	ts.Check(osslocaltest.ScriptServer(ts).Server.SetBucketRegion(args[0], args[1]))
}

// initupload [-bucket NAME] KEY: start a multipart upload and leave it
// unfinished; its upload id goes into $UPLOAD_ID.
func cmdInitUpload(ts *testscript.TestScript, neg bool, args []string) {
	bucket, args := bucketArg(ts, args)
	if neg || len(args) != 1 {
		ts.Fatalf("usage: initupload [-bucket NAME] KEY")
	}
	imur, err := sdkBucket(ts, osslocaltest.ScriptServer(ts), bucket).InitiateMultipartUpload(args[0])
	ts.Check(err)
	ts.Setenv("UPLOAD_ID", imur.UploadID)
}

// jsonlines N: the last command's stdout is exactly N lines, each one JSON
// object with only known fields of the right types.
func cmdJSONLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: jsonlines N")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	n := 0
	for line := range strings.Lines(ts.ReadFile("stdout")) {
		n++
		if err := checkJSONLine([]byte(line)); err != nil {
			ts.Fatalf("line %d: %v: %s", n, err, line)
		}
	}
	if n != want {
		ts.Fatalf("stdout has %d JSON lines, want %d", n, want)
	}
}

// checkJSONLine decodes one --json line strictly into the shape its keys
// announce.
func checkJSONLine(line []byte) error {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(line, &probe); err != nil {
		return err
	}
	var v any
	switch {
	case probe["prefix"] != nil:
		v = &struct {
			Prefix string `json:"prefix"`
		}{}
	case probe["upload_id"] != nil:
		v = &struct {
			Key       string `json:"key"`
			UploadID  string `json:"upload_id"`
			Initiated string `json:"initiated"`
		}{}
	case probe["name"] != nil:
		v = &struct {
			Name         string `json:"name"`
			Region       string `json:"region"`
			CreationDate string `json:"creation_date"`
		}{}
	case probe["summary"] != nil:
		v = &struct {
			Summary map[string]int64 `json:"summary"`
		}{}
	default:
		v = &struct {
			Key          string `json:"key"`
			Size         int64  `json:"size"`
			ETag         string `json:"etag"`
			LastModified string `json:"last_modified"`
			StorageClass string `json:"storage_class"`
			Type         string `json:"type"`
		}{}
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// sorted N: the last command's stdout is exactly N lines in strictly
// increasing byte order.
func cmdSorted(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sorted N")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	lines := strings.Split(strings.TrimSuffix(ts.ReadFile("stdout"), "\n"), "\n")
	if len(lines) != want {
		ts.Fatalf("stdout has %d lines, want %d", len(lines), want)
	}
	for i := 1; i < len(lines); i++ {
		if lines[i-1] >= lines[i] {
			ts.Fatalf("line %d %q does not sort after line %d %q", i+1, lines[i], i, lines[i-1])
		}
	}
}

func bucketArg(ts *testscript.TestScript, args []string) (string, []string) {
	if len(args) >= 2 && args[0] == "-bucket" {
		return args[1], args[2:]
	}
	return osslocaltest.ScriptServer(ts).Bucket, args
}

// trickyKeys sort in surprising ways: "/" (0x2F) after "-" (0x2D) and "+"
// (0x2B) but before letters, a space before all of them, multi-byte UTF-8
// after ASCII, and keys that look like escapes.
var trickyKeys = []string{
	"a/b", "a-b", "a+b", "a b", "a%2Fb", "a%b", "a.b", "a/", "a//b", "a/b/",
	"A", "a", "Z", "z", "~", "é", "e\u0301", "日本/語", "😀", "x y/z w",
	"dir/", "dir/sub/", "dir/sub/file", "dir-file", "dir.file", "dir0",
	"q?x", "h#y", "amp&er=1", "semi;colon", "star*", "[brackets]", "back\\slash",
}

// TestPagingTrickyKeys lists 2,500 keys plus the tricky ones over three
// pages and checks the output is exactly the keys in byte order, with and
// without a delimiter.
func TestPagingTrickyKeys(t *testing.T) {
	srv := osslocaltest.Start(t)
	keys := slices.Clone(trickyKeys)
	for i := range 2500 {
		keys = append(keys, fmt.Sprintf("p/%04d", i))
	}
	putAll(t, sdkBucket(t, srv, srv.Bucket), keys)

	want := make([]string, len(keys))
	for i, k := range keys {
		want[i] = "oss://" + srv.Bucket + "/" + k
	}
	slices.Sort(want) // Go compares strings bytewise, as OSS orders keys
	out, stderr, err := ossls(t, srv, "-r", "oss://"+srv.Bucket+"/")
	if err != nil {
		t.Fatalf("ossls -r: %v\n%s", err, stderr)
	}
	if got := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); !slices.Equal(got, want) {
		t.Fatalf("ossls -r printed %d lines, want %d; first difference %s", len(got), len(want), firstDiff(got, want))
	}

	// One level: every key without a further "/" plus each first-level
	// prefix once, merged in byte order.
	seen := map[string]bool{}
	want = want[:0]
	for _, k := range keys {
		if i := strings.Index(k, "/"); i >= 0 {
			k = k[:i+1]
		}
		if !seen[k] {
			seen[k] = true
			want = append(want, "oss://"+srv.Bucket+"/"+k)
		}
	}
	slices.Sort(want)
	out, stderr, err = ossls(t, srv, "oss://"+srv.Bucket+"/")
	if err != nil {
		t.Fatalf("ossls: %v\n%s", err, stderr)
	}
	if got := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); !slices.Equal(got, want) {
		t.Fatalf("ossls printed %d lines, want %d; first difference %s", len(got), len(want), firstDiff(got, want))
	}

	// JSON: every line decodes, keys in the same order.
	out, stderr, err = ossls(t, srv, "-r", "--json", "oss://"+srv.Bucket+"/")
	if err != nil {
		t.Fatalf("ossls --json: %v\n%s", err, stderr)
	}
	var got []string
	for line := range strings.Lines(out) {
		if err := checkJSONLine([]byte(line)); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		var o struct{ Key string }
		json.Unmarshal([]byte(line), &o)
		got = append(got, o.Key)
	}
	slices.Sort(keys)
	if !slices.Equal(got, keys) {
		t.Fatalf("--json keys differ: %s", firstDiff(got, keys))
	}
}

// TestHugePages lists keys near OSS's 1023-byte limit, all escaped in the
// XML (encoding-type=url makes each "é" six bytes), so every full page is a
// response of several MB; the listing still comes out whole and in order,
// in every format, and --limit stops inside such a page.
func TestHugePages(t *testing.T) {
	srv := osslocaltest.Start(t)
	var keys []string
	for i := range 1100 {
		keys = append(keys, fmt.Sprintf("long/%04d/", i)+strings.Repeat("é", 504))
	}
	putAll(t, sdkBucket(t, srv, srv.Bucket), keys)
	for _, args := range [][]string{{"-r"}, {"-rl"}, {"-r", "--json"}} {
		out, stderr, err := ossls(t, srv, append(args, "oss://"+srv.Bucket+"/long/")...)
		if err != nil || stderr != "" {
			t.Fatalf("ossls %v: %v\n%s", args, err, stderr)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != len(keys) {
			t.Fatalf("ossls %v printed %d lines, want %d", args, len(lines), len(keys))
		}
		for i, line := range lines {
			if !strings.Contains(line, keys[i]) {
				t.Fatalf("ossls %v line %d does not hold key %d", args, i+1, i)
			}
		}
	}
	out, _, err := ossls(t, srv, "-r", "--limit", "1001", "oss://"+srv.Bucket+"/long/")
	if err != nil || strings.Count(out, "\n") != 1001 {
		t.Fatalf("--limit 1001: %d lines, %v", strings.Count(out, "\n"), err)
	}
}

func firstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("at line %d: got %q, want %q", i+1, got[i], want[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(got), len(want))
}

// ossls runs the ossls binary (testscript.Main put it on $PATH) against srv.
func ossls(t *testing.T, srv *osslocaltest.TS, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command("ossls", args...)
	cmd.Env = env(t, srv)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

func env(t *testing.T, srv *osslocaltest.TS) []string {
	return append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, srv.Env()...)
}

// TestHeadExitsQuietly is "ossls -r | head -1": the reader goes away after
// one line while pages are still coming; ossls must stop with status 0 and
// say nothing.
func TestHeadExitsQuietly(t *testing.T) {
	srv := osslocaltest.Start(t)
	var keys []string
	for i := range 3000 {
		keys = append(keys, fmt.Sprintf("k%05d", i))
	}
	putAll(t, sdkBucket(t, srv, srv.Bucket), keys)

	// The second page is held back a moment so that the reader is surely
	// gone when ossls writes it (a timing aid, not an assertion).
	delay, err := osslocal.ParseFaults("list:delay=300ms:nth=2")
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"-r"}, {"-rl"}, {"-r", "--json"}, {"-r", "--summary"}} {
		if err := srv.Faults.Set(delay); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("ossls", append(args, "oss://"+srv.Bucket+"/")...)
		cmd.Env = env(t, srv)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil || !strings.Contains(line, "k00000") {
			t.Fatalf("%v: first line %q, %v", args, line, err)
		}
		stdout.Close() // head -1 exits
		if err := cmd.Wait(); err != nil {
			t.Errorf("%v: ossls after the reader left: %v (stderr %q)", args, err, stderr.String())
		}
		if stderr.Len() > 0 {
			t.Errorf("%v: stderr %q, want nothing", args, stderr.String())
		}
	}
}

// TestFullDisk: a write error other than a closed pipe is a failure:
// status 1 and one line naming it (stdout on /dev/full, as when the disk a
// listing is redirected to fills up).
func TestFullDisk(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full:", err)
	}
	defer full.Close()
	srv := osslocaltest.Start(t)
	putAll(t, sdkBucket(t, srv, srv.Bucket), []string{"a", "b"})
	cmd := exec.Command("ossls", "oss://"+srv.Bucket+"/")
	cmd.Env = env(t, srv)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = full, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("ossls > /dev/full: %v, want exit status 1", err)
	}
	if got := stderr.String(); !strings.HasPrefix(got, "ossls: error: write ") || !strings.Contains(got, "no space left on device") || strings.Count(got, "\n") != 1 {
		t.Errorf("stderr %q, want one line 'ossls: error: write …: no space left on device'", got)
	}
}

// TestInterrupt: SIGINT or SIGTERM while a request hangs stops ossls with status 130
// and one line saying so.
func TestInterrupt(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) { interrupt(t, sig) })
	}
}

func interrupt(t *testing.T, sig syscall.Signal) {
	// A listener that accepts and never answers: a stalled OSS.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- c
		}
	}()
	cmd := exec.Command("ossls", "oss://some-bucket/")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"OSS_ENDPOINT=http://" + ln.Addr().String(), "OSS_ACCESS_KEY_ID=id", "OSS_ACCESS_KEY_SECRET=secret-not-printed"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := <-accepted // the request is in flight
	defer c.Close()
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("ossls after %v: %v, want exit status 130", sig, err)
	}
	if got := stderr.String(); !strings.HasPrefix(got, "ossls: error: interrupted") || strings.Count(got, "\n") != 1 {
		t.Errorf("stderr %q, want one line 'ossls: error: interrupted…'", got)
	}
	if strings.Contains(stderr.String(), "secret-not-printed") || stdout.Len() > 0 {
		t.Errorf("stdout %q stderr %q", stdout.String(), stderr.String())
	}
}

// fetchurls FILE: GET every http(s) URL that ends a line of the last
// command's stdout, as any HTTP client without OSS credentials would (a
// presigned URL from --sign), and write the bodies, one after another, to
// FILE; an answer other than 200 fails.
func cmdFetchURLs(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: fetchurls FILE")
	}
	var out bytes.Buffer
	for line := range strings.Lines(ts.ReadFile("stdout")) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		u := fields[len(fields)-1]
		if strings.HasPrefix(line, "{") {
			var v struct{ URL string }
			ts.Check(json.Unmarshal([]byte(line), &v))
			u = v.URL
		}
		if !strings.HasPrefix(u, "http") {
			continue
		}
		resp, err := http.Get(u)
		ts.Check(err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		ts.Check(err)
		if resp.StatusCode != http.StatusOK {
			ts.Fatalf("GET %s: %s\n%s", u, resp.Status, body)
		}
		out.Write(body)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), out.Bytes(), 0o644))
}
