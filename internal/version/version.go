// Package version holds the build stamp of every ossx tool.
//
// Release builds set the variables through -ldflags "-X" (see
// goreleaser.yaml); `go install` and `go build` builds leave them empty and
// the values come from the build info the Go toolchain embeds instead: the
// module version (`go install module@v1.2.3`, or a pseudo-version) and the
// VCS settings of a build in a git checkout. A build with neither (`go run`,
// `go build` in a copy without .git or with -buildvcs=false, or in a linked
// git worktree, golang/go#58218) says so rather than print placeholders.
package version

import (
	"fmt"
	"regexp"
	"runtime/debug"
	"slices"
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

// devel is the version of a build that records none (the Go toolchain's
// "(devel)" without the parentheses, which scripts would have to quote).
const devel = "devel"

// stamp is what is known of a build; empty strings are unknown.
type stamp struct {
	version, commit, date string
	modified              bool // built from a checkout with uncommitted changes
}

// Info returns version, commit and date, falling back to the build info that
// the Go toolchain embeds (module version, vcs.revision, vcs.time). The
// version is "devel" when nothing records one; commit and date are empty
// when unknown.
func Info() (ver, commit, date string) {
	s := current()
	return s.version, s.commit, s.date
}

func current() stamp {
	bi, _ := debug.ReadBuildInfo()
	return read(Version, Commit, Date, bi)
}

// pseudoVersion matches the tail of a Go pseudo-version such as
// v0.0.0-20261121113641-abcdef123456 (https://go.dev/ref/mod#pseudo-versions),
// which is what `go install ...@latest` records for an untagged commit (and
// `go build` in a checkout, with a +dirty suffix for local changes).
// It is compiled on first use, not at every start (UserAgent calls Info).
var pseudoVersion = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`[-.](\d{14})-([0-9a-f]{12})(\+[0-9A-Za-z.-]+)?$`)
})

// pseudoTime is the RFC 3339 form of a pseudo-version's yyyymmddhhmmss.
func pseudoTime(compact string) string {
	t, err := time.Parse("20060102150405", compact)
	if err != nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func matchPseudo(ver string) []string {
	if !strings.Contains(ver, "-") {
		return nil
	}
	return pseudoVersion().FindStringSubmatch(ver)
}

// read is Info with its inputs explicit: the ldflags stamp wins, then the
// module version and VCS settings of bi (nil when the binary has none), then
// the commit and time encoded in a pseudo-version.
func read(ver, commit, date string, bi *debug.BuildInfo) stamp {
	s := stamp{version: ver, commit: commit, date: date}
	if bi != nil {
		if s.version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			s.version = bi.Main.Version
		}
		// vcs.modified describes the tree vcs.revision names: it is only
		// said of a commit that came from the same build info.
		fromVCS := commit == ""
		for _, b := range bi.Settings {
			switch {
			case b.Key == "vcs.revision" && commit == "":
				s.commit = b.Value
			case b.Key == "vcs.time" && date == "":
				s.date = b.Value
			case b.Key == "vcs.modified" && fromVCS:
				s.modified = b.Value == "true"
			}
		}
	}
	if m := matchPseudo(s.version); m != nil {
		if s.commit == "" {
			s.commit = m[2]
		}
		if s.date == "" {
			s.date = pseudoTime(m[1])
		}
	}
	if s.version == "" {
		s.version = devel
	}
	if len(s.commit) > 12 {
		s.commit = s.commit[:12]
	}
	return s
}

// String is what `TOOL --version` prints: "TOOL VERSION (COMMIT, DATE)",
// with ", modified" for a build of a checkout with uncommitted changes, and
// only what is known and not already in VERSION: "TOOL v1.2.3" for `go
// install ...@v1.2.3` (which records no commit), "TOOL PSEUDO-VERSION" for
// an untagged commit, and a sentence saying why for a build that records
// nothing.
func String(tool string) string {
	return format(tool, current())
}

func format(tool string, s stamp) string {
	// A pseudo-version already names its commit and time (and "+dirty" a
	// modified tree): they are not said twice, which keeps the line
	// within 80 columns.
	var inVersion []string
	if m := matchPseudo(s.version); m != nil {
		inVersion = []string{m[2], pseudoTime(m[1]), m[3]}
	}
	var known []string
	for _, v := range []string{s.commit, s.date} {
		if v != "" && !slices.Contains(inVersion, v) {
			known = append(known, v)
		}
	}
	if s.modified && !slices.Contains(inVersion, "+dirty") {
		known = append(known, "modified")
	}
	switch {
	case len(known) > 0:
		return fmt.Sprintf("%s %s (%s)", tool, s.version, strings.Join(known, ", "))
	case s.version == devel:
		return tool + " " + devel + " (no version recorded: built without -ldflags or VCS info)"
	default:
		return tool + " " + s.version
	}
}

// UserAgent is sent with every OSS request.
func UserAgent() string {
	v, _, _ := Info()
	return "ossx/" + v
}
