//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// TestUnreadableSource: a source ossuploader may not read is one error line
// naming it, exit 1, and no object; in a directory it is named among the
// others and the run ends with exit 3. Root reads everything, so as root the
// binary runs as nobody through setpriv (errors.txtar covers non-root runs).
func TestUnreadableSource(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("covered by errors.txtar when not root")
	}
	sp, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("running as root without setpriv: cannot make a file unreadable")
	}
	srv := osslocaltest.Start(t)
	// nobody needs a path to the binary, the files and a state directory.
	dir, err := os.MkdirTemp("", "ossuploader-perm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "ossuploader") // testscript.Main dispatches on the name
	osslocaltest.CopyTestBinary(t, bin)
	tree := filepath.Join(dir, "tree")
	for _, f := range []struct {
		name string
		mode os.FileMode
	}{{"secret.txt", 0o000}, {"ok.txt", 0o644}} {
		p := filepath.Join(tree, f.name)
		if err := os.MkdirAll(tree, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.name+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) (int, string, string) {
		c := exec.Command(sp, append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", bin}, args...)...)
		c.Env = append(srv.Env(), "HOME="+dir, "XDG_STATE_HOME="+filepath.Join(dir, "state"), "PATH=/usr/bin:/bin")
		var stdout, stderr strings.Builder
		c.Stdout, c.Stderr = &stdout, &stderr
		_ = c.Run()
		return c.ProcessState.ExitCode(), stdout.String(), stderr.String()
	}

	secret := filepath.Join(tree, "secret.txt")
	code, stdout, stderr := run(secret, "oss://"+srv.Bucket+"/one")
	if code != 1 || stdout != "" || strings.Count(stderr, "\n") != 1 ||
		!strings.HasPrefix(stderr, "ossuploader: error: ") || !strings.Contains(stderr, secret+": permission denied") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1, nothing, one error line naming %s", code, stdout, stderr, secret)
	}
	code, stdout, stderr = run("-r", tree, "oss://"+srv.Bucket+"/tree/")
	if code != 3 || stdout != "oss://"+srv.Bucket+"/tree/ok.txt\n" || !strings.Contains(stderr, "permission denied") {
		t.Errorf("-r: exit %d, stdout %q, stderr %q; want 3, ok.txt uploaded, secret.txt named", code, stdout, stderr)
	}
	c, err := oss.New(srv.Endpoint, srv.AccessKeyID, srv.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Bucket(srv.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"one", "tree/secret.txt"} {
		if ok, err := b.IsObjectExist(key); err != nil || ok {
			t.Errorf("object %s exists (%v): an unreadable source must leave nothing", key, err)
		}
	}
}

// TestUnreadableDefaultConfig (issue 12.2): HOME is another user's 0700
// directory, as when a service runs as an unprivileged user with root's
// environment. The default ~/.ossutilconfig cannot even be looked for, so it
// is absent, and the environment's credentials are used; a config file
// named with --config or OSS_CONFIG_FILE that cannot be read stays an error.
func TestUnreadableDefaultConfig(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run as nobody through setpriv")
	}
	sp, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("running as root without setpriv")
	}
	srv := osslocaltest.Start(t)
	dir, err := os.MkdirTemp("", "ossuploader-perm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "ossuploader") // testscript.Main dispatches on the name
	osslocaltest.CopyTestBinary(t, bin)
	src := filepath.Join(dir, "a.txt")
	if err := os.WriteFile(src, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "root-home") // root's, 0700
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  []string
		code int
		err  string
	}{
		{"default file", nil, 0, ""},
		{"--config", []string{"--config", filepath.Join(home, ".ossutilconfig")}, 2, "read config file: open " + home + "/.ossutilconfig: permission denied"},
		{"OSS_CONFIG_FILE", []string{"OSS_CONFIG_FILE=" + filepath.Join(home, "cfg")}, 2, "read config file: open " + home + "/cfg: permission denied"},
	} {
		args := []string{"--reuid=65534", "--regid=65534", "--clear-groups", bin}
		env := append(srv.Env(), "HOME="+home, "PATH=/usr/bin:/bin")
		for _, e := range tc.env {
			if strings.HasPrefix(e, "--") {
				args = append(args, tc.env...)
				break
			}
			env = append(env, e)
		}
		c := exec.Command(sp, append(args, src, "oss://"+srv.Bucket+"/cfg/"+tc.name)...)
		c.Env = env
		var stdout, stderr strings.Builder
		c.Stdout, c.Stderr = &stdout, &stderr
		_ = c.Run()
		code := c.ProcessState.ExitCode()
		if code != tc.code || tc.err == "" && stderr.Len() > 0 || !strings.Contains(stderr.String(), tc.err) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d, %q", tc.name, code, stdout.String(), stderr.String(), tc.code, tc.err)
		}
	}
}
