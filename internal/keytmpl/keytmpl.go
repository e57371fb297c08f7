// Package keytmpl expands gtail's object key templates: "{host}/{path}/{date}/{gen}"
// and the like. A template is parsed once at the edge; expanding it never fails.
// It also names gtail's own objects below a destination (OwnerDir), which
// ossget must tell apart without linking gtail's shipping code.
package keytmpl

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Default is the template used when --key is not given. It groups objects by
// host, then by the log file's path, then by day; {gen} keeps generations of
// one file (and successive objects of one generation) apart and sorts them in
// the order they were written.
const Default = "{host}/{path}/{date}/{gen}"

// Fields lists the placeholders a template may use, for --help.
const Fields = `{host}  the host name (--host, default the machine's)
{path}  the file's absolute path without the leading "/"
        (e.g. var/log/app.log)
{file}  the file's base name (e.g. app.log)
{date}  the day the object was started, YYYY-MM-DD (UTC unless
        --local-time); never a day before one already used, if the
        clock steps back
{hour}  the hour the object was started, HH (the same way)
{gen}   the file generation and object number: START-NNNN, where START
        is when gtail first saw this generation of the file
        (YYYYMMDDTHHMMSS.mmmZ) and NNNN counts the objects of that
        generation (rolls): 0000 to 9999, then a10000, b100000...,
        so that keys sort in order; required`

// Template is a parsed key template.
type Template struct {
	parts []part
	time  bool // uses {date} or {hour}: the key changes with the clock
}

type part struct {
	lit   string
	field string // empty for literal text
}

// Vars are the values a key is made of.
type Vars struct {
	Host string
	Path string    // absolute path of the file, or a name such as "stdin"
	Time time.Time // when the object was started, already in the wanted zone
	Gen  string    // generation id from NextGenID, e.g. 20261121T113642.250Z
	Seq  int       // object number within the generation
}

// Parse checks s and returns its template. {gen} is required: without it two
// generations of one file, or two objects of one generation, would share a key.
func Parse(s string) (Template, error) {
	var t Template
	rest := s
	seen := map[string]bool{}
	for rest != "" {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			t.parts = append(t.parts, part{lit: rest})
			break
		}
		if i > 0 {
			t.parts = append(t.parts, part{lit: rest[:i]})
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return Template{}, fmt.Errorf("key template %q: unclosed %q", s, rest[i:])
		}
		name := rest[i+1 : i+j]
		switch name {
		case "host", "path", "file", "gen":
		case "date", "hour":
			t.time = true
		default:
			return Template{}, fmt.Errorf("key template %q: unknown field {%s}", s, name)
		}
		seen[name] = true
		t.parts = append(t.parts, part{field: name})
		rest = rest[i+j+1:]
	}
	if !seen["gen"] {
		return Template{}, fmt.Errorf("key template %q has no {gen}: two generations of a file would write the same object", s)
	}
	if strings.HasPrefix(s, "/") {
		return Template{}, fmt.Errorf("key template %q must not start with \"/\"", s)
	}
	// A key ending in "/" reads as a folder in every OSS console and
	// listing; control characters do not survive XML listings.
	if strings.HasSuffix(s, "/") {
		return Template{}, fmt.Errorf("key template %q must not end with \"/\"", s)
	}
	if !utf8.ValidString(s) {
		return Template{}, fmt.Errorf("key template %q is not valid UTF-8", s)
	}
	if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
		return Template{}, fmt.Errorf("key template %q has a control character at byte %d", s, i)
	}
	return t, nil
}

// UsesTime reports whether the key depends on the clock ({date} or {hour}),
// so that a new object is started when the day or hour changes.
func (t Template) UsesTime() bool { return t.time }

// Expand renders the key for v.
func (t Template) Expand(v Vars) string {
	var b strings.Builder
	for _, p := range t.parts {
		switch p.field {
		case "":
			b.WriteString(p.lit)
		case "host":
			b.WriteString(clean(v.Host))
		case "path":
			b.WriteString(strings.TrimLeft(filepath.ToSlash(filepath.Clean(v.Path)), "/"))
		case "file":
			b.WriteString(filepath.Base(v.Path))
		case "date":
			b.WriteString(v.Time.Format("2006-01-02"))
		case "hour":
			b.WriteString(v.Time.Format("15"))
		case "gen":
			b.WriteString(v.Gen + "-" + SeqString(v.Seq))
		}
	}
	return b.String()
}

// SeqString is the object number n of a generation as it appears in a key,
// so that keys sort in object order however many objects there are: 0000 to
// 9999 (as gtail always wrote them), then the number of digits as a letter
// before the digits, a10000 to a99999, b100000 to b999999, and so on
// ("a" sorts after "9"). A fixed %04d put 10000 between 1000 and 1001.
func SeqString(n int) string {
	d := strconv.Itoa(n)
	if len(d) <= 4 {
		return fmt.Sprintf("%04d", n)
	}
	return string(rune('a'+len(d)-5)) + d
}

const genLayout = "20060102T150405.000Z"

// NextGenID returns the id of a generation starting at now: its start time
// in UTC to the millisecond, made later than last (the previous id issued,
// "" if none) when the clock has not moved past it, so that ids never repeat
// and sort in the order the generations were found.
func NextGenID(now time.Time, last string) string {
	id := now.UTC().Format(genLayout)
	if id > last {
		return id
	}
	t, err := time.Parse(genLayout, last)
	if err != nil {
		return id + "-" + last // last is not ours; still unique and later
	}
	return t.Add(time.Millisecond).Format(genLayout)
}

// clean keeps a host name from adding path levels.
func clean(s string) string { return strings.ReplaceAll(s, "/", "_") }
