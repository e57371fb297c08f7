package ossx

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// The one escaping rule of every ossx tool's plain (non-JSON) output and
// messages: a control character — C0 (U+0000–U+001F), DEL (U+007F) or C1
// (U+0080–U+009F) — is written \xNN; everything else, backslashes
// included, is written as it is. A key holding a newline then cannot split
// one URL over two lines, nor one holding ESC[2J clear a terminal. The
// printed form of such a key is not the key: --json gives keys exactly.
// docs/ossls.md and docs/ossuploader.md document the rule.

// EscapeControl returns s with its control characters escaped.
func EscapeControl(s string) string {
	if !HasControl(s) {
		return s
	}
	return string(AppendEscaped(make([]byte, 0, len(s)+8), s))
}

// AppendEscaped appends s to b with its control characters escaped.
func AppendEscaped(b []byte, s string) []byte {
	if !HasControl(s) {
		return append(b, s...)
	}
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if isControl(r) && !(r == utf8.RuneError && size == 1) {
			b = append(b, '\\', 'x', hex[r>>4], hex[r&0xf])
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

func isControl(r rune) bool { return r < 0x20 || r >= 0x7f && r <= 0x9f }

// HasControl reports whether s holds a control character. C0 and DEL are
// single bytes, and C1 is encoded 0xC2 0x80–0x9F, so a byte scan does.
func HasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || c == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f {
			return true
		}
	}
	return false
}

// KeyWarning says why a key that OSS accepts surprises the file-system
// tools that later read it back (a "." or ".." segment, an empty segment
// from "//"), or "" when it does not.
func KeyWarning(k string) string {
	for _, seg := range strings.Split(k, "/") {
		switch seg {
		case ".", "..":
			return `it has a "` + seg + `" segment, which tools that save objects as files will resolve`
		}
	}
	if strings.Contains(k, "//") {
		return `it has an empty segment ("//"), which tools that save objects as files will merge`
	}
	return ""
}

// AppendJSON appends the JSON text js to b with DEL and the C1 control
// characters written \u007f … \u009f, the rule of every tool's --json
// output. encoding/json escapes C0 but writes these as they are, and the
// \xNN of EscapeControl is not JSON; escaped so, a line still decodes to
// the exact key, and no key can send a terminal a control sequence. JSON
// holds non-ASCII bytes only inside strings, so the rewrite is safe
// anywhere in js.
func AppendJSON(b, js []byte) []byte {
	if bytes.IndexByte(js, 0x7f) < 0 && bytes.IndexByte(js, 0xc2) < 0 {
		return append(b, js...)
	}
	const hex = "0123456789abcdef"
	for i := 0; i < len(js); i++ {
		c := js[i]
		switch {
		case c == 0x7f:
			b = append(b, `\u007f`...)
		case c == 0xc2 && i+1 < len(js) && js[i+1] >= 0x80 && js[i+1] <= 0x9f:
			i++
			b = append(b, '\\', 'u', '0', '0', hex[js[i]>>4], hex[js[i]&0xf])
		default:
			b = append(b, c)
		}
	}
	return b
}
