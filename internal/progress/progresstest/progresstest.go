// Package progresstest runs a tool under a pseudo-terminal and checks the
// progress line it draws there (internal/progress), for the tools' tests.
package progresstest

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Terminal returns a command running the shell command line with a
// pseudo-terminal as its stdin, stdout and stderr, through script(1); the
// test is skipped where script(1) is missing. What the terminal showed is
// the command's output.
func Terminal(t testing.TB, line string) *exec.Cmd {
	t.Helper()
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("no script(1) to run under a pseudo-terminal")
	}
	return exec.Command(script, "-qec", line, "/dev/null")
}

var percent = regexp.MustCompile(`  (\d+)%  `)

// Check fails t unless out, what a terminal showed, holds each of wants and
// a percentage, sizes and rates in IEC units only (KiB, MiB: never kB or MB,
// which --bwlimit does not mean), and percentages that never fall.
func Check(t testing.TB, out string, wants ...string) {
	t.Helper()
	for _, want := range append(wants, "%") {
		if !strings.Contains(out, want) {
			t.Errorf("progress lacks %q:\n%q", want, out)
		}
	}
	if strings.Contains(out, "MB") || strings.Contains(out, "kB") {
		t.Errorf("SI units in the progress:\n%q", out)
	}
	last := -1
	for _, m := range percent.FindAllStringSubmatch(out, -1) {
		p, _ := strconv.Atoi(m[1])
		if p < last {
			t.Errorf("percentage fell from %d to %d:\n%q", last, p, out)
		}
		last = p
	}
}
