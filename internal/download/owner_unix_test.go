//go:build unix

package download

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// A user who is not root replaces files of another user's: a file of a
// group it is in keeps that group; one of a group it is not in cannot, and
// then its group permissions must not pass to the user's own group (a 0660
// secret would become readable to everyone in it). The replacing is done
// by this test binary run again as uid 65534 (root is needed to start it).
func TestKeepOwnerAsUser(t *testing.T) {
	const uid, member, other = 65534, 4242, 4243
	if dir := os.Getenv("OSSX_TEST_KEEPOWNER_DIR"); dir != "" {
		replaceAsUser(t, dir)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run a process as another user")
	}
	base := t.TempDir()
	dir := filepath.Join(base, "d")
	if err := os.Chmod(filepath.Dir(base), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{base, dir} {
		if err := os.MkdirAll(d, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	for name, gid := range map[string]int{"shared": member, "secret": other} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("old"), 0o660); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, 1000, gid); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o660); err != nil {
			t.Fatal(err)
		}
	}
	// The test binary may sit in a directory only root can enter.
	bin := filepath.Join(base, "download.test")
	osslocaltest.CopyTestBinary(t, bin)
	cmd := exec.Command(bin, "-test.run=^TestKeepOwnerAsUser$", "-test.count=1")
	cmd.Env = append(os.Environ(), "OSSX_TEST_KEEPOWNER_DIR="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid, Groups: []uint32{member}}}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("as uid %d: %v\n%s", uid, err, out)
	}
	for _, tc := range []struct {
		name string
		gid  uint32
		perm fs.FileMode
	}{
		{"shared", member, 0o660},
		{"secret", uid, 0o600},
	} {
		fi, err := os.Stat(filepath.Join(dir, tc.name))
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != uid || st.Gid != tc.gid || fi.Mode().Perm() != tc.perm {
			t.Errorf("%s: owner %d:%d mode %v, want %d:%d %v", tc.name, st.Uid, st.Gid, fi.Mode().Perm(), uid, tc.gid, tc.perm)
		}
	}
}

// replaceAsUser replaces dir's files through createTemp and commit.
func replaceAsUser(t *testing.T, dir string) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	for _, name := range []string{"shared", "secret"} {
		old, err := root.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		dest := Dest{Root: root, Name: name, old: old}
		f, tmp, err := createTemp(dest)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString("new"); err != nil {
			t.Fatal(err)
		}
		if err := commit(f, tmp, dest, Meta{}); err != nil {
			t.Fatal(err)
		}
	}
}
