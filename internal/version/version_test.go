package version

import (
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestInfo(t *testing.T) {
	vcs := &debug.BuildInfo{
		Main: debug.Module{Path: "github.com/ossx/ossx", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-11-21T11:36:41Z"},
		},
	}
	tests := []struct {
		name                string
		ver, commit, date   string
		bi                  *debug.BuildInfo
		wantV, wantC, wantD string
	}{
		{"ldflags win", "v1.2.3", "abc1234", "2026-11-20T10:00:00Z", vcs,
			"v1.2.3", "abc1234", "2026-11-20T10:00:00Z"},
		{"vcs build info", "", "", "", vcs,
			"dev", "0123456789ab", "2026-11-21T11:36:41Z"},
		{"go install of a tag", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}},
			"v1.4.0", "none", "unknown"},
		{"go install of an untagged commit", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261121113641-abcdef123456"}},
			"v0.0.0-20261121113641-abcdef123456", "abcdef123456", "2026-11-21T11:36:41Z"},
		{"pseudo-version after a tag", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.1-0.20261121113641-abcdef123456"}},
			"v1.4.1-0.20261121113641-abcdef123456", "abcdef123456", "2026-11-21T11:36:41Z"},
		{"go build in a dirty checkout", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261121113641-abcdef123456+dirty"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abcdef1234567890"}, {Key: "vcs.time", Value: "2026-11-21T11:36:41Z"}}},
			"v0.0.0-20261121113641-abcdef123456+dirty", "abcdef123456", "2026-11-21T11:36:41Z"},
		{"partial ldflags", "v2.0.0", "", "", nil,
			"v2.0.0", "none", "unknown"},
		{"nothing", "", "", "", nil,
			"dev", "none", "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, c, d := info(tt.ver, tt.commit, tt.date, tt.bi)
			if v != tt.wantV || c != tt.wantC || d != tt.wantD {
				t.Errorf("info() = %q, %q, %q; want %q, %q, %q", v, c, d, tt.wantV, tt.wantC, tt.wantD)
			}
		})
	}
}

func TestStringFormat(t *testing.T) {
	defer func(v, c, d string) { Version, Commit, Date = v, c, d }(Version, Commit, Date)
	Version, Commit, Date = "v1.2.3", "abc1234", "2026-11-20T10:00:00Z"
	if got, want := String("gtail"), "gtail v1.2.3 (abc1234, 2026-11-20T10:00:00Z)"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if got, want := UserAgent(), "ossx/v1.2.3"; got != want {
		t.Errorf("UserAgent = %q, want %q", got, want)
	}
}

// buildPrintversion builds testdata/printversion with extra go build flags
// and returns what it prints.
func buildPrintversion(t *testing.T, flags ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "printversion")
	args := append([]string{"build", "-o", bin}, flags...)
	args = append(args, "./testdata/printversion")
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// TestLdflags builds a binary the way goreleaser.yaml stamps release builds.
func TestLdflags(t *testing.T) {
	t.Parallel()
	const pkg = "github.com/ossx/ossx/internal/version"
	got := buildPrintversion(t, "-trimpath", "-ldflags",
		"-s -w -X "+pkg+".Version=v9.8.7 -X "+pkg+".Commit=feedc0ffee12 -X "+pkg+".Date=2026-11-21T11:36:41Z")
	if want := "printversion v9.8.7 (feedc0ffee12, 2026-11-21T11:36:41Z)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestBuildInfoFallback builds a binary without ldflags in this git checkout
// (as `go build` or `go install` from a clone does): the commit comes from
// the embedded VCS info.
func TestBuildInfoFallback(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skip("not a git checkout")
	}
	// The environment may set GOFLAGS=-buildvcs=false; the flag wins.
	got := buildPrintversion(t, "-buildvcs=true")
	want := "printversion "
	if !strings.HasPrefix(got, want) || !strings.Contains(got, "("+string(head[:12])+", ") {
		t.Errorf("got %q, want %q… with commit %s", got, want, head[:12])
	}
	if strings.Contains(got, "unknown") || strings.Contains(got, "none") {
		t.Errorf("got %q: build info not used", got)
	}
}
