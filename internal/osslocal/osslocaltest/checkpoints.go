//go:build unix

package osslocaltest

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ossx/ossx/internal/osslocal"
)

// CheckpointCmds returns the testscript commands about the checkpoints a
// tool keeps in $XDG_STATE_HOME/ossx/KIND (ossuploader's "uploads",
// ossget's "downloads"):
//
//	checkpoints N     exactly N checkpoints exist, each mode 0600 in a 0700
//	                  directory; with none, no lock files are left either
//	interrupt SIGNAL STATUS [fired=OP] PROG [ARGS...]
//	                  start PROG, wait until a checkpoint records a part
//	                  (with fired=OP: until a fault rule fired on an OP
//	                  request, which is then under way), send SIGNAL (KILL,
//	                  INT or TERM) and require exit status STATUS ("killed"
//	                  for KILL); PROG's output is left in interrupt.stdout
//	                  and interrupt.stderr
//
// interrupt with fired=OP needs ScriptSetup.
func CheckpointCmds(kind string) map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"checkpoints": func(ts *testscript.TestScript, neg bool, args []string) { cmdCheckpoints(ts, neg, args, kind) },
		"interrupt":   func(ts *testscript.TestScript, neg bool, args []string) { cmdInterrupt(ts, neg, args, kind) },
	}
}

func checkpointDir(ts *testscript.TestScript, kind string) string {
	return filepath.Join(ts.Getenv("XDG_STATE_HOME"), "ossx", kind)
}

// CheckpointParts is the most parts any checkpoint of kind records.
func CheckpointParts(ts *testscript.TestScript, kind string) int {
	names, _ := filepath.Glob(filepath.Join(checkpointDir(ts, kind), "*.json"))
	most := 0
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			continue // replaced under us
		}
		var cp struct{ Parts []json.RawMessage }
		if json.Unmarshal(data, &cp) == nil {
			most = max(most, len(cp.Parts))
		}
	}
	return most
}

func cmdCheckpoints(ts *testscript.TestScript, neg bool, args []string, kind string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: checkpoints N")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	dir := checkpointDir(ts, kind)
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

func cmdInterrupt(ts *testscript.TestScript, neg bool, args []string, kind string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: interrupt SIGNAL STATUS [fired=OP] PROG [ARGS...]")
	}
	sig := map[string]syscall.Signal{"KILL": syscall.SIGKILL, "INT": syscall.SIGINT, "TERM": syscall.SIGTERM}[args[0]]
	if sig == 0 {
		ts.Fatalf("unknown signal %s", args[0])
	}
	ready := func() bool { return CheckpointParts(ts, kind) >= 1 }
	if op, ok := strings.CutPrefix(args[2], "fired="); ok {
		faults := ScriptServer(ts).Faults
		before := faults.Fired(osslocal.Op(op))
		ready = func() bool { return faults.Fired(osslocal.Op(op)) > before }
		args = append(args[:2:2], args[3:]...)
	}
	p := ScriptStart(ts, args[2:])
	p.WaitFor(ts, ready)
	ts.Check(p.Cmd.Process.Signal(sig))
	p.Finish(ts, "interrupt", args[1])
}

// Proc is a program a script command started (ScriptStart).
type Proc struct {
	Cmd            *exec.Cmd
	Stdout, Stderr *bytes.Buffer
	Done           chan error // its Wait's error, once it ended
}

// ScriptStart starts PROG ARGS (args), found on the script's PATH, in the
// script's directory with the script's PATH, HOME, TMPDIR, XDG_STATE_HOME
// and OSS_* variables.
func ScriptStart(ts *testscript.TestScript, args []string) *Proc {
	cmd := exec.Command(lookPath(ts, args[0]), args[1:]...)
	cmd.Dir = ts.MkAbs(".")
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "XDG_STATE_HOME", "OSS_ENDPOINT", "OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_BUCKET"} {
		cmd.Env = append(cmd.Env, k+"="+ts.Getenv(k))
	}
	p := &Proc{Cmd: cmd, Stdout: new(bytes.Buffer), Stderr: new(bytes.Buffer), Done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.Stdout, p.Stderr
	ts.Check(cmd.Start())
	go func() { p.Done <- cmd.Wait() }()
	return p
}

// WaitFor polls ready until it holds; the script fails if the program ends
// first, or a minute passes (a hang, not a slow machine).
func (p *Proc) WaitFor(ts *testscript.TestScript, ready func() bool) {
	deadline := time.After(60 * time.Second)
	for !ready() {
		select {
		case err := <-p.Done:
			ts.Fatalf("%s ended too early: %v\n%s", p.Cmd.Path, err, p.Stderr.String())
		case <-deadline:
			p.Cmd.Process.Kill()
			ts.Fatalf("%s never got there", p.Cmd.Path)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Finish waits for the program to end, leaves its output in NAME.stdout and
// NAME.stderr, and requires exit status want ("killed" for SIGKILL).
func (p *Proc) Finish(ts *testscript.TestScript, name, want string) {
	got := exitStatus(<-p.Done)
	ts.Check(os.WriteFile(ts.MkAbs(name+".stdout"), p.Stdout.Bytes(), 0o644))
	ts.Check(os.WriteFile(ts.MkAbs(name+".stderr"), p.Stderr.Bytes(), 0o644))
	if got != want {
		ts.Fatalf("%s: exit status %s, want %s\n%s", filepath.Base(p.Cmd.Path), got, want, p.Stderr.String())
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
