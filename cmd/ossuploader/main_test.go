//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
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
	cmds := osslocaltest.ScriptCmds() // status, faults, fired, mkfile
	maps.Copy(cmds, osslocaltest.CheckpointCmds("uploads"))
	maps.Copy(cmds, map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"mkfifo":    cmdMkfifo,
		"ossput":    cmdOSSPut,
		"osscmp":    cmdOSSCmp,
		"ossexists": cmdOSSExists,
		"osshead":   cmdOSSHead,
		"pending":   cmdPending,
		"jsonfield": cmdJSONField,
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
	b, key := osslocaltest.ScriptObject(ts, args[0])
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
	b, key := osslocaltest.ScriptObject(ts, args[0])
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
	b, key := osslocaltest.ScriptObject(ts, args[0])
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
	b, key := osslocaltest.ScriptObject(ts, args[0])
	h, err := b.GetObjectDetailedMeta(key)
	ts.Check(err)
	re, err := regexp.Compile(args[2])
	ts.Check(err)
	if re.MatchString(h.Get(args[1])) == neg {
		ts.Fatalf("%s: %s is %q; match %q: want %v", args[0], args[1], h.Get(args[1]), args[2], !neg)
	}
}

// pending N: the test bucket holds exactly N unfinished multipart uploads.
func cmdPending(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: pending N")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	b, _ := osslocaltest.ScriptObject(ts, "x")
	res, err := b.ListMultipartUploads()
	ts.Check(err)
	if len(res.Uploads) != want {
		ts.Fatalf("%d unfinished multipart uploads, want %d", len(res.Uploads), want)
	}
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
