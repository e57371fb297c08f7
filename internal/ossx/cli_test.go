//go:build unix

package ossx_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
	"github.com/ossx/ossx/internal/ossx"
)

// TestToolsCLIConsistency holds the tools to the conventions they
// share: help on stdout with the exit-code table, "TOOL VERSION (COMMIT,
// DATE)", -v free, and usage errors as "TOOL: error: …" plus "TOOL: hint:
// …" lines on stderr with exit 2 and nothing on stdout.
func TestToolsCLIConsistency(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every tool")
	}
	bin := buildTools(t)
	home := t.TempDir()
	// A usage error of each tool's own, found before any request.
	usage := map[string][]string{
		"ossuploader": {"only-one-argument"},
		"gtail":       {},
		"ossls":       {"oss://a-bucket/", "two", "three"},
		"osslocal":    {"unexpected-argument"},
		"ossget":      {"only-one-argument"},
		"ossrm":       {},
	}
	for tool, bad := range usage {
		run := func(t *testing.T, args ...string) (string, string, int) {
			t.Helper()
			cmd := exec.Command(filepath.Join(bin, tool), args...)
			// Loopback only, even if a usage check were missed.
			cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "OSS_ENDPOINT=" + osslocaltest.ClosedEndpoint(t),
				"OSS_ACCESS_KEY_ID=id", "OSS_ACCESS_KEY_SECRET=cli-secret-1"}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if _, ok := err.(*exec.ExitError); err != nil && !ok {
				t.Fatal(err)
			}
			return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
		}
		t.Run(tool, func(t *testing.T) {
			// Each tool lists the codes it returns (internal/command).
			table := "\nEXIT STATUS\n   0    success\n   1    failed: "
			for _, args := range [][]string{{"--help"}, {"-h"}} {
				stdout, stderr, code := run(t, args...)
				if code != 0 || stderr != "" || !strings.Contains(stdout, table) {
					t.Errorf("%s %s: exit %d, stderr %q, exit-code table shown: %v", tool, args[0], code, stderr,
						strings.Contains(stdout, table))
				}
			}
			stdout, stderr, code := run(t, "--version")
			// What follows the version depends on the build
			// (internal/version's tests go through each kind).
			if re := regexp.MustCompile(`^` + tool + ` \S+( \([^()\n]+\))?\n$`); code != 0 || stderr != "" || !re.MatchString(stdout) {
				t.Errorf("--version: exit %d, stdout %q, stderr %q; want %q", code, stdout, stderr, "TOOL VERSION [(…)]")
			}
			for _, args := range [][]string{{"-v"}, {"--no-such-flag"}, bad} {
				stdout, stderr, code := run(t, args...)
				if code != ossx.ExitUsage || stdout != "" {
					t.Errorf("%s %q: exit %d, stdout %q; want 2 and nothing", tool, args, code, stdout)
				}
				lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
				if !strings.HasPrefix(lines[0], tool+": error: ") {
					t.Errorf("%s %q: stderr %q, want %q first", tool, args, stderr, tool+": error: …")
				}
				for _, l := range lines {
					msg, ok := strings.CutPrefix(l, tool+": error: ")
					if !ok {
						msg, ok = strings.CutPrefix(l, tool+": hint: ")
					}
					if !ok || msg == "" || strings.HasSuffix(msg, ".") || msg[:1] != strings.ToLower(msg[:1]) {
						t.Errorf("%s %q: line %q: want TOOL: error:/hint: and a lowercase message without a period", tool, args, l)
					}
				}
			}
		})
	}
}
