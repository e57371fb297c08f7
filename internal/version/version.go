// Package version holds the build stamp of every ossx tool.
//
// Release builds set the variables through -ldflags "-X" (see
// goreleaser.yaml); `go install` and `go build` builds leave them empty and
// the values come from the build info the Go toolchain embeds instead.
package version

import (
	"fmt"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// Set by goreleaser: -X github.com/ossx/ossx/internal/version.Version=...
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// Info returns version, commit and date, falling back to the build info that
// the Go toolchain embeds (module version, vcs.revision, vcs.time).
func Info() (ver, commit, date string) {
	bi, _ := debug.ReadBuildInfo()
	return info(Version, Commit, Date, bi)
}

// pseudoVersion matches the tail of a Go pseudo-version such as
// v0.0.0-20261121113641-abcdef123456 (https://go.dev/ref/mod#pseudo-versions),
// which is what `go install ...@latest` records for an untagged commit (and
// `go build` in a checkout, with a +dirty suffix for local changes).
// It is compiled on first use, not at every start (UserAgent calls info).
var pseudoVersion = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`[-.](\d{14})-([0-9a-f]{12})(\+[0-9A-Za-z.-]+)?$`)
})

func matchPseudo(ver string) []string {
	if !strings.Contains(ver, "-") {
		return nil
	}
	return pseudoVersion().FindStringSubmatch(ver)
}

// info is Info with its inputs explicit: the ldflags stamp wins, then the
// module version and VCS settings of bi (nil when the binary has none), then
// the commit and time encoded in a pseudo-version, then placeholders.
func info(ver, commit, date string, bi *debug.BuildInfo) (string, string, string) {
	if bi != nil {
		if ver == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			ver = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && commit == "":
				commit = s.Value
			case s.Key == "vcs.time" && date == "":
				date = s.Value
			}
		}
	}
	if m := matchPseudo(ver); m != nil {
		if commit == "" {
			commit = m[2]
		}
		if t, err := time.Parse("20060102150405", m[1]); err == nil && date == "" {
			date = t.UTC().Format(time.RFC3339)
		}
	}
	if ver == "" {
		ver = "dev"
	}
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if commit == "" {
		commit = "none"
	}
	if date == "" {
		date = "unknown"
	}
	return ver, commit, date
}

// String is what `TOOL --version` prints: "TOOL VERSION (COMMIT, DATE)".
func String(tool string) string {
	v, c, d := Info()
	return fmt.Sprintf("%s %s (%s, %s)", tool, v, c, d)
}

// UserAgent is sent with every OSS request.
func UserAgent() string {
	v, _, _ := Info()
	return "ossx/" + v
}
