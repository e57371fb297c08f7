package ossx

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestEscapeControl(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain/key.txt", "plain/key.txt"},
		{"a\nb", `a\x0ab`},
		{"x\noss://bkt/spoof", `x\x0aoss://bkt/spoof`},
		{"\x1b[2Jclear", `\x1b[2Jclear`},
		{"tab\there\r", `tab\x09here\x0d`},
		{"del\x7f", `del\x7f`},
		{"c1\u0085\u009b", `c1\x85\x9b`},
		{"ünïcödé 日本 \\x0a", "ünïcödé 日本 \\x0a"}, // not control; a backslash stays
		{"bad\xffutf8", "bad\xffutf8"},
	} {
		if got := EscapeControl(tc.in); got != tc.want {
			t.Errorf("EscapeControl(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := string(AppendEscaped([]byte("p:"), tc.in)); got != "p:"+tc.want {
			t.Errorf("AppendEscaped(%q) = %q", tc.in, got)
		}
	}
}

func TestKeyWarning(t *testing.T) {
	for k, warn := range map[string]bool{
		"a/b.txt": false, "dir/": false, "a..b/c.d": false, ".hidden": false,
		"../b.txt": true, "./b.txt": true, "a//b.txt": true, "a/./b": true, "a/..": true,
	} {
		if got := KeyWarning(k) != ""; got != warn {
			t.Errorf("KeyWarning(%q) = %q", k, KeyWarning(k))
		}
	}
}

// AppendJSON leaves valid JSON that decodes to the same string, with no
// DEL or C1 byte left in it.
func TestAppendJSON(t *testing.T) {
	for _, s := range []string{"plain", "a&b<c>", "del\x7f", "c1\u0085\u009b", "é\u00a0日本", "nl\n", "bad\xc2"} {
		js, _ := json.Marshal(s)
		got := AppendJSON([]byte("p:"), js)
		if !bytes.HasPrefix(got, []byte("p:")) {
			t.Fatalf("AppendJSON(%s) = %s", js, got)
		}
		got = got[2:]
		if HasControl(string(got)) {
			t.Errorf("AppendJSON(%s) = %s: a control character left", js, got)
		}
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("AppendJSON(%s) = %s: %v", js, got, err)
		}
		if want := strings.ToValidUTF8(s, "\uFFFD"); back != want {
			t.Errorf("AppendJSON(%s) decodes to %q, want %q", js, back, want)
		}
	}
}
