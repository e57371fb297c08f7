//go:build unix

package ossx_test

// The suite-wide secrets audit: every tool, built as users get it, is run
// through its success and failure paths with distinctive secrets and STS
// tokens, and everything it prints or leaves on disk is searched for them.

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
	"github.com/ossx/ossx/internal/ossx"
)

// The values to hunt for. They hold + / = so that their URL-escaped forms
// differ from them, and are long enough to be registered (ossx ignores
// values under 8 bytes).
const (
	leakSecret      = "LeakSecret+/=0a1b2c3d4e5f"    // a long-term key's secret
	leakSTSSecret   = "LeakStsSecret+/=9z8y7x6w5v"   // an STS key's secret
	leakToken       = "LeakToken+/=CAISab01cd23ef45" // its security token
	leakWrongSecret = "LeakWrongSecret+/=qwerty123"  // a wrong secret
	leakWrongToken  = "LeakWrongToken+/=CAISzz9876"  // a wrong token
	leakUserinfo    = "LeakUserinfo=pw42"            // a password in an endpoint URL
)

var leakValues = []string{leakSecret, leakSTSSecret, leakToken, leakWrongSecret, leakWrongToken, leakUserinfo}

// leaks lists the secrets (or their URL-escaped forms) found in b.
func leaks(b []byte) []string {
	var found []string
	for _, s := range leakValues {
		for _, form := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
			if bytes.Contains(b, []byte(form)) {
				found = append(found, form)
			}
		}
	}
	return found
}

// buildTools builds the four commands into a temporary directory, once
// per test binary (TestMain removes it).
func buildTools(t *testing.T) string {
	t.Helper()
	tools.once.Do(func() {
		dir, err := os.MkdirTemp("", "ossx-tools-")
		if err != nil {
			tools.err = err
			return
		}
		tools.dir = dir
		// go test puts its own GOROOT/bin first in $PATH.
		cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator),
			"github.com/ossx/ossx/cmd/ossuploader", "github.com/ossx/ossx/cmd/gtail",
			"github.com/ossx/ossx/cmd/ossls", "github.com/ossx/ossx/cmd/osslocal",
			"github.com/ossx/ossx/cmd/ossget", "github.com/ossx/ossx/cmd/ossrm")
		if out, err := cmd.CombinedOutput(); err != nil {
			tools.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if tools.err != nil {
		t.Fatal(tools.err)
	}
	return tools.dir
}

var tools struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if tools.dir != "" {
		os.RemoveAll(tools.dir)
	}
	os.Exit(code)
}

// syncBuffer is a bytes.Buffer safe to read while a process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// waitFor polls until b holds want, or done (if not nil) is closed, or the
// test's patience runs out.
func waitFor(t *testing.T, b *syncBuffer, want string, done <-chan struct{}) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if bytes.Contains(b.Bytes(), []byte(want)) {
			return
		}
		select {
		case <-done:
			return
		default:
		}
	}
	t.Fatalf("never saw %q in:\n%s", want, b.Bytes())
}

type leakRun struct {
	name string
	env  []string
	args []string // tool and arguments
	// signed: stdout is a presigned URL the user asked for with --sign; it
	// must carry the token (or it would not work), so only stderr counts.
	signed bool
	// succeeds: the run must exit 0, so that the test sees the tool's
	// output on success, not only its errors.
	succeeds bool
}

func TestNoToolPrintsSecrets(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs every tool")
	}
	bin := buildTools(t)
	ts := osslocaltest.Start(t, func(o *osslocal.Options) {
		o.Credentials = []osslocal.Credential{
			{ID: "LTAIleakkey", Secret: leakSecret},
			{ID: "STS.leakkey", Secret: leakSTSSecret, SecurityToken: leakToken},
		}
	})
	home, state, work := t.TempDir(), t.TempDir(), t.TempDir()
	base := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_STATE_HOME=" + state,
		"OSS_ENDPOINT=" + ts.Endpoint, "OSS_BUCKET=" + ts.Bucket, "OSSX_TRACEBACK=1"}
	creds := map[string][]string{
		"static":        {"OSS_ACCESS_KEY_ID=LTAIleakkey", "OSS_ACCESS_KEY_SECRET=" + leakSecret},
		"sts":           {"OSS_ACCESS_KEY_ID=STS.leakkey", "OSS_ACCESS_KEY_SECRET=" + leakSTSSecret, "OSS_SESSION_TOKEN=" + leakToken},
		"alibaba-sts":   {"ALIBABA_CLOUD_ACCESS_KEY_ID=STS.leakkey", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + leakSTSSecret, "ALIBABA_CLOUD_SECURITY_TOKEN=" + leakToken},
		"wrong-secret":  {"OSS_ACCESS_KEY_ID=LTAIleakkey", "OSS_ACCESS_KEY_SECRET=" + leakWrongSecret},
		"wrong-token":   {"OSS_ACCESS_KEY_ID=STS.leakkey", "OSS_ACCESS_KEY_SECRET=" + leakSTSSecret, "OSS_SESSION_TOKEN=" + leakWrongToken},
		"sts-as-static": {"OSS_ACCESS_KEY_ID=LTAIleakkey", "OSS_ACCESS_KEY_SECRET=" + leakSecret, "OSS_SESSION_TOKEN=" + leakToken},
		// The STS key from the ossutil config file's [default] profile.
		"profile": {"OSS_CONFIG_FILE=" + filepath.Join(home, "ossutilconfig")},
		// Only half a pair in the environment: a usage error.
		"half": {"OSS_ACCESS_KEY_SECRET=" + leakSecret, "OSS_SESSION_TOKEN=" + leakToken},
	}
	cfgFile := "[default]\naccessKeyId = STS.leakkey\naccessKeySecret = " + leakSTSSecret + "\nsecurityToken = " + leakToken + "\n"
	if err := os.WriteFile(filepath.Join(home, "ossutilconfig"), []byte(cfgFile), 0o600); err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(work, "small.txt")
	dir := filepath.Join(work, "dir")
	big := filepath.Join(work, "big.bin")
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(small, []byte("hello\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "a.log"), []byte("line a\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "sub", "b.log"), []byte("line b\n"), 0o644)
	os.WriteFile(big, bytes.Repeat([]byte("0123456789abcdef"), 40<<10), 0o644) // 640 KiB
	unreachable := osslocaltest.ClosedEndpoint(t)
	mp := []string{"--multipart-threshold", "200K", "--part-size", "100K", "--jobs", "1"}

	var runs []leakRun
	good := map[string]bool{"static": true, "sts": true, "alibaba-sts": true, "profile": true}
	add := func(name string, env []string, signed bool, args ...string) {
		cred, _, _ := strings.Cut(name, " ")
		ok := good[cred] && !strings.Contains(name, "missing") && !strings.Contains(name, "unreachable") &&
			!strings.Contains(name, "bad ") && !strings.Contains(name, "no-clobber")
		runs = append(runs, leakRun{name: name, env: env, args: args, signed: signed, succeeds: ok})
	}
	// An endpoint with user:password@ (issue 13.8), from the environment
	// and from the flag, with a raw "/" in the password too.
	u, _ := url.Parse(ts.Endpoint)
	userinfoEndpoints := []string{"http://id:" + leakUserinfo + "@" + u.Host, "http://id:" + leakUserinfo + "/x@" + u.Host}
	for _, tool := range []string{"ossuploader", "gtail", "ossls"} {
		args := map[string][]string{"ossuploader": {small, "k"}, "gtail": {"--once", small, "logs/"}, "ossls": nil}[tool]
		for i, ep := range userinfoEndpoints {
			add(fmt.Sprintf("%s bad userinfo endpoint env %d", tool, i), append([]string{"OSS_ENDPOINT=" + ep}, creds["static"]...), false, append([]string{tool}, args...)...)
			add(fmt.Sprintf("%s bad userinfo endpoint flag %d", tool, i), creds["static"], false, append([]string{tool, "--endpoint", ep}, args...)...)
		}
		add(tool+" --help", creds["sts"], false, tool, "--help")
		add(tool+" --version", creds["sts"], false, tool, "--version")
		add(tool+" bad flag", creds["sts"], false, tool, "--no-such-flag")
	}
	for name, env := range creds {
		k := "leak/" + name + "/"
		add(name+" upload", env, false, "ossuploader", small, k+"a")
		add(name+" upload --json", env, false, "ossuploader", "--json", small, k+"b")
		add(name+" upload --print https", env, false, "ossuploader", "--print", "https", small, k+"c")
		add(name+" upload --sign", env, true, "ossuploader", "--sign", "1h", small, k+"d")
		add(name+" upload --sign --json", env, true, "ossuploader", "--json", "--sign", "1h", small, k+"e")
		add(name+" upload -r --json", env, false, "ossuploader", "-r", "--json", dir, k+"dir/")
		add(name+" upload multipart", env, false, append(append([]string{"ossuploader"}, mp...), "--json", big, k+"big")...)
		add(name+" upload --no-clobber", env, false, "ossuploader", "--no-clobber", small, k+"a")
		add(name+" upload --dry-run", env, false, "ossuploader", "--dry-run", "--json", small, k+"f")
		add(name+" upload missing bucket", env, false, "ossuploader", small, "oss://no-such-bucket/x")
		add(name+" upload unreachable", env, false, "ossuploader", "--retries", "1", "--endpoint", unreachable, small, k+"g")
		add(name+" upload bad endpoint", env, false, "ossuploader", "--endpoint", "http://[::1", small, k+"g")
		add(name+" ossls buckets", env, false, "ossls")
		add(name+" ossls -l", env, false, "ossls", "-l", "-r", "oss://"+ts.Bucket+"/leak/")
		add(name+" ossls --json", env, false, "ossls", "--json", "-r", "oss://"+ts.Bucket+"/leak/")
		add(name+" ossls missing bucket", env, false, "ossls", "oss://no-such-bucket/")
		add(name+" ossls unreachable", env, false, "ossls", "--retries", "1", "--endpoint", unreachable)
		add(name+" gtail --once", env, false, "gtail", "--once", small, k+"logs/")
		add(name+" gtail --once json", env, false, "gtail", "--once", "--log-format", "json", filepath.Join(dir, "*.log"), k+"jlogs/")
		add(name+" gtail missing bucket", env, false, "gtail", "--once", "--retries", "0", small, "oss://no-such-bucket/x/")
		add(name+" gtail unreachable", env, false, "gtail", "--once", "--retries", "1", "--endpoint", unreachable, small, k+"ulogs/")
	}

	check := func(t *testing.T, what string, b []byte) {
		t.Helper()
		if l := leaks(b); len(l) > 0 {
			t.Errorf("%s leaks %q:\n%s", what, l, b)
		}
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			cmd := exec.Command(filepath.Join(bin, r.args[0]), r.args[1:]...)
			cmd.Env = append(append([]string{}, base...), r.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if _, ok := err.(*exec.ExitError); err != nil && !ok {
				t.Fatal(err)
			}
			switch code := cmd.ProcessState.ExitCode(); {
			case code > ossx.ExitPartial:
				t.Errorf("exit %d (a crash?):\n%s", code, stderr.Bytes())
			case r.succeeds && code != 0:
				t.Errorf("exit %d, want 0:\n%s", code, stderr.Bytes())
			}
			check(t, "stderr", stderr.Bytes())
			if !r.signed {
				check(t, "stdout", stdout.Bytes())
			} else if strings.HasPrefix(r.name, "sts") && cmd.ProcessState.ExitCode() == 0 &&
				!bytes.Contains(stdout.Bytes(), []byte(url.QueryEscape(leakToken))) {
				// The test must prove --sign prints a usable URL.
				t.Errorf("--sign with STS credentials printed no security-token:\n%s", stdout.Bytes())
			}
		})
	}

	// Retried failures: what the tools print while riding out 5xx answers
	// and connection resets, with a progress bar drawn.
	t.Run("retries", func(t *testing.T) {
		for _, args := range [][]string{
			{"ossuploader", "--progress", "always", small, "leak/retry/a"},
			append(append([]string{"ossuploader", "--progress", "always"}, mp...), big, "leak/retry/big"),
			{"ossls", "-l", "--summary", "oss://" + ts.Bucket + "/leak/"},
			{"gtail", "--once", "--log-format", "json", small, "leak/retry/logs/"},
			{"gtail", "--once", small, "leak/retry/tlogs/"},
		} {
			rules, err := osslocal.ParseFaults("put:error=503:times=1;upload-part:reset=10k:times=1;" +
				"list:error=503:times=1;append:error=503:times=1;append:apply-then-fail:nth=2:times=1")
			if err != nil {
				t.Fatal(err)
			}
			ts.Faults.Set(rules)
			fired := ts.Faults.Fired(osslocal.OpAny)
			cmd := exec.Command(filepath.Join(bin, args[0]), args[1:]...)
			cmd.Env = append(append([]string{}, base...), creds["sts"]...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("%q: %v (the retries should have succeeded)\n%s", args, err, out)
			}
			if ts.Faults.Fired(osslocal.OpAny) == fired {
				t.Errorf("%q: no fault fired; the run proves nothing about retries", args)
			}
			check(t, strings.Join(args, " "), out)
		}
		ts.Faults.Clear()
	})

	// An interrupted multipart upload leaves a checkpoint behind.
	t.Run("checkpoint", func(t *testing.T) {
		rules, err := osslocal.ParseFaults("upload-part:error=500:nth=3")
		if err != nil {
			t.Fatal(err)
		}
		ts.Faults.Set(rules)
		defer ts.Faults.Clear()
		cmd := exec.Command(filepath.Join(bin, "ossuploader"), append(append([]string{"--retries", "0"}, mp...), big, "leak/checkpoint")...)
		cmd.Env = append(append([]string{}, base...), creds["sts"]...)
		out, _ := cmd.CombinedOutput()
		check(t, "output", out)
		if cmd.ProcessState.ExitCode() != ossx.ExitFailed {
			t.Fatalf("exit %d, want 1 (an interrupted upload):\n%s", cmd.ProcessState.ExitCode(), out)
		}
		n := 0
		filepath.WalkDir(state, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.Contains(p, "upload") {
				n++
			}
			return nil
		})
		if n == 0 {
			t.Fatalf("no checkpoint under %s; the test would prove nothing", state)
		}
	})

	// gtail following, in both log formats, with a SIGUSR1 status.
	for _, format := range []string{"text", "json"} {
		for _, cred := range []string{"sts", "wrong-secret"} {
			t.Run("gtail follow "+format+" "+cred, func(t *testing.T) {
				log := filepath.Join(work, "follow-"+format+"-"+cred+".log")
				os.WriteFile(log, []byte("first\n"), 0o644)
				cmd := exec.Command(filepath.Join(bin, "gtail"), "--log-format", format, "--flush-interval", "50ms",
					"--retries", "1", log, "leak/follow-"+format+"-"+cred+"/")
				cmd.Env = append(append([]string{}, base...), creds[cred]...)
				var stdout, stderr syncBuffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				done := make(chan struct{})
				go func() { cmd.Wait(); close(done) }()
				waitFor(t, &stderr, "following", nil)
				if cred == "sts" {
					waitFor(t, &stderr, "new object", nil)
				}
				cmd.Process.Signal(syscall.SIGUSR1)
				// A wrong secret stops every file, and gtail with them.
				waitFor(t, &stderr, "status summary", done)
				cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-done:
				case <-time.After(30 * time.Second):
					cmd.Process.Kill()
					t.Fatal("gtail did not stop on SIGTERM")
				}
				check(t, "stderr", stderr.Bytes())
				check(t, "stdout", stdout.Bytes())
			})
		}
	}

	// The osslocal binary's request log, with wrong and right secrets.
	t.Run("osslocal --verbose", func(t *testing.T) {
		envFile := filepath.Join(work, "osslocal.env")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		srv := exec.CommandContext(ctx, filepath.Join(bin, "osslocal"), "--verbose", "--addr", "127.0.0.1:0",
			"--bucket", "verbose", "--access-key-id", "STS-less-id", "--env-file", envFile)
		srv.Env = append(append([]string{}, base...), "OSSLOCAL_ACCESS_KEY_SECRET="+leakSecret)
		var stderr syncBuffer
		srv.Stderr = &stderr
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, &stderr, "serving", nil)
		env, err := os.ReadFile(envFile)
		if err != nil {
			t.Fatal(err)
		}
		var endpoint string
		for _, l := range strings.Split(string(env), "\n") {
			if v, ok := strings.CutPrefix(l, "export OSS_ENDPOINT="); ok {
				endpoint = strings.Trim(v, "'")
			}
		}
		for _, secret := range []string{leakSecret, leakWrongSecret} {
			for _, args := range [][]string{{"ossls", "oss://verbose/"}, {"ossuploader", small, "oss://verbose/x"}} {
				cmd := exec.Command(filepath.Join(bin, args[0]), args[1:]...)
				cmd.Env = append(append([]string{}, base...), "OSS_ENDPOINT="+endpoint,
					"OSS_ACCESS_KEY_ID=STS-less-id", "OSS_ACCESS_KEY_SECRET="+secret, "OSS_SESSION_TOKEN="+leakToken)
				out, _ := cmd.CombinedOutput()
				check(t, strings.Join(args, " "), out)
			}
		}
		srv.Process.Signal(syscall.SIGTERM)
		srv.Wait()
		check(t, "osslocal stderr", stderr.Bytes())
	})

	// Whatever the tools wrote to disk: checkpoints, gtail state files.
	t.Run("files", func(t *testing.T) {
		var read []string
		for _, root := range []string{home, state} {
			filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() || p == filepath.Join(home, "ossutilconfig") {
					return nil
				}
				b, err := os.ReadFile(p)
				if err != nil {
					t.Error(err)
					return nil
				}
				check(t, p, b)
				read = append(read, p)
				return nil
			})
		}
		all := strings.Join(read, "\n")
		for _, want := range []string{"/ossx/gtail/", "/ossx/uploads/"} {
			if !strings.Contains(all, want) {
				t.Errorf("no file under %s was searched; the test would prove nothing:\n%s", want, all)
			}
		}
	})
}
