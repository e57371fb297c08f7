package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"osslocal": main})
}

// TestScripts runs testdata/script/*.txtar against the real osslocal
// binary (this test binary, registered as "osslocal" on $PATH).
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitfile": cmdWaitFile,
			"loadenv":  cmdLoadEnv,
			"oss":      cmdOSS,
			"http":     cmdHTTP,
			"status":   osslocaltest.ScriptCmds()["status"],
		},
	})
}

// waitTimeout bounds how long a test waits for a server to come up; it is
// a failure limit, not a timing assertion.
const waitTimeout = 30 * time.Second

// waitFor polls ok until it holds or waitTimeout passes.
func waitFor(ok func() bool) bool {
	for deadline := time.Now().Add(waitTimeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return true
		}
	}
	return false
}

// waitfile FILE: wait until FILE exists.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfile FILE")
	}
	name := ts.MkAbs(args[0])
	if !waitFor(func() bool { _, err := os.Stat(name); return err == nil }) {
		ts.Fatalf("%s did not appear within %s", args[0], waitTimeout)
	}
}

// readEnvFile parses the export lines osslocal writes.
func readEnvFile(file string) (map[string]string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "export ")
		name, value, ok2 := strings.Cut(line, "=")
		if !ok || !ok2 {
			return nil, fmt.Errorf("%s: not an export line: %q", file, sc.Text())
		}
		if unq, ok := strings.CutPrefix(value, "'"); ok {
			value = strings.ReplaceAll(strings.TrimSuffix(unq, "'"), `'\''`, "'")
		}
		env[name] = value
	}
	return env, nil
}

// loadenv FILE: set the variables of osslocal's env file in the script's
// environment, and ADDR to the endpoint's HOST:PORT.
func cmdLoadEnv(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: loadenv FILE")
	}
	env, err := readEnvFile(ts.MkAbs(args[0]))
	ts.Check(err)
	for k, v := range env {
		ts.Setenv(k, v)
	}
	ts.Setenv("ADDR", strings.TrimPrefix(env["OSS_ENDPOINT"], "http://"))
}

// oss put KEY TEXT | oss get KEY | oss head KEY: an SDK request to
// $OSS_BUCKET with the $OSS_* environment; get prints the object to stdout,
// head its response headers, one "Name: value" line each.
func cmdOSS(ts *testscript.TestScript, neg bool, args []string) {
	const usage = "usage: oss put KEY TEXT | oss get KEY | oss head KEY"
	if len(args) < 2 {
		ts.Fatalf(usage)
	}
	client, err := oss.New(ts.Getenv("OSS_ENDPOINT"), ts.Getenv("OSS_ACCESS_KEY_ID"), ts.Getenv("OSS_ACCESS_KEY_SECRET"))
	ts.Check(err)
	b, err := client.Bucket(ts.Getenv("OSS_BUCKET"))
	ts.Check(err)
	switch {
	case args[0] == "put" && len(args) == 3:
		err = b.PutObject(args[1], strings.NewReader(args[2]))
	case args[0] == "get" && len(args) == 2:
		var r io.ReadCloser
		if r, err = b.GetObject(args[1]); err == nil {
			_, err = io.Copy(ts.Stdout(), r)
			r.Close()
		}
	case args[0] == "head" && len(args) == 2:
		var h http.Header
		if h, err = b.GetObjectDetailedMeta(args[1]); err == nil {
			for _, k := range slices.Sorted(maps.Keys(h)) {
				fmt.Fprintf(ts.Stdout(), "%s: %s\n", k, h.Get(k))
			}
		}
	default:
		ts.Fatalf(usage)
	}
	if err != nil {
		fmt.Fprintf(ts.Stderr(), "%v\n", err)
	}
	if (err != nil) != neg {
		ts.Fatalf("oss %s: %v", args[0], err)
	}
}

// http METHOD URL [BODY]: a plain HTTP request; prints the status line and
// body to stdout.
func cmdHTTP(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: http METHOD URL [BODY]")
	}
	var body io.Reader
	if len(args) == 3 {
		body = strings.NewReader(args[2])
	}
	req, err := http.NewRequest(args[0], args[1], body)
	ts.Check(err)
	resp, err := http.DefaultClient.Do(req)
	ts.Check(err)
	defer resp.Body.Close()
	fmt.Fprintf(ts.Stdout(), "%d\n", resp.StatusCode)
	_, err = io.Copy(ts.Stdout(), resp.Body)
	ts.Check(err)
}

// TestSIGTERM starts the binary as a script would, uses it through the SDK,
// stops it with SIGTERM and restarts it on the same data directory.
func TestSIGTERM(t *testing.T) {
	bin, err := exec.LookPath("osslocal")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	data, envFile := filepath.Join(dir, "data"), filepath.Join(dir, "oss.env")
	const secret = "sigterm-test-secret"

	start := func() (*exec.Cmd, *bytes.Buffer, *bytes.Buffer, map[string]string) {
		t.Helper()
		cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--data", data, "--bucket", "logs",
			"--access-key-id", "me", "--env-file", envFile, "--verbose")
		cmd.Env = append(os.Environ(), "OSSLOCAL_ACCESS_KEY_SECRET="+secret)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		if !waitFor(func() bool { _, err := os.Stat(envFile); return err == nil }) {
			t.Fatalf("no env file; stderr:\n%s", &stderr)
		}
		env, err := readEnvFile(envFile)
		if err != nil {
			t.Fatal(err)
		}
		return cmd, &stdout, &stderr, env
	}
	bucket := func(env map[string]string) *oss.Bucket {
		t.Helper()
		if env["OSS_ACCESS_KEY_ID"] != "me" || env["OSS_ACCESS_KEY_SECRET"] != secret || env["OSS_BUCKET"] != "logs" {
			t.Fatalf("env file = %v", env)
		}
		c, err := oss.New(env["OSS_ENDPOINT"], env["OSS_ACCESS_KEY_ID"], env["OSS_ACCESS_KEY_SECRET"])
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.Bucket(env["OSS_BUCKET"])
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	stop := func(cmd *exec.Cmd, stderr *bytes.Buffer) {
		t.Helper()
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("osslocal after SIGTERM: %v; stderr:\n%s", err, stderr)
		}
		if _, err := os.Stat(envFile); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("env file left behind after exit: %v", err)
		}
		if strings.Contains(stderr.String(), secret) {
			t.Errorf("the secret appears on stderr:\n%s", stderr)
		}
	}

	cmd, stdout, stderr, env := start()
	if fi, err := os.Stat(envFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("env file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	b := bucket(env)
	if err := b.PutObject("a.log", strings.NewReader("first run\n")); err != nil {
		t.Fatal(err)
	}
	r, err := b.GetObject("a.log")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || string(got) != "first run\n" {
		t.Fatalf("GetObject = %q, %v", got, err)
	}
	stop(cmd, stderr)
	if !strings.HasPrefix(stdout.String(), "export OSS_ENDPOINT=http://127.0.0.1:") {
		t.Errorf("stdout = %q", stdout)
	}
	if !strings.Contains(stderr.String(), "msg=request") || !strings.Contains(stderr.String(), "osslocal: stopped") {
		t.Errorf("--verbose stderr lacks the request log or the stop line:\n%s", stderr)
	}

	// The object survives a restart on the same directory.
	cmd, _, _, env = start()
	r, err = bucket(env).GetObject("a.log")
	if err != nil {
		t.Fatal(err)
	}
	got, err = io.ReadAll(r)
	r.Close()
	if err != nil || string(got) != "first run\n" {
		t.Errorf("after a restart, GetObject = %q, %v", got, err)
	}
	if err := bucket(env).PutObject("b.log", strings.NewReader("second run\n")); err != nil {
		t.Fatal(err)
	}

	// Killed hard, it leaves its env file behind; the next start replaces
	// it, and every object written before the kill is there.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	stale, err := readEnvFile(envFile)
	if err != nil {
		t.Fatalf("env file after kill -9: %v", err)
	}
	if err := os.Remove(envFile); err != nil { // as a script waiting for a fresh one would
		t.Fatal(err)
	}
	cmd, _, stderr, env = start()
	if env["OSS_ENDPOINT"] == stale["OSS_ENDPOINT"] {
		t.Logf("the restarted server got the same port again: %s", env["OSS_ENDPOINT"])
	}
	for key, want := range map[string]string{"a.log": "first run\n", "b.log": "second run\n"} {
		r, err := bucket(env).GetObject(key)
		if err != nil {
			t.Fatalf("after kill -9 and restart, get %s: %v", key, err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || string(got) != want {
			t.Errorf("after kill -9 and restart, %s = %q, %v", key, got, err)
		}
	}
	stop(cmd, stderr)
}
