// Tests of install.sh: the script runs under real shells (dash, busybox sh)
// with curl, wget or busybox's applets, against a local HTTP server serving a
// tree laid out like the GitHub releases. By default the release holds small
// archives built here with shell-script stand-ins for the tools; with
// OSSX_RELEASE_DIST=path/to/dist (scripts/release-check sets it after a
// goreleaser snapshot) it holds the real snapshot archives and checksums.
package scripts

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
)

var tools = []string{"ossuploader", "gtail", "ossls", "ossget", "ossrm", "osslocal"}

// release is a release tree on disk and the server that serves it.
type release struct {
	root    string // served directory: download/vX.Y.Z/..., latest/download/LATEST
	version string // vX.Y.Z
	url     string // base URL
	real    bool   // archives from a goreleaser snapshot
}

// newRelease lays out a release and serves it. With redirectLatest, there is
// no LATEST file and /latest redirects to /tag/VERSION as on GitHub.
func newRelease(t *testing.T, redirectLatest bool) *release {
	t.Helper()
	r := &release{root: t.TempDir()}
	if dist := os.Getenv("OSSX_RELEASE_DIST"); dist != "" {
		r.fromDist(t, dist)
	} else {
		r.fake(t)
	}
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir(r.root)))
	if redirectLatest {
		if err := os.Remove(filepath.Join(r.root, "latest", "download", "LATEST")); err != nil {
			t.Fatal(err)
		}
		mux.Handle("/latest", http.RedirectHandler("/tag/"+r.version, http.StatusFound))
		mux.HandleFunc("/tag/", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "release page") })
	}
	srv := httptest.NewServer(mux) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	r.url = srv.URL
	return r
}

func (r *release) dir() string { return filepath.Join(r.root, "download", r.version) }

func (r *release) writeLatest(t *testing.T) {
	t.Helper()
	writeFile(t, filepath.Join(r.root, "latest", "download", "LATEST"), []byte(r.version+"\n"), 0o644)
}

// fromDist copies a goreleaser dist directory's archives and checksums.
func (r *release) fromDist(t *testing.T, dist string) {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the snapshot's binaries run on linux/amd64 only")
	}
	var meta struct{ Version string }
	b, err := os.ReadFile(filepath.Join(dist, "metadata.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	r.version, r.real = "v"+meta.Version, true
	files, _ := filepath.Glob(filepath.Join(dist, "ossx_*"))
	multi, _ := filepath.Glob(filepath.Join(dist, "ossx-multicall_*"))
	files = append(append(files, multi...), filepath.Join(dist, "checksums.txt"))
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.IsDir() {
			continue // a build directory (dist/ossx_linux_amd64_v1/ossx)
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(r.dir(), filepath.Base(f)), b, 0o644)
	}
	r.writeLatest(t)
}

// fake builds linux/amd64 and windows/amd64 archives whose tools are shell
// scripts printing a version line, the same for the multi-call ossx (whose
// script prints the line of the tool it runs as, by $0 or its first
// argument), and their checksums.txt.
func (r *release) fake(t *testing.T) {
	t.Helper()
	r.version = "v1.2.3"
	files := map[string][]byte{"README.md": []byte("# ossx\n"), "LICENSE": []byte("license\n")}
	for _, tool := range tools {
		files[tool] = []byte("#!/bin/sh\necho '" + tool + " v1.2.3 (abc1234def56, 2026-11-21T11:36:41Z)'\n")
	}
	// As goreleaser.yaml builds them: no gtail for Windows.
	winFiles := maps.Clone(files)
	delete(winFiles, "gtail")
	multiFiles := map[string][]byte{"README.md": files["README.md"], "LICENSE": files["LICENSE"],
		"ossx": []byte(`#!/bin/sh
n=${0##*/}
if [ "$n" = ossx ] && [ "$1" != --version ]; then n=$1; shift; fi
echo "$n v1.2.3 (abc1234def56, 2026-11-21T11:36:41Z)"
`)}
	var sums strings.Builder
	for name, data := range map[string][]byte{
		"ossx_1.2.3_linux_amd64.tar.gz":           tarGz(t, files),
		"ossx_1.2.3_windows_amd64.zip":            zipExe(t, winFiles),
		"ossx-multicall_1.2.3_linux_amd64.tar.gz": tarGz(t, multiFiles),
		"ossx-multicall_1.2.3_windows_amd64.zip":  zipExe(t, multiFiles),
	} {
		writeFile(t, filepath.Join(r.dir(), name), data, 0o644)
		sum := sha256.Sum256(data)
		fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(sum[:]), name)
	}
	writeFile(t, filepath.Join(r.dir(), "checksums.txt"), []byte(sums.String()), 0o644)
	r.writeLatest(t)
}

func tarGz(t *testing.T, files map[string][]byte) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range sortedKeys(files) {
		mode := int64(0o644)
		if !strings.Contains(name, ".") && name != "LICENSE" {
			mode = 0o755
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(files[name]))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(files[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zipExe is the Windows archive: the tools get an .exe suffix.
func zipExe(t *testing.T, files map[string][]byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range sortedKeys(files) {
		zname := name
		if !strings.Contains(name, ".") && name != "LICENSE" {
			zname += ".exe"
		}
		w, err := zw.Create(zname)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(files[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func writeFile(t *testing.T, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
}

// env is a shell and the commands it finds: how install.sh runs on a host.
type env struct {
	name  string
	shell []string
	path  string // PATH
}

// envs returns the environments available here: dash with curl, dash with
// wget only, and busybox alone (as on Alpine). At least one must exist.
func envs(t *testing.T) []env {
	t.Helper()
	var out []env
	host := os.Getenv("PATH")
	if dash, err := exec.LookPath("dash"); err == nil {
		if _, err := exec.LookPath("curl"); err == nil {
			out = append(out, env{"dash+curl", []string{dash}, host})
		}
		if _, err := exec.LookPath("wget"); err == nil {
			out = append(out, env{"dash+wget", []string{dash}, pathWithout(t, "curl")})
		}
	}
	if bb, err := exec.LookPath("busybox"); err == nil {
		dir := t.TempDir()
		if out, err := exec.Command(bb, "--install", "-s", dir).CombinedOutput(); err != nil {
			t.Fatalf("busybox --install: %v\n%s", err, out)
		}
		out = append(out, env{"busybox", []string{bb, "sh"}, dir})
	}
	if len(out) == 0 {
		sh, err := exec.LookPath("sh")
		if err != nil {
			t.Skip("no POSIX shell")
		}
		out = append(out, env{"sh", []string{sh}, host})
	}
	return out
}

// pathWithout returns a PATH of one directory linking every command
// install.sh may use, except the excluded one.
func pathWithout(t *testing.T, exclude string) string {
	t.Helper()
	dir := t.TempDir()
	for _, cmd := range []string{"uname", "id", "mktemp", "mkdir", "rm", "cp", "mv", "ln", "chmod", "cat", "tr", "sed",
		"awk", "grep", "tail", "tar", "gzip", "unzip", "sha256sum", "shasum", "openssl", "curl", "wget", "sh", "dirname"} {
		if cmd == exclude {
			continue
		}
		if p, err := exec.LookPath(cmd); err == nil {
			if err := os.Symlink(p, filepath.Join(dir, cmd)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

type result struct {
	stdout, stderr string
	code           int
}

// install runs install.sh in e with args and extra environment.
func install(t *testing.T, e env, vars []string, args ...string) result {
	t.Helper()
	script, err := filepath.Abs("install.sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(e.shell[0], append(append(e.shell[1:], script), args...)...)
	cmd.Env = []string{"PATH=" + e.path, "HOME=" + t.TempDir()}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		// The stand-in release is linux/amd64 (its tools are scripts).
		cmd.Env = append(cmd.Env, "OSSX_OS=linux", "OSSX_ARCH=amd64")
	}
	cmd.Env = append(cmd.Env, vars...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{stdout.String(), stderr.String(), code}
}

// listDir returns the names in dir (hidden ones too), sorted.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

var versionLine = regexp.MustCompile(`^(\S+) (v\S+) \(([0-9a-f]{7,12}), (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\)\n$`)

// checkInstalled checks that dir holds exactly want, each printing its
// version line for the release's version.
func checkInstalled(t *testing.T, r *release, dir string, want []string) {
	t.Helper()
	got := listDir(t, dir)
	sorted := append([]string(nil), want...)
	sort.Strings(sorted)
	if strings.Join(got, " ") != strings.Join(sorted, " ") {
		t.Fatalf("%s holds %q, want %q", dir, got, sorted)
	}
	for _, tool := range want {
		out, err := exec.Command(filepath.Join(dir, tool), "--version").Output()
		if err != nil {
			t.Fatalf("%s --version: %v", tool, err)
		}
		m := versionLine.FindStringSubmatch(string(out))
		if m == nil || m[1] != tool || m[2] != r.version {
			t.Errorf("%s --version = %q, want %q", tool, out, tool+" "+r.version+" (COMMIT, DATE)")
		}
	}
}

// checkMultiCall checks that dir holds ossx and, for each of links, a
// relative symlink to it, and that each runs as the tool it is named for.
func checkMultiCall(t *testing.T, r *release, dir string, links []string) {
	t.Helper()
	checkInstalled(t, r, dir, append([]string{"ossx"}, links...))
	for _, tool := range links {
		if target, err := os.Readlink(filepath.Join(dir, tool)); err != nil || target != "ossx" {
			t.Errorf("%s: link to %q, %v; want a symlink to ossx", tool, target, err)
		}
	}
	fi, err := os.Lstat(filepath.Join(dir, "ossx"))
	if err != nil || !fi.Mode().IsRegular() {
		t.Errorf("ossx is not a regular file: %v, %v", fi, err)
	}
}

// checkFailed checks a failed run: exit code, one error line starting with
// wantErr (and at most a hint line), nothing on stdout.
func checkFailed(t *testing.T, res result, code int, wantErr string) {
	t.Helper()
	if res.code != code || res.stdout != "" {
		t.Errorf("exit %d, stdout %q; want exit %d, no stdout\nstderr: %s", res.code, res.stdout, code, res.stderr)
	}
	var errs []string
	for _, line := range strings.Split(strings.TrimSuffix(res.stderr, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "install.sh: error: "):
			errs = append(errs, line)
		case strings.HasPrefix(line, "install.sh: hint: "), strings.HasPrefix(line, "install.sh: installing "):
		default:
			t.Errorf("unexpected stderr line %q", line)
		}
	}
	if len(errs) != 1 || !strings.HasPrefix(errs[0], "install.sh: error: "+wantErr) {
		t.Errorf("errors %q, want one starting %q", errs, "install.sh: error: "+wantErr)
	}
}

func TestInstall(t *testing.T) {
	r := newRelease(t, false)
	for _, e := range envs(t) {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			t.Run("latest, all tools", func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "bin")
				res := install(t, e, []string{"OSSX_BASE_URL=" + r.url}, "--dir", dir)
				if res.code != 0 {
					t.Fatalf("exit %d\n%s", res.code, res.stderr)
				}
				checkInstalled(t, r, dir, tools)
				var want []string
				for _, tool := range tools {
					want = append(want, filepath.Join(dir, tool))
				}
				if got := strings.Fields(res.stdout); strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("stdout %q, want the installed paths %q", got, want)
				}
				if !strings.Contains(res.stderr, "is not in your PATH") {
					t.Errorf("no PATH hint for %s:\n%s", dir, res.stderr)
				}
			})
			t.Run("chosen version, subset, --dir created", func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "a", "b")
				res := install(t, e, nil, "--base-url", r.url+"/", "--version", r.version, "--tools", "ossuploader,gtail", "--dir", dir)
				if res.code != 0 {
					t.Fatalf("exit %d\n%s", res.code, res.stderr)
				}
				checkInstalled(t, r, dir, []string{"ossuploader", "gtail"})
			})
			t.Run("environment variables, version without v", func(t *testing.T) {
				dir := t.TempDir()
				res := install(t, e, []string{"OSSX_BASE_URL=" + r.url, "OSSX_VERSION=" + strings.TrimPrefix(r.version, "v"),
					"OSSX_TOOLS=ossls", "OSSX_DIR=" + dir, "OSSX_OS=Linux", "OSSX_ARCH=x86_64"})
				if res.code != 0 {
					t.Fatalf("exit %d\n%s", res.code, res.stderr)
				}
				checkInstalled(t, r, dir, []string{"ossls"})
			})
			t.Run("replaces an older install", func(t *testing.T) {
				dir := t.TempDir()
				writeFile(t, filepath.Join(dir, "ossls"), []byte("#!/bin/sh\necho old\n"), 0o755)
				res := install(t, e, nil, "--base-url="+r.url, "--tools=ossls", "--dir="+dir)
				if res.code != 0 {
					t.Fatalf("exit %d\n%s", res.code, res.stderr)
				}
				checkInstalled(t, r, dir, []string{"ossls"})
			})
			t.Run("multi-call, all tools", func(t *testing.T) {
				dir := t.TempDir()
				res := install(t, e, []string{"OSSX_BASE_URL=" + r.url}, "--dir", dir, "--multi-call")
				if res.code != 0 {
					t.Fatalf("exit %d\n%s", res.code, res.stderr)
				}
				checkMultiCall(t, r, dir, tools)
				want := []string{filepath.Join(dir, "ossx")}
				for _, tool := range tools {
					want = append(want, filepath.Join(dir, tool))
				}
				if got := strings.Fields(res.stdout); !slices.Equal(got, want) {
					t.Errorf("stdout %q, want the installed paths %q", got, want)
				}
			})
			t.Run("multi-call replaces single-tool binaries", func(t *testing.T) {
				dir := t.TempDir()
				writeFile(t, filepath.Join(dir, "ossls"), []byte("#!/bin/sh\necho old\n"), 0o755)
				res := install(t, e, []string{"OSSX_MULTICALL=1"}, "--base-url", r.url, "--dir", dir, "--tools", "ossls,gtail")
				if res.code != 0 {
					t.Fatalf("exit %d\n%s", res.code, res.stderr)
				}
				checkMultiCall(t, r, dir, []string{"ossls", "gtail"})
			})
			if !r.real {
				win := []string{"OSSX_OS=MINGW64_NT-10.0", "OSSX_ARCH=x86_64"}
				t.Run("windows multi-call: ossx.exe alone", func(t *testing.T) {
					dir := t.TempDir()
					res := install(t, e, win, "--base-url", r.url, "--dir", dir, "--multi-call")
					if res.code != 0 {
						t.Fatalf("exit %d\n%s", res.code, res.stderr)
					}
					if got := listDir(t, dir); len(got) != 1 || got[0] != "ossx.exe" {
						t.Errorf("%s holds %q, want ossx.exe", dir, got)
					}
					if !strings.Contains(res.stderr, "run the tools as ossx.exe TOOL") {
						t.Errorf("no hint on how to run the tools:\n%s", res.stderr)
					}
				})
				t.Run("windows multi-call links refused", func(t *testing.T) {
					dir := t.TempDir()
					res := install(t, e, win, "--base-url", r.url, "--dir", dir, "--multi-call", "--tools", "ossls")
					checkFailed(t, res, 1, "--tools with --multi-call names the links to make, which windows lacks")
					if got := listDir(t, dir); len(got) != 0 {
						t.Errorf("%s holds %q, want nothing", dir, got)
					}
				})
				t.Run("windows zip", func(t *testing.T) {
					dir := t.TempDir()
					res := install(t, e, win, "--base-url", r.url, "--dir", dir, "--tools", "ossls")
					if res.code != 0 {
						t.Fatalf("exit %d\n%s", res.code, res.stderr)
					}
					if got := listDir(t, dir); len(got) != 1 || got[0] != "ossls.exe" {
						t.Errorf("%s holds %q, want ossls.exe", dir, got)
					}
				})
				t.Run("windows default tools skip gtail", func(t *testing.T) {
					dir := t.TempDir()
					res := install(t, e, win, "--base-url", r.url, "--dir", dir)
					if res.code != 0 {
						t.Fatalf("exit %d\n%s", res.code, res.stderr)
					}
					want := []string{"ossget.exe", "osslocal.exe", "ossls.exe", "ossrm.exe", "ossuploader.exe"}
					if got := listDir(t, dir); !slices.Equal(got, want) {
						t.Errorf("%s holds %q, want %q", dir, got, want)
					}
				})
				t.Run("windows gtail refused", func(t *testing.T) {
					dir := t.TempDir()
					res := install(t, e, win, "--base-url", r.url, "--dir", dir, "--tools", "gtail")
					if res.code != 1 || !strings.Contains(res.stderr, "install.sh: error: gtail is not built for windows") {
						t.Errorf("exit %d, stderr:\n%s", res.code, res.stderr)
					}
					if got := listDir(t, dir); len(got) != 0 {
						t.Errorf("%s holds %q, want nothing", dir, got)
					}
				})
			}
		})
	}
}

func TestInstallLatestRedirect(t *testing.T) {
	r := newRelease(t, true)
	for _, e := range envs(t) {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			res := install(t, e, nil, "--base-url", r.url, "--dir", dir, "--tools", "ossls")
			if res.code != 0 {
				t.Fatalf("exit %d\n%s", res.code, res.stderr)
			}
			checkInstalled(t, r, dir, []string{"ossls"})
		})
	}
}

func TestInstallErrors(t *testing.T) {
	r := newRelease(t, false)
	noRelease := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(noRelease.Close)
	// A mirror whose archives were corrupted or tampered with: the bytes no
	// longer match checksums.txt.
	bad := newRelease(t, false)
	archives, _ := filepath.Glob(filepath.Join(bad.dir(), "ossx*_linux_amd64.tar.gz"))
	if len(archives) != 2 {
		t.Fatalf("archives %q, want the single-tool and the multi-call one", archives)
	}
	for _, a := range archives {
		data, err := os.ReadFile(a)
		if err != nil {
			t.Fatal(err)
		}
		data[len(data)/2] ^= 0xff
		writeFile(t, a, data, 0o644)
	}

	// A mirror answering 200 with a page where LATEST should be.
	soft404 := newRelease(t, false)
	writeFile(t, filepath.Join(soft404.root, "latest", "download", "LATEST"), []byte("<html>v1 not here</html>\n"), 0o644)

	tests := []struct {
		name    string
		vars    []string
		args    []string
		code    int
		wantErr string
	}{
		{"checksum mismatch", nil, []string{"--base-url", bad.url}, 1, "checksum mismatch for ossx_"},
		{"checksum mismatch, multi-call", nil, []string{"--base-url", bad.url, "--multi-call"}, 1, "checksum mismatch for ossx-multicall_"},
		{"bad OSSX_MULTICALL", []string{"OSSX_MULTICALL=yes"}, []string{"--base-url", r.url}, 2, "OSSX_MULTICALL=yes: want 1 or 0"},
		{"unknown tool, multi-call", nil, []string{"--base-url", r.url, "--multi-call", "--tools", "ossx"}, 2, "unknown tool: ossx (choose from: "},
		{"missing version", nil, []string{"--base-url", r.url, "--version", "v9.9.9"}, 1, "version v9.9.9 not found: " + r.url + "/download/v9.9.9/checksums.txt: HTTP 404"},
		{"no latest", nil, []string{"--base-url", noRelease.URL}, 1, "cannot find the latest version at " + noRelease.URL},
		{"LATEST is not a version", nil, []string{"--base-url", soft404.url}, 1, "cannot find the latest version at " + soft404.url},
		{"unreachable mirror", nil, []string{"--base-url", "http://127.0.0.1:1", "--version", "v1.0.0"}, 1, "cannot download http://127.0.0.1:1/download/v1.0.0/checksums.txt: "},
		{"unknown os", []string{"OSSX_OS=Plan9"}, []string{"--base-url", r.url}, 1, "unsupported operating system: Plan9"},
		{"unknown arch", []string{"OSSX_ARCH=riscv64"}, []string{"--base-url", r.url}, 1, "unsupported architecture: riscv64"},
		{"no build for the platform", []string{"OSSX_OS=Darwin", "OSSX_ARCH=arm64"}, []string{"--base-url", r.url}, 1, "no darwin/arm64 build in version " + r.version},
		{"unknown tool", nil, []string{"--base-url", r.url, "--tools", "ossls,osscp"}, 2, "unknown tool: osscp (choose from: ossuploader gtail ossls ossget ossrm osslocal)"},
		{"invalid version", nil, []string{"--base-url", r.url, "--version", "1.0/../x"}, 2, "invalid version: 1.0/../x"},
		{"unknown flag", nil, []string{"--prefix", "/opt"}, 2, "unknown argument: --prefix"},
		{"flag without value", nil, []string{"--dir"}, 2, "--dir needs a value"},
		{"unwritable dir", nil, []string{"--base-url", r.url, "--dir", "/proc/ossx-install-test"}, 1, "cannot create /proc/ossx-install-test"},
	}
	if r.real {
		// The snapshot has every platform's archive.
		for i := range tests {
			if tests[i].name == "no build for the platform" {
				tests[i].vars = []string{"OSSX_OS=FreeBSD"}
				tests[i].wantErr = "unsupported operating system: FreeBSD"
			}
		}
	}
	for _, e := range envs(t) {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					dir := t.TempDir()
					// An existing install must survive every failure untouched.
					old := []byte("#!/bin/sh\necho old\n")
					writeFile(t, filepath.Join(dir, "ossls"), old, 0o755)
					args := tt.args
					if !strings.Contains(strings.Join(args, " "), "--dir") {
						args = append(args, "--dir", dir)
					}
					res := install(t, e, append([]string{"OSSX_OS=linux", "OSSX_ARCH=amd64"}, tt.vars...), args...)
					checkFailed(t, res, tt.code, tt.wantErr)
					if got := listDir(t, dir); len(got) != 1 || got[0] != "ossls" {
						t.Errorf("after the failure %s holds %q, want only the old ossls", dir, got)
					}
					if b, _ := os.ReadFile(filepath.Join(dir, "ossls")); !bytes.Equal(b, old) {
						t.Errorf("the old ossls was changed to %q", b)
					}
				})
			}
		})
	}
}

func TestInstallHelp(t *testing.T) {
	for _, e := range envs(t) {
		res := install(t, e, nil, "--help")
		if res.code != 0 || !strings.HasPrefix(res.stdout, "usage: install.sh ") || res.stderr != "" {
			t.Errorf("%s: --help = %+v", e.name, res)
		}
	}
}

// TestInstallKilled kills install.sh with SIGKILL (no trap runs) at each
// step that writes into the install directory: while staging a copy (and,
// with --multi-call, a link) and at each rename. Every tool in the
// directory must then be either the old install, untouched, or the
// complete new binary (or a link to ossx that runs); a staging file may be
// left behind under a hidden name, never under a tool's name.
func TestInstallKilled(t *testing.T) {
	dash, err := exec.LookPath("dash")
	if err != nil {
		t.Skip("dash not installed")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	r := newRelease(t, false)
	for _, tc := range []struct {
		multi bool
		step  string
		call  int
	}{
		{false, "cp", 1}, {false, "cp", 3}, {false, "mv", 1}, {false, "mv", 3},
		// --multi-call copies one file (ossx), then makes a link per tool.
		{true, "cp", 1}, {true, "ln", 1}, {true, "ln", 3}, {true, "mv", 1}, {true, "mv", 3},
	} {
		step, call := tc.step, tc.call
		real, err := exec.LookPath(step)
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("%s#%d", step, call)
		if tc.multi {
			name = "multi-call " + name
		}
		t.Run(name, func(t *testing.T) {
			// A wrapper for cp, ln or mv that, on its call-th run, writes
			// half the file (cp) and kills the installer, its parent.
			wrap := t.TempDir()
			counter := filepath.Join(t.TempDir(), "calls")
			writeFile(t, filepath.Join(wrap, step), []byte(`#!/bin/sh
n=$(cat "`+counter+`" 2>/dev/null || echo 0); n=$((n + 1)); echo $n >"`+counter+`"
if [ "$n" -eq `+fmt.Sprint(call)+` ]; then
	if [ `+step+` = cp ]; then head -c 100 "$1" >"$2"; fi
	kill -9 $PPID
	exit 1
fi
exec `+real+` "$@"
`), 0o755)
			dir := t.TempDir()
			old := []byte("#!/bin/sh\necho old\n")
			writeFile(t, filepath.Join(dir, "ossls"), old, 0o755)
			e := env{"dash+curl", []string{dash}, wrap + string(os.PathListSeparator) + os.Getenv("PATH")}
			args := []string{"--base-url", r.url, "--dir", dir}
			if tc.multi {
				args = append(args, "--multi-call")
			}
			res := install(t, e, nil, args...)
			if res.code != -1 && res.code != 137 {
				t.Fatalf("install.sh was not killed: exit %d\n%s", res.code, res.stderr)
			}
			installed := 0
			for _, name := range listDir(t, dir) {
				if strings.HasPrefix(name, ".") && strings.Contains(name, ".install.") {
					continue // a staging file, under a name no one runs
				}
				out, err := exec.Command(filepath.Join(dir, name), "--version").Output()
				switch {
				case name == "ossls" && string(out) == "old\n":
				case err == nil && versionLine.MatchString(string(out)) && strings.HasPrefix(string(out), name+" "+r.version+" "):
					installed++
				default:
					t.Errorf("%s after the kill: %q, %v", name, out, err)
				}
			}
			// Staging (cp, ln) finishes before the first rename (mv).
			if want := map[string]int{"cp": 0, "ln": 0, "mv": call - 1}[step]; installed != want {
				t.Errorf("%d tools installed, want %d", installed, want)
			}
		})
	}
}
