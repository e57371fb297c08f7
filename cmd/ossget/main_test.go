//go:build unix

package main

import (
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ossx/ossx/internal/app/gtail"
	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// TestMain makes ossget, and gtail for the round-trip scripts, commands
// the scripts run.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"ossget": main,
		"gtail":  func() { os.Exit(gtail.Main(os.Args)) },
	})
}

// TestScripts runs testdata/script/*.txtar, each against its own in-process
// osslocal (OSS_* in the environment, $BUCKET the empty bucket, $SECRET the
// secret no output may hold), checkpoints under $WORK/.state/ossx, and
// gtail on PATH for the round-trip scripts.
func TestScripts(t *testing.T) {
	cmds := osslocaltest.ScriptCmds() // status, faults, fired, mkfile
	maps.Copy(cmds, osslocaltest.CheckpointCmds("downloads"))
	maps.Copy(cmds, map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"ossput":    cmdOSSPut,
		"replace":   cmdReplace,
		"growing":   cmdGrowing,
		"ossappend": cmdOSSAppend,
		"ossdel":    cmdOSSDel,
		"temps":     cmdTemps,
		"tmpfs":     cmdTmpfs,
		"nocrc":     cmdNoCRC,
		"damage":    cmdDamage,
		"bgget":     cmdBgGet,
		"bgkill":    cmdBgKill,
	})
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			srv, err := osslocaltest.ScriptSetup(env)
			if err != nil {
				return err
			}
			env.Setenv("SECRET", srv.AccessKeySecret)
			env.Setenv("NL", "\n")                       // for keys a script
			env.Setenv("LONG", strings.Repeat("x", 300)) // cannot spell
			env.Setenv("XDG_STATE_HOME", filepath.Join(env.WorkDir, ".state"))
			env.Setenv("CLOSED_ENDPOINT", osslocaltest.ClosedEndpoint(env.T().(testing.TB)))
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "root":
				return os.Geteuid() == 0, nil
			case "tmpfs":
				return canMountTmpfs(), nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: cmds,
	})
}

// ossput [-append | -multipart | -gzip-encoded] KEY CONTENT|@FILE: create an
// object, as a normal, an appendable (in three appends) or a multipart
// (three parts, the last one short) object, or a normal one with
// Content-Encoding: gzip (precompressed web assets).
func cmdOSSPut(ts *testscript.TestScript, neg bool, args []string) {
	how := ""
	if len(args) > 0 && strings.HasPrefix(args[0], "-") {
		how, args = args[0], args[1:]
	}
	if neg || len(args) != 2 {
		ts.Fatalf("usage: ossput [-append | -multipart | -gzip-encoded] KEY CONTENT|@FILE")
	}
	b, key := osslocaltest.ScriptObject(ts, args[0])
	content := scriptContent(ts, args[1])
	switch how {
	case "":
		ts.Check(b.PutObject(key, strings.NewReader(content)))
	case "-gzip-encoded":
		ts.Check(b.PutObject(key, strings.NewReader(content), oss.ContentEncoding("gzip")))
	case "-append":
		pos := int64(0)
		for _, chunk := range thirds(content, 1) {
			var err error
			pos, err = b.AppendObject(key, strings.NewReader(chunk), pos)
			ts.Check(err)
		}
	case "-multipart":
		imur, err := b.InitiateMultipartUpload(key)
		ts.Check(err)
		var parts []oss.UploadPart
		for i, chunk := range thirds(content, 100<<10) {
			p, err := b.UploadPart(imur, strings.NewReader(chunk), int64(len(chunk)), i+1)
			ts.Check(err)
			parts = append(parts, p)
		}
		_, err = b.CompleteMultipartUpload(imur, parts)
		ts.Check(err)
	default:
		ts.Fatalf("ossput: unknown option %s", how)
	}
}

// scriptContent is a command's CONTENT|@FILE argument: the text, or the
// file's.
func scriptContent(ts *testscript.TestScript, arg string) string {
	if name, ok := strings.CutPrefix(arg, "@"); ok {
		return ts.ReadFile(name)
	}
	return arg
}

// thirds cuts s in up to three pieces, each but the last at least min bytes.
func thirds(s string, min int) []string {
	n := max(len(s)/3, min)
	var out []string
	for len(s) > n && len(out) < 2 {
		out, s = append(out, s[:n]), s[n:]
	}
	return append(out, s)
}

// temps DIR N: DIR holds exactly N temporary files (.NAME.ossget-*).
func cmdTemps(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: temps DIR N")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	names, _ := filepath.Glob(filepath.Join(ts.MkAbs(args[0]), ".*.ossget-*"))
	if len(names) != want {
		ts.Fatalf("%d temporary files in %s, want %d: %v", len(names), args[0], want, names)
	}
}

// replace KEY CONTENT|@FILE STATUS PROG [ARGS...]: start PROG, and once a
// fault has fired on a GET (set a delay rule on get first: the request is
// then under way) replace the object KEY, then require PROG's exit STATUS.
// PROG's output is left in replace.stdout and replace.stderr.
func cmdReplace(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 4 {
		ts.Fatalf("usage: replace KEY CONTENT|@FILE STATUS PROG [ARGS...]")
	}
	faults := osslocaltest.ScriptServer(ts).Faults
	before := faults.Fired(osslocal.OpGet)
	p := osslocaltest.ScriptStart(ts, args[3:])
	p.WaitFor(ts, func() bool { return faults.Fired(osslocal.OpGet) > before })
	cmdOSSPut(ts, false, args[:2])
	p.Finish(ts, "replace", args[2])
}

// growing KEY CONTENT STATUS PROG [ARGS...]: start PROG, and once a fault
// has fired on a GET (a delay rule: the read is under way) append CONTENT
// to the appendable object KEY, as gtail does to a generation it is still
// shipping, then require PROG's exit STATUS. PROG's output is left in
// growing.stdout and growing.stderr.
func cmdGrowing(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 4 {
		ts.Fatalf("usage: growing KEY CONTENT STATUS PROG [ARGS...]")
	}
	srv := osslocaltest.ScriptServer(ts)
	before := srv.Faults.Fired(osslocal.OpGet)
	p := osslocaltest.ScriptStart(ts, args[3:])
	p.WaitFor(ts, func() bool { return srv.Faults.Fired(osslocal.OpGet) > before })
	cmdOSSAppend(ts, false, args[:2])
	p.Finish(ts, "growing", args[2])
}

// ossappend KEY CONTENT|@FILE: append to the appendable object KEY at its
// end, as gtail does.
func cmdOSSAppend(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: ossappend KEY CONTENT|@FILE")
	}
	b, key := osslocaltest.ScriptObject(ts, args[0])
	content := scriptContent(ts, args[1])
	h, err := b.GetObjectDetailedMeta(key)
	ts.Check(err)
	pos, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64)
	ts.Check(err)
	_, err = b.AppendObject(key, strings.NewReader(content), pos)
	ts.Check(err)
}

// ossdel KEY: delete the object KEY.
func cmdOSSDel(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: ossdel KEY")
	}
	b, key := osslocaltest.ScriptObject(ts, args[0])
	ts.Check(b.DeleteObject(key))
}

var tmpfsProbe struct {
	once sync.Once
	ok   bool
}

// canMountTmpfs reports whether this process may mount a tmpfs (root, not
// in a container that forbids it), by trying once.
func canMountTmpfs() bool {
	tmpfsProbe.once.Do(func() {
		if os.Geteuid() != 0 {
			return
		}
		dir, err := os.MkdirTemp("", "ossget-tmpfs-")
		if err != nil {
			return
		}
		defer os.Remove(dir)
		if syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k") == nil {
			syscall.Unmount(dir, 0)
			tmpfsProbe.ok = true
		}
	})
	return tmpfsProbe.ok
}

// tmpfs DIR SIZE [ro]: mount a tmpfs of SIZE bytes (e.g. 300k) on DIR,
// read-only with ro, unmounted when the script ends: a full disk, or one
// that refuses writes even to root. Guard it with [tmpfs].
func cmdTmpfs(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: tmpfs DIR SIZE [ro]")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	var flags uintptr
	if len(args) == 3 && args[2] == "ro" {
		flags = syscall.MS_RDONLY
	}
	ts.Check(syscall.Mount("tmpfs", dir, "tmpfs", flags, "size="+args[1]))
	ts.Defer(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
}

// nocrc VAR: start an HTTP proxy to the script's server that drops
// x-oss-hash-crc64ecma and Content-MD5 from every answer (a server that
// gives neither) and put its endpoint in $VAR.
func cmdNoCRC(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: nocrc VAR")
	}
	ts.Setenv(args[0], startProxy(ts, func(r *http.Response) {
		r.Header.Del("x-oss-hash-crc64ecma")
		r.Header.Del("Content-MD5")
	}))
}

// startProxy serves an HTTP proxy to the script's server that passes every
// answer through modify, until the script ends, and returns its endpoint.
func startProxy(ts *testscript.TestScript, modify func(*http.Response)) string {
	u, err := url.Parse(osslocaltest.ScriptServer(ts).Endpoint)
	ts.Check(err)
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(r *http.Response) error { modify(r); return nil }
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: rp}
	go srv.Serve(ln)
	ts.Defer(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// damage VAR N: start an HTTP proxy to the script's server that flips one
// bit of the body of the Nth object GET answer through it (its headers, the
// CRC64 too, stay right: a network or disk damaging bytes in flight) and
// put its endpoint in $VAR.
func cmdDamage(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: damage VAR N")
	}
	nth, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	var gets atomic.Int64
	ts.Setenv(args[0], startProxy(ts, func(r *http.Response) {
		// Object GETs only, not listings: those answer an object type.
		if r.Request.Method == http.MethodGet && r.Header.Get("x-oss-object-type") != "" && gets.Add(1) == nth {
			r.Body = &flipFirst{ReadCloser: r.Body}
		}
	}))
}

// flipFirst flips the lowest bit of the first byte read through it.
type flipFirst struct {
	io.ReadCloser
	done bool
}

func (f *flipFirst) Read(p []byte) (int, error) {
	n, err := f.ReadCloser.Read(p)
	if n > 0 && !f.done {
		p[0] ^= 1
		f.done = true
	}
	return n, err
}

// bgKills holds, per script, how to end the ossget bgget started.
var bgKills sync.Map // *testscript.TestScript → func()

// bgget ARGS...: start ossget ARGS in the background and wait until its
// download checkpoint records a part; bgkill ends it.
func cmdBgGet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: bgget ARGS...")
	}
	p := osslocaltest.ScriptStart(ts, append([]string{"ossget"}, args...))
	p.WaitFor(ts, func() bool { return osslocaltest.CheckpointParts(ts, "downloads") >= 1 })
	bgKills.Store(ts, func() { p.Cmd.Process.Kill(); <-p.Done })
	ts.Defer(func() { p.Cmd.Process.Kill(); bgKills.Delete(ts) })
}

// bgkill: kill -9 the ossget bgget started and wait for it.
func cmdBgKill(ts *testscript.TestScript, neg bool, args []string) {
	v, _ := bgKills.Load(ts)
	kill, ok := v.(func())
	if neg || len(args) != 0 || !ok {
		ts.Fatalf("usage: bgkill, after bgget")
	}
	kill()
}
