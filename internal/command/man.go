package command

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ossx/ossx/internal/version"
)

// writeMan writes app's man page (section 1): the manual --help prints, in
// roff. Prose becomes filled paragraphs, literal blocks stay as written
// (.nf), options are tagged paragraphs (.TP); .TH carries the tool's
// version and the date of its commit.
func writeMan(w io.Writer, app *cli.App) error {
	m := newManual(app)
	var b strings.Builder
	ver, _, date := version.Info()
	if len(date) >= 10 {
		date = date[:10]
	} else {
		date = ""
	}
	fmt.Fprintf(&b, ".TH %s 1 %s %s \"ossx manual\"\n", roffText(strings.ToUpper(m.name)),
		roffQuote(date), roffQuote(m.name+" "+ver))
	fmt.Fprintf(&b, ".SH NAME\n%s \\- %s\n", roffText(m.name), roffText(m.usage))
	b.WriteString(".SH SYNOPSIS\n.nf\n")
	for _, l := range m.synopsis {
		b.WriteString(roffLine(l) + "\n")
	}
	b.WriteString(".fi\n")
	for _, s := range m.sections {
		fmt.Fprintf(&b, ".SH %s\n", roffText(s.title))
		for _, g := range s.options {
			if g.title != "" {
				fmt.Fprintf(&b, ".SS %s\n", roffText(g.title))
			}
			for _, o := range g.options {
				fmt.Fprintf(&b, ".TP\n.B %s\n%s\n", roffText(o.names), roffFill(o.usage))
			}
		}
		if len(s.exit) > 0 {
			for _, e := range s.exit {
				fmt.Fprintf(&b, ".TP\n.B %d\n%s\n", e.code, roffFill(e.text))
			}
		}
		for _, bl := range s.blocks {
			if bl.literal {
				b.WriteString(".PP\n.RS 4\n.nf\n")
				for _, l := range bl.lines {
					b.WriteString(roffLine(l) + "\n")
				}
				b.WriteString(".fi\n.RE\n")
				continue
			}
			b.WriteString(".PP\n" + roffFill(strings.Join(bl.lines, " ")) + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// roffText escapes text for roff: a backslash is \e, and a hyphen is \-,
// which renders as the ASCII "-" that options need to work when copied
// (a plain "-" may become a typographic hyphen).
func roffText(s string) string {
	return strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
}

// roffLine is roffText for a line of its own: one starting with "." or "'"
// would be a request.
func roffLine(s string) string {
	s = roffText(s)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// roffFill is a paragraph's text, broken into source lines of at most 80
// columns (the formatter fills them again).
func roffFill(text string) string {
	var lines []string
	for _, l := range strings.Split(fill(text, 0, 0), "\n") {
		lines = append(lines, roffLine(l))
	}
	return strings.Join(lines, "\n")
}

// roffQuote is s as one argument of a request (.TH's date and source).
func roffQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\e`, `"`, `""`).Replace(s) + `"`
}
