// Package version holds the build stamp of every ossx tool.
//
// Release builds set the variables through -ldflags "-X"; `go install` builds
// leave them empty and the values come from the module's build info instead.
package version

import (
	"fmt"
	"runtime/debug"
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
	ver, commit, date = Version, Commit, Date
	if bi, ok := debug.ReadBuildInfo(); ok {
		if ver == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			ver = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if commit == "" {
					commit = s.Value
				}
			case "vcs.time":
				if date == "" {
					date = s.Value
				}
			}
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
