// Command ossx is every ossx tool in one binary, busybox-style: it runs as
// the tool its name says (a symlink or hard link named gtail, ossls, …
// pointing at it) or as "ossx TOOL ARGS...". A container that wants the
// whole suite downloads one binary instead of six; each tool behaves
// exactly as its own binary does: the same flags, output, messages
// ("TOOL: error: …") and exit status.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ossx/ossx/internal/app/gtail"
	"github.com/ossx/ossx/internal/app/ossget"
	"github.com/ossx/ossx/internal/app/osslocal"
	"github.com/ossx/ossx/internal/app/ossls"
	"github.com/ossx/ossx/internal/app/ossrm"
	"github.com/ossx/ossx/internal/app/ossuploader"
	"github.com/ossx/ossx/internal/command"
	"github.com/ossx/ossx/internal/ossx"
)

// tool is one program ossx runs: its Main and its cli.App (for --help).
type tool struct {
	main func(args []string) int
	app  func() *cli.App
}

// tools are the programs ossx runs, by the name each answers to.
var tools = map[string]tool{
	"gtail":       {gtail.Main, gtail.App},
	"ossget":      {ossget.Main, ossget.App},
	"osslocal":    {osslocal.Main, osslocal.App},
	"ossls":       {ossls.Main, ossls.App},
	"ossrm":       {ossrm.Main, ossrm.App},
	"ossuploader": {ossuploader.Main, ossuploader.App},
}

func main() { os.Exit(run(os.Args)) }

// run picks the program: the tool named by args[0] (a link named like the
// tool), else the tool named by args[1] (ossx TOOL ...), which then sees
// its own name as args[0]; anything else is ossx's own command line.
func run(args []string) int {
	if len(args) == 0 { // exec with an empty argv
		args = []string{"ossx"}
	}
	if t, ok := tools[progName(args[0])]; ok {
		return t.main(args)
	}
	if len(args) > 1 {
		if t, ok := tools[args[1]]; ok {
			command.Launcher = progName(args[0])
			return t.main(args[1:])
		}
	}
	if completeTool(args) {
		return ossx.ExitOK
	}
	return command.Main(newApp(), args, os.Stderr)
}

// progName is the name a program was run under: the base name of argv[0],
// on Windows without .exe and in lower case, as the file system there
// ignores case.
func progName(arg0 string) string {
	name := filepath.Base(arg0)
	if runtime.GOOS == "windows" {
		name = strings.TrimSuffix(strings.ToLower(name), ".exe")
	}
	return name
}

// names are the tools' names, sorted.
func names() []string {
	out := make([]string, 0, len(tools))
	for n := range tools {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// completeTool answers the bash and zsh completion scripts (internal/command,
// --generate-completion) for the word after "ossx": the scripts run
// "ossx CUR --generate-bash-completion" and offer what it prints. Once a
// tool is named, run hands the request to the tool, which completes its own
// flags.
func completeTool(args []string) bool {
	if len(args) != 3 || args[2] != "--generate-bash-completion" || strings.HasPrefix(args[1], "-") {
		return false
	}
	for _, n := range names() {
		if strings.HasPrefix(n, args[1]) {
			fmt.Println(n)
		}
	}
	return true
}

const usageText = `ossx TOOL [flags] [ARGS...]
TOOL [flags] [ARGS...]
ossx --list`

const description = `Runs any ossx tool from one binary: as ossx TOOL ..., or under the tool's
own name, through a symlink or hard link named like the tool that points at
ossx (install.sh --multi-call makes them). Either way the tool behaves
exactly as its own binary does: the same flags, output, messages
("TOOL: error: ...") and exit status; TOOL --help is its manual, and
TOOL --generate-man and --generate-completion work as with the tool's binary.
Under any name that is not a tool's, ossx is ossx.`

const helpTail = `EXAMPLES
   List a bucket:
       ossx ossls oss://my-bucket/

   Make every tool a command of its own (what install.sh --multi-call does):
       for t in $(ossx --list); do ln -sf ossx /usr/local/bin/$t; done
       gtail --version

   In a Dockerfile, one download for the whole suite:
       COPY ossx /usr/local/bin/ossx
       RUN for t in $(ossx --list); do ln -s ossx /usr/local/bin/$t; done

EXIT STATUS
   Run as a tool, ossx exits with the tool's status (see TOOL --help).`

func newApp() *cli.App {
	var list strings.Builder
	for _, n := range names() {
		fmt.Fprintf(&list, "    %-12s %s\n", n, tools[n].app().Usage)
	}
	app := command.NewApp("ossx", "every ossx tool in one binary", usageText,
		description+"\n\nTOOLS\n"+list.String()+"\n"+helpTail)
	command.SetExitCodes(app, ossx.ExitOK, ossx.ExitUsage)
	app.Flags = []cli.Flag{
		&cli.BoolFlag{Name: "list", Usage: "print the name of every tool, one a line", DisableDefaultText: true},
	}
	app.Action = func(c *cli.Context) error {
		args := c.Args().Slice()
		switch {
		case c.Bool("list") && len(args) == 0:
			_, err := fmt.Fprintln(app.Writer, strings.Join(names(), "\n"))
			return err
		case c.Bool("list"):
			return &ossx.UsageError{Err: fmt.Errorf("--list takes no arguments, got %q", args[0]), Hint: "ossx --list"}
		case len(args) == 0:
			return &ossx.UsageError{Err: fmt.Errorf("no tool given"), Hint: toolsHint()}
		case tools[args[0]].main != nil:
			// Only "ossx -- TOOL" gets here: run dispatches a tool first.
			return &ossx.UsageError{Err: fmt.Errorf("%s after options", args[0]), Hint: "the tool comes first: ossx " + args[0] + " [flags] [ARGS...]"}
		}
		return &ossx.UsageError{Err: fmt.Errorf("unknown tool %q", args[0]), Hint: toolsHint()}
	}
	return app
}

func toolsHint() string {
	return "ossx TOOL [ARGS...], TOOL one of " + strings.Join(names(), ", ") + "; run 'ossx --help' for more"
}
