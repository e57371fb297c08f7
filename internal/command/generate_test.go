package command

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/ossx/ossx/internal/version"
)

// The test binary doubles as a tool named "demo": with OSSX_COMMAND_DEMO=1
// it runs Main on a small app, so the tests below run it as users and
// shells do.
func TestMain(m *testing.M) {
	version.Version, version.Commit, version.Date = "v1.2.3", "abc1234", "2026-11-21T11:36:41Z"
	switch os.Getenv("OSSX_COMMAND_DEMO") {
	case "1":
		os.Exit(Main(demoApp(), os.Args, os.Stderr))
	case "panic":
		os.Exit(Main(panicApp(), os.Args, os.Stderr))
	}
	os.Exit(m.Run())
}

func demoApp() *cli.App {
	app := NewApp("demo", "upload things for the test", "demo [options] FILE oss://BUCKET/KEY",
		`demo uploads FILE to OSS. A long paragraph of prose is filled to eighty columns whatever its source lines say, so that no help and no man page is wider than a terminal.

KEYS
   Literal blocks keep their lines:

      {host}/{path}   as written
        indented      relative indentation kept
      .dotfile        C:\path\with\backslashes

EXAMPLES:
      demo notes.txt oss://b/notes.txt

EXIT STATUS
   3 is never returned.`)
	app.Flags = append([]cli.Flag{
		&cli.BoolFlag{Name: "recursive", Aliases: []string{"r"}, Usage: "upload a directory"},
		Choices(&cli.StringFlag{Name: "acl", Usage: "object `ACL`"}, "private", "public-read", "public-read-write"),
	}, ConfigFlags()...)
	app.Action = func(*cli.Context) error { return nil }
	return app
}

// demo returns the path of the demo tool: the test binary under the name
// "demo" in a directory of its own, which is also returned for PATH.
func demo(t *testing.T) (bin, dir string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	bin = filepath.Join(dir, "demo")
	if err := os.Symlink(exe, bin); err != nil {
		t.Fatal(err)
	}
	return bin, dir
}

// run runs the demo tool with args and returns stdout, stderr, exit code.
func run(t *testing.T, bin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "OSSX_COMMAND_DEMO=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

func TestVersionFlag(t *testing.T) {
	bin, _ := demo(t)
	stdout, stderr, code := run(t, bin, "--version")
	if want := "demo v1.2.3 (abc1234, 2026-11-21T11:36:41Z)\n"; stdout != want || stderr != "" || code != 0 {
		t.Errorf("demo --version = %q, %q, %d; want %q, \"\", 0", stdout, stderr, code, want)
	}
}

// TestHelpLayout: --help has the sections in the shared order, the exit
// codes the tool declares, and no line wider than 80 columns.
func TestHelpLayout(t *testing.T) {
	bin, _ := demo(t)
	stdout, stderr, code := run(t, bin, "-h")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var headings []string
	for _, l := range strings.Split(stdout, "\n") {
		if l != "" && l[0] != ' ' {
			headings = append(headings, l)
		}
		if n := len([]rune(l)); n > 80 {
			t.Errorf("line of %d columns: %q", n, l)
		}
	}
	want := []string{"NAME", "SYNOPSIS", "DESCRIPTION", "KEYS", "OPTIONS", "EXAMPLES", "EXIT STATUS"}
	if strings.Join(headings, ",") != strings.Join(want, ",") {
		t.Errorf("headings %q, want %q", headings, want)
	}
	for _, want := range []string{
		"NAME\n   demo - upload things for the test\n",
		"\n   demo uploads FILE to OSS. A long paragraph of prose is filled to eighty\n   columns",
		"\n      {host}/{path}   as written\n        indented      relative indentation kept\n",
		"   -r, --recursive            upload a directory\n",
		"   --acl ACL                  object ACL\n",
		"   --timeout DURATION         DURATION to connect; a read or write stalled for\n                              6× as long fails (default: 10s)\n",
		"   -h, --help                 show this help and exit\n",
		"EXIT STATUS\n   0    success\n", "   130  interrupted by SIGINT or SIGTERM\n\n   3 is never returned.",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("help lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "   3    partial") {
		t.Errorf("help lists exit status 3, which demo does not declare:\n%s", stdout)
	}
}

func TestGenerateMan(t *testing.T) {
	bin, _ := demo(t)
	out, stderr, code := run(t, bin, "--generate-man")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{
		".TH DEMO 1 \"2026-11-21\" \"demo v1.2.3\" \"ossx manual\"\n.SH NAME\ndemo \\- upload things for the test\n",
		".SH SYNOPSIS\n.nf\ndemo [options] FILE oss://BUCKET/KEY\n.fi\n",
		".SH DESCRIPTION\n.PP\ndemo uploads FILE to OSS.",
		"\n\\&.dotfile        C:\\epath\\ewith\\ebackslashes\n",
		".SH KEYS\n.PP\nLiteral blocks keep their lines:\n.PP\n.RS 4\n.nf\n{host}/{path}   as written\n  indented      relative indentation kept\n\\&.dotfile",
		".SH OPTIONS\n.TP\n.B \\-r, \\-\\-recursive\nupload a directory\n",
		".SS OSS connection\n", ".B \\-\\-endpoint URL\n", ".B \\-h, \\-\\-help\n",
		".SH EXAMPLES\n.PP\n.RS 4\n.nf\ndemo notes.txt oss://b/notes.txt\n",
		".SH EXIT STATUS\n.TP\n.B 0\nsuccess\n", ".B 130\ninterrupted by SIGINT or SIGTERM\n.PP\n3 is never returned.\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("man page lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "generate") {
		t.Errorf("man page mentions the generator flags:\n%s", out)
	}
	// The page renders without warnings, and within 80 columns, where a
	// man formatter exists.
	if _, err := exec.LookPath("groff"); err != nil {
		t.Skip("groff not installed: the rendered page is not checked")
	}
	file := filepath.Join(t.TempDir(), "demo.1")
	if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("groff", "-k", "-man", "-Tutf8", "-ww", "-z", file).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("groff -man: %v\n%s", err, out)
	}
	rendered, err := exec.Command("groff", "-k", "-man", "-Tutf8", "-rLL=80n", "-P-cbou", file).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(rendered), "\n") {
		if n := len([]rune(l)); n > 80 {
			t.Errorf("rendered line of %d columns: %q", n, l)
		}
	}
	if !strings.Contains(string(rendered), "--recursive") {
		t.Errorf("options do not render as ASCII dashes:\n%s", rendered)
	}
}

func TestGenerateCompletionScripts(t *testing.T) {
	bin, _ := demo(t)
	tests := []struct {
		shell string
		check []string // how to syntax-check the script, if the shell exists
		want  []string
	}{
		{"bash", []string{"bash", "-n"}, []string{"complete -o bashdefault -o default -F _demo_complete demo", "--generate-bash-completion"}},
		{"zsh", []string{"zsh", "-n"}, []string{"#compdef demo", "compdef _demo demo"}},
		{"fish", []string{"fish", "--no-execute"}, []string{"complete -c demo -s r -l recursive -d 'upload a directory'\n",
			"complete -c demo -l acl -x -a 'private public-read public-read-write' -d 'object ACL'\n",
			"complete -c demo -l config -r -F -d", "complete -c demo -s h -l help -d"}},
	}
	for _, tt := range tests {
		t.Run(tt.shell, func(t *testing.T) {
			for _, args := range [][]string{{"--generate-completion", tt.shell}, {"--generate-completion=" + tt.shell}} {
				stdout, stderr, code := run(t, bin, args...)
				if code != 0 || stderr != "" {
					t.Fatalf("%v: exit %d, stderr %q", args, code, stderr)
				}
				for _, want := range tt.want {
					if !strings.Contains(stdout, want) {
						t.Errorf("%v lacks %q:\n%s", args, want, stdout)
					}
				}
				if n := strings.Count(stdout, "-l help "); tt.shell == "fish" && n != 1 {
					t.Errorf("%v: --help completed %d times:\n%s", args, n, stdout)
				}
				if tt.shell == "fish" && strings.Contains(stdout, "`") {
					t.Errorf("%v: a placeholder's backticks reach fish's descriptions:\n%s", args, stdout)
				}
				if strings.Contains(stdout, "{{") {
					t.Errorf("%v: unexpanded placeholder:\n%s", args, stdout)
				}
				if _, err := exec.LookPath(tt.check[0]); err != nil {
					continue
				}
				script := filepath.Join(t.TempDir(), "script")
				if err := os.WriteFile(script, []byte(stdout), 0o644); err != nil {
					t.Fatal(err)
				}
				if out, err := exec.Command(tt.check[0], append(tt.check[1:], script)...).CombinedOutput(); err != nil {
					t.Errorf("%v: %s rejects the script: %v\n%s", args, tt.check[0], err, out)
				}
			}
		})
	}
}

// TestBashCompletes sources the bash script and asks it to complete, as bash
// does on TAB: the script calls the tool, which answers from its flags.
func TestBashCompletes(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	bin, dir := demo(t)
	script, _, _ := run(t, bin, "--generate-completion", "bash")
	file := filepath.Join(dir, "demo.bash")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		words []string // the command line; the last word is under the cursor
		want  string   // COMPREPLY, one per line
	}{
		{[]string{"demo", "--buc"}, "--bucket\n"},
		{[]string{"demo", "--re"}, "--recursive\n--region\n--retries\n"},
		{[]string{"demo", "--recursive", "--re"}, "--region\n--retries\n"},
		{[]string{"demo", "--zzz"}, ""},
		// After a flag that takes a value: its values, never the flag again.
		{[]string{"demo", "--acl", ""}, "private\npublic-read\npublic-read-write\n"},
		{[]string{"demo", "--acl", "public-"}, "public-read\npublic-read-write\n"},
		{[]string{"demo", "--acl=pu"}, "--acl=public-read\n--acl=public-read-write\n"},
		{[]string{"demo", "--acl"}, "--acl\n"},
		{[]string{"demo", "--bucket", ""}, ""},
	}
	for _, tt := range tests {
		words := "'" + strings.Join(tt.words, "' '") + "'"
		cmd := exec.Command("bash", "--norc", "--noprofile", "-c",
			`source "$1" && COMP_WORDS=(`+words+`) && COMP_CWORD=$((${#COMP_WORDS[@]}-1)) && _demo_complete && printf '%s\n' "${COMPREPLY[@]}" | sort | sed '/^$/d'`,
			"bash", file)
		cmd.Env = append(os.Environ(), "OSSX_COMMAND_DEMO=1", "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", tt.words, err, out)
		}
		if string(out) != tt.want {
			t.Errorf("complete %v = %q, want %q", tt.words, out, tt.want)
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	bin, _ := demo(t)
	tests := []struct {
		args []string
		want string // first line of stderr
	}{
		{[]string{"--generate-completion"}, "demo: error: --generate-completion needs a shell: bash, zsh, fish"},
		{[]string{"--generate-completion", "tcsh"}, `demo: error: unknown shell "tcsh" for --generate-completion (want bash, zsh, fish)`},
		{[]string{"--generate-completion=powershell"}, `demo: error: unknown shell "powershell" for --generate-completion (want bash, zsh, fish)`},
		{[]string{"--generate-completion", "bash", "zsh"}, "demo: error: --generate-completion takes one shell"},
		{[]string{"--generate-man", "extra"}, "demo: error: --generate-man takes no arguments"},
		// Only the first argument is a generator request; elsewhere it is an
		// unknown flag like any other.
		{[]string{"-r", "--generate-man"}, "demo: error: flag provided but not defined: --generate-man"},
	}
	for _, tt := range tests {
		stdout, stderr, code := run(t, bin, tt.args...)
		lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		if code != 2 || stdout != "" || lines[0] != tt.want {
			t.Errorf("demo %v = stdout %q, stderr %q, exit %d; want stderr %q…, exit 2", tt.args, stdout, stderr, code, tt.want)
		}
		if len(lines) != 2 || !strings.HasPrefix(lines[1], "demo: hint: ") {
			t.Errorf("demo %v: want one error and one hint line, got %q", tt.args, stderr)
		}
	}
}
