package listing

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ossx/ossx/internal/ossx"
)

var when = time.Date(2024, 3, 9, 7, 5, 3, 250e6, time.FixedZone("CST", 8*3600))

var samples = []Entry{
	{Kind: Prefix, Bucket: "b", Key: "a b/"},
	{Kind: Object, Bucket: "b", Key: "a b/é+%.txt", Size: 1536, ETag: "5EB63BBBE01EEED093CB22BB8F5ACDC3", Time: when, StorageClass: "Standard", Type: "Normal"},
	{Kind: Upload, Bucket: "b", Key: "big.iso", UploadID: "0004B9894A22E5B1888A1E29F823****", Time: when},
	{Kind: Bucket, Bucket: "logs", Region: "cn-hangzhou", Time: when},
}

func printAll(t *testing.T, f Format, human bool, summary Kind) string {
	t.Helper()
	var buf bytes.Buffer
	p := NewPrinter(&buf, f, human)
	for i := range samples {
		if err := p.Print(&samples[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Summary(summary); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestFormatPlain(t *testing.T) {
	want := `oss://b/a b/
oss://b/a b/é+%.txt
0004B9894A22E5B1888A1E29F823**** oss://b/big.iso
oss://logs
total: 1 object, 1536 bytes, 1 directory
`
	if got := printAll(t, Plain, false, Object); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestFormatLong(t *testing.T) {
	want := "" +
		strings.Repeat(" ", 33) + "DIR" + strings.Repeat(" ", 31) + "oss://b/a b/\n" +
		"2024-03-08T23:05:03Z            1536  Standard         Normal      oss://b/a b/é+%.txt\n" +
		"2024-03-08T23:05:03Z  0004B9894A22E5B1888A1E29F823****  oss://b/big.iso\n" +
		"2024-03-08T23:05:03Z  cn-hangzhou      oss://logs\n" +
		"total: 1 object, 1536 bytes, 1 directory\n"
	if got := printAll(t, Long, false, Object); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// The URL starts in the same column for objects and directories.
	lines := strings.Split(want, "\n")
	if strings.Index(lines[0], "oss://") != strings.Index(lines[1], "oss://") {
		t.Error("directory and object URLs are not aligned")
	}
}

func TestFormatLongHuman(t *testing.T) {
	got := printAll(t, Long, true, Object)
	if !strings.Contains(got, "         1.5 KiB  Standard") {
		t.Errorf("no human size column in\n%s", got)
	}
	if !strings.HasSuffix(got, "total: 1 object, 1.5 KiB, 1 directory\n") {
		t.Errorf("no human summary in\n%s", got)
	}
}

func TestFormatJSON(t *testing.T) {
	want := `{"prefix":"a b/"}
{"key":"a b/é+%.txt","size":1536,"etag":"5EB63BBBE01EEED093CB22BB8F5ACDC3","last_modified":"2024-03-08T23:05:03.250Z","storage_class":"Standard","type":"Normal"}
{"key":"big.iso","upload_id":"0004B9894A22E5B1888A1E29F823****","initiated":"2024-03-08T23:05:03.250Z"}
{"name":"logs","region":"cn-hangzhou","creation_date":"2024-03-08T23:05:03.250Z"}
{"summary":{"objects":1,"bytes":1536,"prefixes":1}}
`
	got := printAll(t, JSON, false, Object)
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for _, line := range strings.Split(strings.TrimSpace(got), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Errorf("line %s: %v", line, err)
		}
	}
}

func TestFormatSummaryKinds(t *testing.T) {
	for _, tc := range []struct {
		f    Format
		of   Kind
		want string
	}{
		{Plain, Upload, "total: 1 upload\n"},
		{Plain, Bucket, "total: 1 bucket\n"},
		{JSON, Upload, `{"summary":{"uploads":1}}` + "\n"},
		{JSON, Bucket, `{"summary":{"buckets":1}}` + "\n"},
	} {
		got := printAll(t, tc.f, false, tc.of)
		if !strings.HasSuffix(got, tc.want) {
			t.Errorf("format %d summary of %d: last line of\n%s\nwant %q", tc.f, tc.of, got, tc.want)
		}
	}
}

// Keys are printed as they are in Plain and Long but for control
// characters, escaped \xNN (issue 13.9: a newline would print a second,
// fake line; ESC[2J would clear the screen); JSON gives them exactly.
func TestFormatKeysVerbatim(t *testing.T) {
	keys := map[string]string{
		`back\slash`: `back\slash`, `quote"d`: `quote"d`, "<html>&": "<html>&", "emoji 😀": "emoji 😀", "trailing/": "trailing/",
		"a\tb": `a\x09b`, "x\noss://b/spoof": `x\x0aoss://b/spoof`, "\x1b[2Jcls": `\x1b[2Jcls`, "c1\u009b": `c1\x9b`, "del\x7f": `del\x7f`,
	}
	for k, printed := range keys {
		e := Entry{Kind: Object, Bucket: "b", Key: k}
		var plain, js bytes.Buffer
		pp, pj := NewPrinter(&plain, Plain, false), NewPrinter(&js, JSON, false)
		pp.Print(&e)
		pj.Print(&e)
		pp.Flush()
		pj.Flush()
		if plain.String() != "oss://b/"+printed+"\n" {
			t.Errorf("plain %q: got %q", k, plain.String())
		}
		var o struct{ Key string }
		if err := json.Unmarshal(js.Bytes(), &o); err != nil || o.Key != k {
			t.Errorf("json %q: got %q (%v)", k, js.String(), err)
		}
		// DEL and C1 too are JSON escapes, as C0 are: the line is exact
		// and drives no terminal.
		if ossx.HasControl(strings.TrimSuffix(js.String(), "\n")) {
			t.Errorf("json %q: a control character in %q", k, js.String())
		}
	}
}

func TestAppendHuman(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1, "1 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{1024*1024 - 1, "1.0 MiB"},
		{10 * 1024 * 1024, "10.0 MiB"},
		{5 << 40, "5.0 TiB"},
		{48_800 << 30, "47.7 TiB"},
		{1 << 62, "4.0 EiB"},
	} {
		if got := string(AppendHuman(nil, tc.n)); got != tc.want {
			t.Errorf("AppendHuman(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func page(n int) []Entry {
	entries := make([]Entry, n)
	for i := range entries {
		entries[i] = Entry{
			Kind: Object, Bucket: "logs-bucket", Key: fmt.Sprintf("app/2024/03/09/host-%04d/part-%06d.log.gz", i%50, i),
			Size: int64(i) * 7919, ETag: "5EB63BBBE01EEED093CB22BB8F5ACDC3", Time: when,
			StorageClass: "Standard", Type: "Normal",
		}
	}
	return entries
}

// BenchmarkFormat measures formatting one full page (1000 entries) into a
// buffered writer, per format; b.N counts pages.
func BenchmarkFormat(b *testing.B) {
	entries := page(MaxPage)
	for _, bc := range []struct {
		name   string
		format Format
		human  bool
	}{
		{"Plain", Plain, false},
		{"Long", Long, false},
		{"LongHuman", Long, true},
		{"JSON", JSON, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := NewPrinter(discard{}, bc.format, bc.human)
			b.ReportAllocs()
			for b.Loop() {
				for i := range entries {
					p.Print(&entries[i])
				}
				p.Flush()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/MaxPage, "ns/entry")
		})
	}
}
