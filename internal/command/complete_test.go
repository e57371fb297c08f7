package command

import (
	"bytes"
	"io"
	"testing"

	"github.com/urfave/cli/v2"
)

// A completion request never runs the tool, whatever precedes it, and
// lists the flags matching the word under the cursor.
func TestCompleteNeverRuns(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"after --", []string{"tool", "app.log", "--", completeFlag}, "--json\n--limit\n--long\n"},
		{"long prefix", []string{"tool", "--l", completeFlag}, "--limit\n--long\n"},
		{"short", []string{"tool", "-", completeFlag}, "--json\n--limit\n--long\n-l\n"},
		{"partial flag", []string{"tool", "--s", completeFlag}, ""},
		{"after a file", []string{"tool", "app.log", completeFlag}, ""},
		{"bare", []string{"tool", completeFlag}, ""},
		{"hidden flags stay hidden", []string{"tool", "--sec", completeFlag}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := NewApp("tool", "test", "tool [options] FILE", "")
			app.Flags = []cli.Flag{
				&cli.BoolFlag{Name: "json"},
				&cli.BoolFlag{Name: "long", Aliases: []string{"l"}},
				&cli.IntFlag{Name: "limit"},
				&cli.BoolFlag{Name: "secret-switch", Hidden: true},
			}
			app.Action = func(*cli.Context) error {
				t.Fatal("a completion request ran the tool")
				return nil
			}
			var out bytes.Buffer
			app.Writer = &out
			if code := Main(app, tc.args, io.Discard); code != 0 {
				t.Fatalf("exit %d", code)
			}
			if out.String() != tc.want {
				t.Errorf("completions %q, want %q", out.String(), tc.want)
			}
		})
	}
}
