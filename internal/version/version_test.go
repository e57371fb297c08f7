package version

import (
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// TestString: what --version prints for each kind of build, from the ldflags
// stamp and the build info the Go toolchain embeds.
func TestString(t *testing.T) {
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-11-21T11:36:41Z"},
			{Key: "vcs.modified", Value: modified},
		}
	}
	devel := debug.Module{Path: "github.com/ossx/ossx", Version: "(devel)"}
	tests := []struct {
		name              string
		ver, commit, date string // -ldflags -X
		bi                *debug.BuildInfo
		want              string
	}{
		{"release: ldflags win over build info", "v1.2.3", "abc1234", "2026-11-20T10:00:00Z",
			&debug.BuildInfo{Main: devel, Settings: vcs("true")},
			"t v1.2.3 (abc1234, 2026-11-20T10:00:00Z)"},
		{"ldflags version only, VCS fills in", "v2.0.0", "", "",
			&debug.BuildInfo{Main: devel, Settings: vcs("false")},
			"t v2.0.0 (0123456789ab, 2026-11-21T11:36:41Z)"},
		{"ldflags version only, no build info", "v2.0.0", "", "", nil,
			"t v2.0.0"},
		{"ldflags commit: modified is not said of it", "", "feedc0ffee12", "", &debug.BuildInfo{Main: devel, Settings: vcs("true")},
			"t devel (feedc0ffee12, 2026-11-21T11:36:41Z)"},
		{"go build in a clean checkout, no module version", "", "", "",
			&debug.BuildInfo{Main: devel, Settings: vcs("false")},
			"t devel (0123456789ab, 2026-11-21T11:36:41Z)"},
		{"go build in a checkout with changes", "", "", "",
			&debug.BuildInfo{Main: devel, Settings: vcs("true")},
			"t devel (0123456789ab, 2026-11-21T11:36:41Z, modified)"},
		{"go install module@v1.4.0: no VCS info", "", "", "",
			&debug.BuildInfo{Main: debug.Module{Path: "github.com/ossx/ossx", Version: "v1.4.0"}},
			"t v1.4.0"},
		{"go install of an untagged commit", "", "", "",
			&debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261121113641-abcdef123456"}},
			"t v0.0.0-20261121113641-abcdef123456"},
		{"pseudo-version after a tag", "", "", "",
			&debug.BuildInfo{Main: debug.Module{Version: "v1.4.1-0.20261121113641-abcdef123456"}},
			"t v1.4.1-0.20261121113641-abcdef123456"},
		{"go build in a dirty checkout (Go ≥1.24 version from VCS)", "", "", "",
			&debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261121113641-abcdef123456+dirty"}, Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "abcdef1234567890"}, {Key: "vcs.time", Value: "2026-11-21T11:36:41Z"}, {Key: "vcs.modified", Value: "true"}}},
			"t v0.0.0-20261121113641-abcdef123456+dirty"},
		{"go run, go build without .git or with -buildvcs=false", "", "", "",
			&debug.BuildInfo{Main: devel, Settings: []debug.BuildSetting{{Key: "-buildmode", Value: "exe"}}},
			"t devel (no version recorded: built without -ldflags or VCS info)"},
		{"no build info at all", "", "", "", nil,
			"t devel (no version recorded: built without -ldflags or VCS info)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := format("t", read(tt.ver, tt.commit, tt.date, tt.bi)); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			// One line of 80 columns at most, as the help (and
			// the tools' help tests) keep, for the longest name.
			if got := format("ossuploader", read(tt.ver, tt.commit, tt.date, tt.bi)); len(got) > 80 {
				t.Errorf("%d columns: %q", len(got), got)
			}
		})
	}
}

// TestInfo: the man page's .TH and the User-Agent take version and date
// from Info; unknown ones are empty, not placeholders.
func TestInfo(t *testing.T) {
	s := read("", "", "", nil)
	if s.version != "devel" || s.commit != "" || s.date != "" {
		t.Errorf("read with nothing = %+v, want version devel and nothing else", s)
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

// buildAndRun builds the main package pkg with extra go build flags, runs
// it with args and returns what it prints.
func buildAndRun(t *testing.T, pkg string, flags []string, args ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), filepath.Base(pkg))
	build := append([]string{"build", "-o", bin}, flags...)
	build = append(build, pkg)
	if out, err := exec.Command("go", build...).CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(build, " "), err, out)
	}
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		t.Fatalf("%s %s: %v", bin, strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// TestLdflags builds a binary the way goreleaser.yaml stamps release builds.
func TestLdflags(t *testing.T) {
	t.Parallel()
	const pkg = "github.com/ossx/ossx/internal/version"
	got := buildAndRun(t, "./testdata/printversion", []string{"-trimpath", "-ldflags",
		"-s -w -X " + pkg + ".Version=v9.8.7 -X " + pkg + ".Commit=feedc0ffee12 -X " + pkg + ".Date=2026-11-21T11:36:41Z"})
	if want := "printversion v9.8.7 (feedc0ffee12, 2026-11-21T11:36:41Z)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestNoBuildInfo builds a tool as `go build` in a copy without .git does
// (-buildvcs=false, no ldflags: module version "(devel)", no VCS settings)
// and runs its --version.
func TestNoBuildInfo(t *testing.T) {
	t.Parallel()
	got := buildAndRun(t, "../../cmd/ossrm", []string{"-buildvcs=false"}, "--version")
	// One line of at most 80 columns, like the tools' help.
	if want := "ossrm devel (no version recorded: built without -ldflags or VCS info)"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
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
	// The Go toolchain finds a repository by its .git directory; a linked
	// worktree has a .git file and gets no VCS stamp (golang/go#58218).
	dirs, err := exec.Command("git", "rev-parse", "--path-format=absolute", "--git-dir", "--git-common-dir").Output()
	if f := strings.Fields(string(dirs)); err == nil && len(f) == 2 && f[0] != f[1] {
		t.Skip("a linked git worktree: go build records no VCS info here (golang/go#58218)")
	}
	// The environment may set GOFLAGS=-buildvcs=false; the flag wins.
	got := buildAndRun(t, "./testdata/printversion", []string{"-buildvcs=true"})
	want := "printversion "
	if !strings.HasPrefix(got, want) || !strings.Contains(got, string(head[:12])) {
		t.Errorf("got %q, want %q… with commit %s", got, want, head[:12])
	}
	if strings.Contains(got, "no version recorded") {
		t.Errorf("got %q: build info not used", got)
	}
}
