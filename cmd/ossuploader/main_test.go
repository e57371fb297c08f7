//go:build unix

package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ossx/ossx/internal/command"
	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
	"github.com/ossx/ossx/internal/ossx"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"ossuploader": main})
}

// TestScripts runs testdata/script/*.txtar, each against its own in-process
// osslocal (OSS_ENDPOINT, OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET,
// OSS_BUCKET in the environment, $BUCKET the empty bucket, $SECRET the
// secret, which no output may contain), with checkpoints under
// $WORK/.state/ossx. Retries wait little so fault tests stay fast.
func TestScripts(t *testing.T) { runScripts(t, false) }

// TestScriptsNoCRC64 runs the same scripts against a server that sends no
// x-oss-hash-crc64ecma (osslocal.Options.NoCRC64), as OSS-compatible servers
// without CRC64 answer: every upload must still be verified, by MD5. The
// condition [crc64] is false there.
func TestScriptsNoCRC64(t *testing.T) { runScripts(t, true) }

func runScripts(t *testing.T, noCRC64 bool) {
	cmds := osslocaltest.ScriptCmds() // status, faults
	maps.Copy(cmds, map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"fired":       cmdFired,
		"mkfile":      cmdMkfile,
		"mkfifo":      cmdMkfifo,
		"ossput":      cmdOSSPut,
		"osscmp":      cmdOSSCmp,
		"ossexists":   cmdOSSExists,
		"osshead":     cmdOSSHead,
		"checkpoints": cmdCheckpoints,
		"pending":     cmdPending,
		"interrupt":   cmdInterrupt,
		"jsonfield":   cmdJSONField,
	})
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			srv, err := osslocaltest.ScriptSetup(env, func(o *osslocal.Options) { o.NoCRC64 = noCRC64 })
			if err != nil {
				return err
			}
			env.Setenv("SECRET", srv.AccessKeySecret)
			env.Setenv("NLMETA", "line1\nline2")             // --meta values that
			env.Setenv("BIGMETA", strings.Repeat("x", 9000)) // a script cannot spell
			env.Setenv("XDG_STATE_HOME", filepath.Join(env.WorkDir, ".state"))
			env.Setenv("CLOSED_ENDPOINT", osslocaltest.ClosedEndpoint(env.T().(testing.TB)))
			env.Setenv("SILENT_ENDPOINT", osslocaltest.SilentEndpoint(env.T().(testing.TB)))
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "root":
				return os.Geteuid() == 0, nil
			case "crc64":
				return !noCRC64, nil
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

// fired OP N: at least N faults fired on OP requests so far; a fault test
// where none fired would prove nothing.
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

// mkfifo NAME: a named pipe.
func cmdMkfifo(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mkfifo NAME")
	}
	ts.Check(syscall.Mkfifo(ts.MkAbs(args[0]), 0o644))
}

// ossput KEY CONTENT|@FILE: create an object.
func cmdOSSPut(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: ossput KEY CONTENT|@FILE")
	}
	b, key := object(ts, args[0])
	content := args[1]
	if name, ok := strings.CutPrefix(content, "@"); ok {
		content = ts.ReadFile(name)
	}
	ts.Check(b.PutObject(key, strings.NewReader(content)))
}

// osscmp KEY FILE: the object holds exactly the file's bytes.
func cmdOSSCmp(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: osscmp KEY FILE")
	}
	b, key := object(ts, args[0])
	r, err := b.GetObject(key)
	ts.Check(err)
	got, err := io.ReadAll(r)
	r.Close()
	ts.Check(err)
	want, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	if !bytes.Equal(got, want) {
		ts.Fatalf("%s holds %d bytes that differ from %s (%d bytes)", args[0], len(got), args[1], len(want))
	}
}

// [!] ossexists KEY: the object exists (or not).
func cmdOSSExists(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: ossexists KEY")
	}
	b, key := object(ts, args[0])
	ok, err := b.IsObjectExist(key)
	ts.Check(err)
	if ok == neg {
		ts.Fatalf("%s exists: %v", args[0], ok)
	}
}

// osshead KEY HEADER REGEXP: a response header of HeadObject matches.
func cmdOSSHead(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: osshead KEY HEADER REGEXP")
	}
	b, key := object(ts, args[0])
	h, err := b.GetObjectDetailedMeta(key)
	ts.Check(err)
	re, err := regexp.Compile(args[2])
	ts.Check(err)
	if re.MatchString(h.Get(args[1])) == neg {
		ts.Fatalf("%s: %s is %q; match %q: want %v", args[0], args[1], h.Get(args[1]), args[2], !neg)
	}
}

// checkpointParts lists the part counts of the checkpoints in the state
// directory.
func checkpointParts(ts *testscript.TestScript) []int {
	names, err := filepath.Glob(filepath.Join(ts.Getenv("XDG_STATE_HOME"), "ossx", "uploads", "*.json"))
	ts.Check(err)
	var parts []int
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			continue // replaced under us
		}
		var cp struct{ Parts []json.RawMessage }
		if json.Unmarshal(data, &cp) == nil {
			parts = append(parts, len(cp.Parts))
		}
	}
	return parts
}

// checkpoints N: exactly N checkpoint files exist, each mode 0600 in a
// 0700 directory; with none, no lock files are left either.
func cmdCheckpoints(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: checkpoints N")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	dir := filepath.Join(ts.Getenv("XDG_STATE_HOME"), "ossx", "uploads")
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

// pending N: the test bucket holds exactly N unfinished multipart uploads.
func cmdPending(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: pending N")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	b, _ := object(ts, "x")
	res, err := b.ListMultipartUploads()
	ts.Check(err)
	if len(res.Uploads) != want {
		ts.Fatalf("%d unfinished multipart uploads, want %d", len(res.Uploads), want)
	}
}

// interrupt SIGNAL STATUS [fired=OP] PROG [ARGS...]: start PROG, wait until
// a checkpoint records at least one uploaded part (with fired=OP: until a
// fault rule has fired on a request OP, i.e. the request is under way), send
// SIGNAL (KILL, INT or TERM) and require exit status STATUS ("killed" for
// KILL). PROG's stdout and stderr are left in the files interrupt.stdout
// and interrupt.stderr.
func cmdInterrupt(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: interrupt SIGNAL STATUS [fired=OP] PROG [ARGS...]")
	}
	ready := func() bool {
		for _, n := range checkpointParts(ts) {
			if n >= 1 {
				return true
			}
		}
		return false
	}
	if op, ok := strings.CutPrefix(args[2], "fired="); ok {
		fired := osslocaltest.ScriptServer(ts).Faults.Fired(osslocal.Op(op))
		ready = func() bool { return osslocaltest.ScriptServer(ts).Faults.Fired(osslocal.Op(op)) > fired }
		args = append(args[:2:2], args[3:]...)
	}
	sig := map[string]syscall.Signal{"KILL": syscall.SIGKILL, "INT": syscall.SIGINT, "TERM": syscall.SIGTERM}[args[0]]
	if sig == 0 {
		ts.Fatalf("unknown signal %s", args[0])
	}
	prog := lookPath(ts, args[2])
	cmd := exec.Command(prog, args[3:]...)
	cmd.Dir = ts.MkAbs(".")
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "XDG_STATE_HOME", "OSS_ENDPOINT", "OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_BUCKET"} {
		cmd.Env = append(cmd.Env, k+"="+ts.Getenv(k))
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ts.Check(cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(60 * time.Second)
	var werr error
wait:
	for {
		if ready() {
			ts.Check(cmd.Process.Signal(sig))
			werr = <-done
			break wait
		}
		select {
		case werr = <-done:
			ts.Fatalf("%s ended before it could be interrupted: %v\n%s", args[2], werr, stderr.String())
		case <-deadline:
			cmd.Process.Kill()
			ts.Fatalf("%s was never ready to be interrupted", args[2])
		case <-time.After(10 * time.Millisecond):
		}
	}
	ts.Check(os.WriteFile(ts.MkAbs("interrupt.stdout"), stdout.Bytes(), 0o644))
	ts.Check(os.WriteFile(ts.MkAbs("interrupt.stderr"), stderr.Bytes(), 0o644))
	got := "0"
	var ee *exec.ExitError
	if errors.As(werr, &ee) {
		got = strconv.Itoa(ee.ExitCode())
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			got = "killed"
		}
	}
	if got != args[1] {
		ts.Fatalf("%s: exit status %s, want %s\n%s", args[2], got, args[1], stderr.String())
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

// jsonfield N FIELD REGEXP: line N (from 1) of stdout is a JSON object whose
// FIELD, rendered as JSON, matches REGEXP.
func cmdJSONField(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: jsonfield LINE FIELD REGEXP")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	lines := strings.Split(strings.TrimSuffix(ts.ReadFile("stdout"), "\n"), "\n")
	if n < 1 || n > len(lines) {
		ts.Fatalf("stdout has %d lines, not %d", len(lines), n)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(lines[n-1]), &obj); err != nil {
		ts.Fatalf("line %d is not a JSON object: %v", n, err)
	}
	v, ok := obj[args[1]]
	if !ok {
		ts.Fatalf("line %d has no field %q", n, args[1])
	}
	if !regexp.MustCompile(args[2]).Match(v) {
		ts.Fatalf("line %d: %s is %s, want a match for %q", n, args[1], v, args[2])
	}
}
