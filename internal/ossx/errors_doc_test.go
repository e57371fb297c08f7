//go:build unix

package ossx_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// errorRow is one row of a table in docs/errors.md.
type errorRow struct {
	line    int
	command string
	exit    int
	err     *regexp.Regexp // the first stderr line; … in the doc is any text
	tool    string
}

// errorRows reads the wrong-usage tables of docs/errors.md: rows of three
// cells, `COMMAND` | EXIT | `ERROR`.
func errorRows(t *testing.T) []errorRow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "errors.md"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []errorRow
	for i, l := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(l, "| `") {
			continue
		}
		cells := strings.Split(strings.TrimSuffix(strings.TrimPrefix(l, "| "), " |"), " | ")
		if len(cells) != 3 {
			t.Fatalf("docs/errors.md:%d: want 3 cells, got %d: %s", i+1, len(cells), l)
		}
		exit, err := strconv.Atoi(cells[1])
		unquote := func(s string) string { return strings.TrimSuffix(strings.TrimPrefix(s, "`"), "`") }
		msg := unquote(cells[2])
		tool, _, ok := strings.Cut(msg, ": error: ")
		if err != nil || !ok {
			t.Fatalf("docs/errors.md:%d: bad row: %s", i+1, l)
		}
		parts := strings.Split(msg, "…")
		for j := range parts {
			parts[j] = regexp.QuoteMeta(parts[j])
		}
		rows = append(rows, errorRow{line: i + 1, command: unquote(cells[0]), exit: exit,
			err: regexp.MustCompile("^" + strings.Join(parts, ".*") + "$"), tool: tool})
	}
	if len(rows) < 40 {
		t.Fatalf("docs/errors.md: only %d rows found; the table's layout changed?", len(rows))
	}
	return rows
}

// TestErrorsDoc runs every row of docs/errors.md against the built tools:
// the exit status and the error line are as documented, stdout is empty,
// and stderr holds one error line and at most one hint.
func TestErrorsDoc(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs every tool")
	}
	rows := errorRows(t)
	bin := buildTools(t)
	ts := osslocaltest.Start(t, func(o *osslocal.Options) { o.Buckets = []string{"dev"} })
	work, home, state := t.TempDir(), t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "hello.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(work, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "dir", "a.txt"), []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(ts.Env(), "PATH="+bin+":/usr/bin:/bin", "HOME="+home, "XDG_STATE_HOME="+state, "OSS_BUCKET=dev")
	for _, r := range rows {
		t.Run(strconv.Itoa(r.line), func(t *testing.T) {
			c := exec.Command("sh", "-c", r.command)
			c.Dir, c.Env = work, env
			var stdout, stderr bytes.Buffer
			c.Stdout, c.Stderr = &stdout, &stderr
			if err := c.Run(); err != nil {
				if _, ok := err.(*exec.ExitError); !ok {
					t.Fatal(err)
				}
			}
			lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
			ok := c.ProcessState.ExitCode() == r.exit && stdout.Len() == 0 && r.err.MatchString(lines[0]) &&
				(len(lines) == 1 || len(lines) == 2 && strings.HasPrefix(lines[1], r.tool+": hint: "))
			if !ok {
				t.Errorf("docs/errors.md:%d: %s\nexit %d, stdout %q, stderr:\n%s\nwant exit %d, nothing on stdout, stderr matching %s and at most a hint",
					r.line, r.command, c.ProcessState.ExitCode(), stdout.String(), stderr.String(), r.exit, r.err)
			}
		})
	}
}
