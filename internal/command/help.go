package command

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/ossx/ossx/internal/ossx"
)

// Every tool's --help and man page come from the same manual, built from
// its cli.App, so that all tools share one layout:
//
//	NAME         "TOOL - " + app.Usage
//	SYNOPSIS     app.UsageText, one form a line
//	DESCRIPTION  app.Description up to its first heading
//	...          further sections of app.Description (OUTPUT, KEYS, ...)
//	OPTIONS      app.Flags, grouped by Category, then --help and --version
//	EXAMPLES, ENVIRONMENT, FILES   those sections of app.Description
//	EXIT STATUS  the codes the tool returns (SetExitCodes), then the text
//	             of app.Description's EXIT STATUS section, if any
//	NOTES, SEE ALSO
//
// In app.Description a heading is a line at the margin in capitals (a
// trailing colon is dropped). Text indented by at most 3 spaces is prose,
// refilled to 80 columns; text indented by 4 or more is a literal block
// (examples, tables), printed as written. A new tool needs nothing more
// than NewApp's arguments and its flags.

// width is the column limit of --help and of man pages rendered on an
// 80-column terminal.
const width = 80

// Sections that follow OPTIONS, in this order; any other section goes
// between DESCRIPTION and OPTIONS in the order the description has it.
var lateSections = []string{"EXAMPLES", "ENVIRONMENT", "FILES", "EXIT STATUS", "NOTES", "SEE ALSO"}

type manual struct {
	name, usage string
	synopsis    []string
	sections    []*section
}

type section struct {
	title   string
	blocks  []block
	options []optionGroup // OPTIONS
	exit    []exitCode    // EXIT STATUS, before its blocks
}

// block is a prose paragraph (its words, to be filled) or a literal block
// (its lines, indentation relative to the block kept).
type block struct {
	literal bool
	lines   []string
}

type optionGroup struct {
	title   string
	options []option
}

type option struct {
	names, usage string // "-j, --jobs N", "N transfers ... (default: 4)"
	flag         cli.Flag
}

type exitCode struct {
	code int
	text string
}

func newManual(app *cli.App) *manual {
	m := &manual{name: app.Name, usage: app.Usage}
	for _, l := range strings.Split(strings.TrimSpace(app.UsageText), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			m.synopsis = append(m.synopsis, l)
		}
	}
	if len(m.synopsis) == 0 {
		m.synopsis = []string{app.Name + " [options]"}
	}
	parsed := parseSections(app.Description)
	var early, late []*section
	byTitle := map[string]*section{}
	for _, s := range parsed {
		byTitle[s.title] = s
		if !slices.Contains(lateSections, s.title) {
			early = append(early, s)
		}
	}
	for _, t := range lateSections {
		s := byTitle[t]
		if t == "EXIT STATUS" {
			if s == nil {
				s = &section{title: t}
			}
			s.exit = exitCodes(app)
		}
		if s != nil {
			late = append(late, s)
		}
	}
	opts := &section{title: "OPTIONS", options: optionGroups(app)}
	m.sections = append(append(early, opts), late...)
	return m
}

// parseSections splits a description into sections and blocks.
func parseSections(desc string) []*section {
	cur := &section{title: "DESCRIPTION"}
	secs := []*section{cur}
	var para []string
	flush := func() {
		// A paragraph is runs of prose and literal lines.
		for len(para) > 0 {
			lit := indentOf(para[0]) >= 4
			n := 1
			for n < len(para) && (indentOf(para[n]) >= 4) == lit {
				n++
			}
			b := block{literal: lit, lines: slices.Clone(para[:n])}
			if lit {
				dedent(b.lines)
			} else {
				for i := range b.lines {
					b.lines[i] = strings.TrimSpace(b.lines[i])
				}
			}
			cur.blocks = append(cur.blocks, b)
			para = para[n:]
		}
	}
	for _, line := range strings.Split(strings.TrimRight(desc, "\n "), "\n") {
		line = strings.TrimRight(line, " ")
		if h, ok := manHeading(line); ok {
			flush()
			cur = &section{title: h}
			secs = append(secs, cur)
			continue
		}
		if line == "" {
			flush()
			continue
		}
		para = append(para, line)
	}
	flush()
	if len(secs[0].blocks) == 0 {
		secs = secs[1:]
	}
	return secs
}

func indentOf(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }

func dedent(lines []string) {
	m := -1
	for _, l := range lines {
		if i := indentOf(l); m < 0 || i < m {
			m = i
		}
	}
	for i := range lines {
		lines[i] = lines[i][m:]
	}
}

// manHeading reports whether line is a section heading: at the margin,
// capitals, with or without a trailing colon.
func manHeading(line string) (string, bool) {
	h := strings.TrimSuffix(line, ":")
	if h == "" || strings.TrimSpace(h) != h || strings.ToUpper(h) != h || !strings.ContainsAny(h, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		return "", false
	}
	return h, true
}

// optionGroups lists app's visible flags by category (uncategorized first),
// then --help and --version.
func optionGroups(app *cli.App) []optionGroup {
	var groups []optionGroup
	index := map[string]int{}
	add := func(cat string, o option) {
		i, ok := index[cat]
		if !ok {
			i = len(groups)
			index[cat] = i
			groups = append(groups, optionGroup{title: cat})
		}
		groups[i].options = append(groups[i].options, o)
	}
	for _, f := range app.Flags {
		if vf, ok := f.(cli.VisibleFlag); ok && !vf.IsVisible() {
			continue
		}
		cat := ""
		if cf, ok := f.(cli.CategorizableFlag); ok {
			cat = cf.GetCategory()
		}
		add(cat, describe(f))
	}
	add("Help", option{names: "-h, --help", usage: "show this help and exit"})
	add("Help", option{names: "--version", usage: "print the version and exit"})
	// Uncategorized flags first, as urfave/cli lists them.
	if i, ok := index[""]; ok && i > 0 {
		g := groups[i]
		groups = slices.Insert(slices.Delete(groups, i, i+1), 0, g)
	}
	return groups
}

// describe renders one flag: its names, short ones first, with the
// placeholder of its value (the backquoted word of its usage), and its
// usage with the default and environment variables.
func describe(f cli.Flag) option {
	o := option{flag: f}
	usage := ""
	df, _ := f.(cli.DocGenerationFlag)
	if df != nil {
		usage = df.GetUsage()
	}
	placeholder, usage := unquoteUsage(usage)
	names := strings.Join(optionNames(f), ", ")
	var notes []string
	if takesValue(f) {
		if placeholder == "" {
			placeholder = "VALUE"
		}
		names += " " + placeholder
		if d := defaultText(df); d != "" {
			notes = append(notes, "default: "+d)
		}
	}
	if df != nil {
		if env := df.GetEnvVars(); len(env) > 0 {
			notes = append(notes, "env: $"+strings.Join(env, ", $"))
		}
	}
	if len(notes) > 0 {
		usage += " (" + strings.Join(notes, "; ") + ")"
	}
	o.names, o.usage = names, usage
	return o
}

// unquoteUsage returns the first backquoted word of a usage text (the
// placeholder of the flag's value) and the text without the backquotes,
// as urfave/cli reads it.
func unquoteUsage(usage string) (placeholder, text string) {
	before, rest, ok := strings.Cut(usage, "`")
	if !ok {
		return "", usage
	}
	name, after, ok := strings.Cut(rest, "`")
	if !ok {
		return "", usage
	}
	return name, before + name + after
}

func takesValue(f cli.Flag) bool {
	df, ok := f.(cli.DocGenerationFlag)
	return ok && df.TakesValue()
}

func defaultText(df cli.DocGenerationFlag) string {
	d := df.GetDefaultText()
	if u, err := strconv.Unquote(d); err == nil {
		d = u
	}
	return d
}

// SetExitCodes declares the exit codes app can return, for the EXIT STATUS
// section of its help; without it a tool returns 0, 1, 2 and 130.
func SetExitCodes(app *cli.App, codes ...int) {
	if app.Metadata == nil {
		app.Metadata = map[string]any{}
	}
	app.Metadata[exitCodesKey] = codes
}

const exitCodesKey = "ossx.exitcodes"

// exitCodes returns the lines of ossx.ExitCodesHelp (the one table of what
// each code means) for the codes app returns.
func exitCodes(app *cli.App) []exitCode {
	want, ok := app.Metadata[exitCodesKey].([]int)
	if !ok {
		want = []int{ossx.ExitOK, ossx.ExitFailed, ossx.ExitUsage, ossx.ExitInterrupted}
	}
	var out []exitCode
	for _, line := range strings.Split(ossx.ExitCodesHelp, "\n")[1:] {
		code, text, _ := strings.Cut(strings.TrimSpace(line), " ")
		n, err := strconv.Atoi(code)
		if err == nil && slices.Contains(want, n) {
			out = append(out, exitCode{n, strings.TrimSpace(text)})
		}
	}
	return out
}

// writeHelp writes app's --help.
func writeHelp(w io.Writer, app *cli.App) error {
	_, err := io.WriteString(w, helpText(newManual(app)))
	return err
}

// helpText lays the manual out for a terminal: headings at the margin,
// text indented 3, at most 80 columns except for literal lines written
// longer.
func helpText(m *manual) string {
	var b strings.Builder
	fmt.Fprintf(&b, "NAME\n%s\n", fill(m.name+" - "+m.usage, 3, 3))
	b.WriteString("\nSYNOPSIS\n")
	for _, l := range m.synopsis {
		b.WriteString("   " + l + "\n")
	}
	for _, s := range m.sections {
		b.WriteString("\n" + s.title + "\n")
		for i, g := range s.options {
			if i > 0 {
				b.WriteString("\n")
			}
			if g.title != "" {
				b.WriteString("   " + g.title + ":\n")
			}
			for _, o := range g.options {
				b.WriteString(optionText(o))
			}
		}
		for _, e := range s.exit {
			fmt.Fprintf(&b, "%s\n", fill(e.text, 3, 8, fmt.Sprintf("   %-4d ", e.code)))
		}
		for i, bl := range s.blocks {
			if i > 0 || len(s.exit) > 0 {
				b.WriteString("\n")
			}
			if bl.literal {
				for _, l := range bl.lines {
					b.WriteString(strings.TrimRight("      "+l, " ") + "\n")
				}
				continue
			}
			b.WriteString(fill(strings.Join(bl.lines, " "), 3, 3) + "\n")
		}
	}
	return b.String()
}

// optionText is one option: names at 3, usage at column 30 on the same
// line where the names leave room, else on the next.
func optionText(o option) string {
	const col = 30
	first := "   " + o.names
	if n := cols(first); n <= col-2 {
		return fill(o.usage, 3, col, first+strings.Repeat(" ", col-n)) + "\n"
	}
	return first + "\n" + fill(o.usage, col, col) + "\n"
}

// cols is the width of s on a terminal (the help texts have no wide
// characters).
func cols(s string) int { return utf8.RuneCountInString(s) }

// fill wraps text to width, the first line indented by first spaces (or
// starting with lead[0] when given, which is that long), the others by rest.
func fill(text string, first, rest int, lead ...string) string {
	var b strings.Builder
	line := strings.Repeat(" ", first)
	if len(lead) > 0 {
		line = lead[0]
	}
	empty := true
	for _, w := range strings.Fields(text) {
		if !empty && cols(line)+1+cols(w) > width {
			b.WriteString(line + "\n")
			line, empty = strings.Repeat(" ", rest), true
		}
		if !empty {
			line += " "
		}
		line += w
		empty = false
	}
	b.WriteString(strings.TrimRight(line, " "))
	return b.String()
}
