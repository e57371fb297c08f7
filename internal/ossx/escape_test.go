package ossx

import "testing"

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
