package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// TestMain runs ossx's main under its own name and under every tool's:
// testscript.Main puts a copy of this test binary on the scripts' $PATH
// for each name, so "exec gtail" runs ossx with argv[0] gtail, as a link
// named gtail does.
func TestMain(m *testing.M) {
	cmds := map[string]func(){"ossx": main}
	for name := range tools {
		cmds[name] = main
	}
	testscript.Main(m, cmds)
}

// TestScripts runs testdata/script/*.txtar, each against its own
// in-process osslocal (OSS_* in the environment, $BUCKET its bucket).
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			if _, err := osslocaltest.ScriptSetup(env); err != nil {
				return err
			}
			env.Setenv("XDG_STATE_HOME", filepath.Join(env.WorkDir, "xdg-state"))
			return nil
		},
		Cmds: osslocaltest.ScriptCmds(),
	})
}

// TestTools: ossx runs every tool of cmd/, each under the name its own
// binary has.
func TestTools(t *testing.T) {
	entries, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != "ossx" {
			want = append(want, e.Name())
		}
	}
	if got := names(); !slices.Equal(got, want) {
		t.Errorf("ossx runs %q, cmd/ holds %q", got, want)
	}
	for name, tool := range tools {
		if got := tool.app().Name; got != name {
			t.Errorf("tools[%q] is the app %q", name, got)
		}
	}
}

func TestProgName(t *testing.T) {
	tests := map[string]string{"gtail": "gtail", "/usr/local/bin/ossls": "ossls", "./ossx": "ossx"}
	if runtime.GOOS == "windows" {
		tests[`C:\bin\OSSLS.EXE`] = "ossls"
	} else {
		tests["/bin/OSSLS"] = "OSSLS" // case matters on Unix file systems
	}
	for arg0, want := range tests {
		if got := progName(arg0); got != want {
			t.Errorf("progName(%q) = %q, want %q", arg0, got, want)
		}
	}
}

var built struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// binary builds cmd/ossx once, as users get it (a real file that links
// point at, not the test binary).
func binary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "ossx-bin-")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(dir, "ossx")
		built.out, built.err = exec.Command("go", "build", "-o", built.path, ".").CombinedOutput()
	})
	if built.err != nil {
		t.Fatalf("go build: %v\n%s", built.err, built.out)
	}
	return built.path
}

// TestLinks runs the built binary through symlinks, as install.sh
// --multi-call installs it: each link runs its tool, a link to a link too,
// and any other name is ossx.
func TestLinks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows; install.sh installs ossx.exe alone there")
	}
	bin := binary(t)
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(bin)) })
	dir := t.TempDir()
	link := func(name, target string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	run := func(prog string, args ...string) (stdout, stderr string, code int) {
		t.Helper()
		cmd := exec.Command(prog, args...)
		var o, e strings.Builder
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return o.String(), e.String(), code
	}
	for _, name := range names() {
		out, stderr, code := run(link(name, bin), "--version")
		if code != 0 || !strings.HasPrefix(out, name+" ") || stderr != "" {
			t.Errorf("%s --version: exit %d, stdout %q, stderr %q", name, code, out, stderr)
		}
	}
	// A link to a link (ossls -> /usr/local/bin/ossls -> ossx): the name
	// run is what counts.
	out, _, code := run(link("ls-objects", filepath.Join(dir, "ossls")), "--version")
	if code != 0 || !strings.HasPrefix(out, "ossx ") {
		t.Errorf("a link named ls-objects runs as %q (exit %d), want ossx", out, code)
	}
	out, _, code = run(link("ossls-again", filepath.Join(dir, "ossls")), "ossls", "--version")
	if code != 0 || !strings.HasPrefix(out, "ossls ") {
		t.Errorf("ossls-again ossls --version = %q (exit %d)", out, code)
	}
	// Errors name the tool, with its exit status.
	_, stderr, code := run(filepath.Join(dir, "ossuploader"))
	if code != 2 || !strings.HasPrefix(stderr, "ossuploader: error: ") || strings.Contains(stderr, "ossx") {
		t.Errorf("ossuploader with no arguments: exit %d, stderr %q", code, stderr)
	}
	_, stderr, code = run(link("ossx_linux_amd64", bin), "osscp")
	if code != 2 || stderr != "ossx: error: unknown tool \"osscp\"\n"+
		"ossx: hint: ossx TOOL [ARGS...], TOOL one of gtail, ossget, osslocal, ossls, ossrm, ossuploader; run 'ossx --help' for more\n" {
		t.Errorf("ossx_linux_amd64 osscp: exit %d, stderr %q", code, stderr)
	}
}
