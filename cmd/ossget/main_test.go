//go:build unix

package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ossx/ossx/internal/app/gtail"
	"github.com/ossx/ossx/internal/command"
	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
	"github.com/ossx/ossx/internal/ossx"
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
	cmds := osslocaltest.ScriptCmds() // status, faults
	maps.Copy(cmds, map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"fired":       cmdFired,
		"mkfile":      cmdMkfile,
		"ossput":      cmdOSSPut,
		"checkpoints": cmdCheckpoints,
		"interrupt":   cmdInterrupt,
		"replace":     cmdReplace,
		"temps":       cmdTemps,
		"tmpfs":       cmdTmpfs,
		"nocrc":       cmdNoCRC,
		"bgget":       cmdBgGet,
		"bgkill":      cmdBgKill,
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

// object resolves "oss://bucket/key" or a bare key in the test bucket and
// opens its bucket with the SDK, as any other OSS client would.
func object(ts *testscript.TestScript, arg string) (*oss.Bucket, string) {
	srv := osslocaltest.ScriptServer(ts)
	u, err := ossx.ParseURL(arg, srv.Bucket)
	ts.Check(err)
	c, err := oss.New(srv.Endpoint, srv.AccessKeyID, srv.AccessKeySecret)
	ts.Check(err)
	b, err := c.Bucket(u.Bucket)
	ts.Check(err)
	return b, u.Key
}

// fired OP N: at least N faults fired on OP requests so far.
func cmdFired(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: fired OP N")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	if got := osslocaltest.ScriptServer(ts).Faults.Fired(osslocal.Op(args[0])); got < want {
		ts.Fatalf("%d faults fired on %s, want at least %d", got, args[0], want)
	}
}

// mkfile NAME SIZE: a file of SIZE (e.g. 1500K) random bytes.
func cmdMkfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mkfile NAME SIZE")
	}
	n, err := command.ParseSize("size", args[1])
	ts.Check(err)
	data := make([]byte, n)
	rand.Read(data)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), data, 0o644))
}

// ossput [-append | -multipart] KEY CONTENT|@FILE: create an object, as a
// normal, an appendable (in three appends) or a multipart (three parts,
// the last one short) object.
func cmdOSSPut(ts *testscript.TestScript, neg bool, args []string) {
	how := ""
	if len(args) > 0 && strings.HasPrefix(args[0], "-") {
		how, args = args[0], args[1:]
	}
	if neg || len(args) != 2 {
		ts.Fatalf("usage: ossput [-append | -multipart] KEY CONTENT|@FILE")
	}
	b, key := object(ts, args[0])
	content := args[1]
	if name, ok := strings.CutPrefix(content, "@"); ok {
		content = ts.ReadFile(name)
	}
	switch how {
	case "":
		ts.Check(b.PutObject(key, strings.NewReader(content)))
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

// thirds cuts s in up to three pieces, each but the last at least min bytes.
func thirds(s string, min int) []string {
	n := max(len(s)/3, min)
	var out []string
	for len(s) > n && len(out) < 2 {
		out, s = append(out, s[:n]), s[n:]
	}
	return append(out, s)
}

// checkpointDir is where ossget keeps its download checkpoints.
func checkpointDir(ts *testscript.TestScript) string {
	return filepath.Join(ts.Getenv("XDG_STATE_HOME"), "ossx", "downloads")
}

// checkpoints N: exactly N download checkpoints exist, each mode 0600 in a
// 0700 directory; with none, no lock files are left either.
func cmdCheckpoints(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: checkpoints N")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	dir := checkpointDir(ts)
	names, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(names) != want {
		ts.Fatalf("%d checkpoints in %s, want %d", len(names), dir, want)
	}
	for _, n := range names {
		if fi, err := os.Stat(n); err != nil || fi.Mode().Perm() != 0o600 {
			ts.Fatalf("checkpoint %s: mode %v, %v; want 0600", n, fi.Mode(), err)
		}
	}
	if locks, _ := filepath.Glob(filepath.Join(dir, "*.lock")); want == 0 && len(locks) > 0 {
		ts.Fatalf("lock files left without checkpoints: %v", locks)
	}
	if want > 0 {
		if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
			ts.Fatalf("%s: mode %v, %v; want 0700", dir, fi.Mode(), err)
		}
	}
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

// partsDone is the most parts any download checkpoint records.
func partsDone(ts *testscript.TestScript) int {
	names, _ := filepath.Glob(filepath.Join(checkpointDir(ts), "*.json"))
	most := 0
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			continue
		}
		var cp struct{ Parts []json.RawMessage }
		if json.Unmarshal(data, &cp) == nil {
			most = max(most, len(cp.Parts))
		}
	}
	return most
}

// start runs PROG ARGS in the script's directory and environment.
func start(ts *testscript.TestScript, args []string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer, chan error) {
	prog := lookPath(ts, args[0])
	cmd := exec.Command(prog, args[1:]...)
	cmd.Dir = ts.MkAbs(".")
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "XDG_STATE_HOME", "OSS_ENDPOINT", "OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_BUCKET"} {
		cmd.Env = append(cmd.Env, k+"="+ts.Getenv(k))
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ts.Check(cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return cmd, &stdout, &stderr, done
}

// waitFor polls ready until it holds or PROG ends (fatal) or a minute
// passes (fatal: a hang, not a slow machine).
func waitFor(ts *testscript.TestScript, cmd *exec.Cmd, done chan error, stderr *bytes.Buffer, ready func() bool) {
	deadline := time.After(60 * time.Second)
	for !ready() {
		select {
		case err := <-done:
			ts.Fatalf("%s ended too early: %v\n%s", cmd.Path, err, stderr.String())
		case <-deadline:
			cmd.Process.Kill()
			ts.Fatalf("%s never got there", cmd.Path)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// exitStatus renders how a command ended: its status, or "killed".
func exitStatus(err error) string {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return "0"
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		return "killed"
	}
	return strconv.Itoa(ee.ExitCode())
}

// interrupt SIGNAL STATUS [fired=OP] PROG [ARGS...]: start PROG, wait until
// a download checkpoint records a part (with fired=OP: until a fault rule
// fired on an OP request, which is then under way), send SIGNAL (KILL, INT or TERM) and require
// exit status STATUS ("killed" for KILL). PROG's output is left in
// interrupt.stdout and interrupt.stderr.
func cmdInterrupt(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: interrupt SIGNAL STATUS [fired=OP] PROG [ARGS...]")
	}
	sig := map[string]syscall.Signal{"KILL": syscall.SIGKILL, "INT": syscall.SIGINT, "TERM": syscall.SIGTERM}[args[0]]
	if sig == 0 {
		ts.Fatalf("unknown signal %s", args[0])
	}
	ready := func() bool { return partsDone(ts) >= 1 }
	if op, ok := strings.CutPrefix(args[2], "fired="); ok {
		faults := osslocaltest.ScriptServer(ts).Faults
		before := faults.Fired(osslocal.Op(op))
		ready = func() bool { return faults.Fired(osslocal.Op(op)) > before }
		args = append(args[:2:2], args[3:]...)
	}
	cmd, stdout, stderr, done := start(ts, args[2:])
	waitFor(ts, cmd, done, stderr, ready)
	ts.Check(cmd.Process.Signal(sig))
	got := exitStatus(<-done)
	ts.Check(os.WriteFile(ts.MkAbs("interrupt.stdout"), stdout.Bytes(), 0o644))
	ts.Check(os.WriteFile(ts.MkAbs("interrupt.stderr"), stderr.Bytes(), 0o644))
	if got != args[1] {
		ts.Fatalf("%s: exit status %s, want %s\n%s", args[2], got, args[1], stderr.String())
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
	cmd, stdout, stderr, done := start(ts, args[3:])
	waitFor(ts, cmd, done, stderr, func() bool { return faults.Fired(osslocal.OpGet) > before })
	cmdOSSPut(ts, false, args[:2])
	got := exitStatus(<-done)
	ts.Check(os.WriteFile(ts.MkAbs("replace.stdout"), stdout.Bytes(), 0o644))
	ts.Check(os.WriteFile(ts.MkAbs("replace.stderr"), stderr.Bytes(), 0o644))
	if got != args[2] {
		ts.Fatalf("%s: exit status %s, want %s\n%s", args[3], got, args[2], stderr.String())
	}
}

func lookPath(ts *testscript.TestScript, name string) string {
	for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	ts.Fatalf("%s not found in PATH", name)
	return ""
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
	u, err := url.Parse(osslocaltest.ScriptServer(ts).Endpoint)
	ts.Check(err)
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(r *http.Response) error {
		r.Header.Del("x-oss-hash-crc64ecma")
		r.Header.Del("Content-MD5")
		return nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: rp}
	go srv.Serve(ln)
	ts.Defer(func() { srv.Close() })
	ts.Setenv(args[0], "http://"+ln.Addr().String())
}

// bgKills holds, per script, how to end the ossget bgget started.
var bgKills sync.Map // *testscript.TestScript → func()

// bgget ARGS...: start ossget ARGS in the background and wait until its
// download checkpoint records a part; bgkill ends it.
func cmdBgGet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: bgget ARGS...")
	}
	cmd, _, stderr, done := start(ts, append([]string{"ossget"}, args...))
	waitFor(ts, cmd, done, stderr, func() bool { return partsDone(ts) >= 1 })
	bgKills.Store(ts, func() { cmd.Process.Kill(); <-done })
	ts.Defer(func() { cmd.Process.Kill(); bgKills.Delete(ts) })
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
