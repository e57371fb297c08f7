package osslocaltest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ossx/ossx/internal/osslocal"
)

// scriptKey holds a script's server in its testscript values.
type scriptKey struct{}

// ScriptSetup starts a server for one testscript script, as a Params.Setup
// does: its OSS_* variables go into the script's environment, $BUCKET names
// its pre-created bucket, and ScriptServer returns it to the script's
// commands. opts adjust the server's Options as in Start.
func ScriptSetup(env *testscript.Env, opts ...func(*osslocal.Options)) (*TS, error) {
	t, ok := env.T().(testing.TB)
	if !ok {
		return nil, fmt.Errorf("osslocaltest: script runs under %T, not a testing.TB", env.T())
	}
	srv := Start(t, opts...)
	env.Vars = append(env.Vars, srv.Env()...)
	env.Setenv("BUCKET", srv.Bucket)
	env.Values[scriptKey{}] = srv
	return srv, nil
}

// ScriptServer returns the server ScriptSetup started for ts.
func ScriptServer(ts *testscript.TestScript) *TS {
	srv, ok := ts.Value(scriptKey{}).(*TS)
	if !ok {
		ts.Fatalf("osslocaltest: no server: the script's Setup did not call ScriptSetup")
	}
	return srv
}

// ScriptCmds returns the testscript commands every tool's scripts share;
// a tool adds its own to the map.
//
//	status N PROG [ARGS...]  run PROG like exec and require exit status N;
//	                         stdout and stderr are then checked as after exec
//	faults SPEC              replace the server's fault rules
//	                         (osslocal.FaultSyntax); an empty SPEC clears them
//	fired OP N               at least N faults fired on OP requests so far (a
//	                         fault test where none fired would prove nothing)
//	mkfile NAME SIZE         a file of SIZE bytes (N, NK or NM) of random bytes
//
// faults and fired need ScriptSetup; status and mkfile do not.
func ScriptCmds() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"status": cmdStatus,
		"faults": cmdFaults,
		"fired":  cmdFired,
		"mkfile": cmdMkfile,
	}
}

// ScriptObject resolves "oss://bucket/key", or a bare key in the script's
// bucket, and opens its bucket with the SDK, as any other OSS client would.
// (Parsed here rather than by ossx.ParseURL: ossx's own tests use this
// package.)
func ScriptObject(ts *testscript.TestScript, arg string) (*oss.Bucket, string) {
	srv := ScriptServer(ts)
	bucket, key := srv.Bucket, arg
	if rest, ok := strings.CutPrefix(arg, "oss://"); ok {
		bucket, key, _ = strings.Cut(rest, "/")
	}
	c, err := oss.New(srv.Endpoint, srv.AccessKeyID, srv.AccessKeySecret)
	ts.Check(err)
	b, err := c.Bucket(bucket)
	ts.Check(err)
	return b, key
}

func cmdFired(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: fired OP N")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	if got := ScriptServer(ts).Faults.Fired(osslocal.Op(args[0])); got < want {
		ts.Fatalf("%d faults fired on %s, want at least %d", got, args[0], want)
	}
}

func cmdMkfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mkfile NAME SIZE")
	}
	num, unit := args[1], int64(1)
	switch {
	case strings.HasSuffix(num, "K"):
		num, unit = strings.TrimSuffix(num, "K"), 1<<10
	case strings.HasSuffix(num, "M"):
		num, unit = strings.TrimSuffix(num, "M"), 1<<20
	}
	n, err := strconv.ParseInt(num, 10, 64)
	ts.Check(err)
	data := make([]byte, n*unit)
	rand.Read(data)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), data, 0o644))
}

func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status N PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

func cmdFaults(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: faults SPEC")
	}
	rules, err := osslocal.ParseFaults(args[0])
	ts.Check(err)
	ts.Check(ScriptServer(ts).Faults.Set(rules))
}

// CopyTestBinary copies the running test binary to dst, mode 0755. Under
// testscript.Main the binary runs as the tool its file is named for, so a
// test can run a tool from a path of its choosing (one another user can
// reach, say).
func CopyTestBinary(t testing.TB, dst string) {
	t.Helper()
	src, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
