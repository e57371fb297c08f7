//go:build unix

package follow

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBatch(t *testing.T) {
	for _, tc := range []struct {
		name   string
		data   string
		offset int64
		max    int
		all    bool
		want   string
	}{
		{"complete lines only", "a\nb\npart", 0, 100, false, "a\nb\n"},
		{"partial allowed", "a\nb\npart", 0, 100, true, "a\nb\npart"},
		{"from offset", "a\nb\npart", 2, 100, false, "b\n"},
		{"nothing complete", "partial", 0, 100, false, ""},
		{"max cuts at last newline", "aa\nbb\ncc\n", 0, 7, false, "aa\nbb\n"},
		{"one line longer than max", "abcdefgh\n", 0, 4, false, "abcd"},
		{"max with all keeps all of max", "aa\nbb\ncc\n", 0, 7, true, "aa\nbb\nc"},
		{"CRLF and NUL kept", "x\r\n\x00\xff\n", 0, 100, false, "x\r\n\x00\xff\n"},
		{"at end", "a\n", 2, 100, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := strings.NewReader(tc.data)
			got, err := Batch(r, tc.offset, int64(len(tc.data)), tc.max, tc.all, nil)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("Batch = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRecheck(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	write := func(s string) *os.File {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	f := write("first line\n")
	st, _ := f.Stat()
	id, err := Fingerprint(f, st)
	if err != nil {
		t.Fatal(err)
	}
	if id.HeadLen != 11 {
		t.Fatalf("HeadLen %d", id.HeadLen)
	}
	// Grown: same, and the fingerprint extends up to HeadSize.
	big := "first line\n" + strings.Repeat("x", 2*HeadSize)
	f = write(big)
	if c, err := id.Recheck(f, int64(len(big)), 11); err != nil || c != Same {
		t.Fatalf("grown: %v %v", c, err)
	}
	if id.HeadLen != HeadSize {
		t.Fatalf("fingerprint not extended: %d", id.HeadLen)
	}
	// Shrunk below the offset: truncated.
	if c, _ := id.Recheck(f, 5, 11); c != Truncated {
		t.Fatal("shrink not noticed")
	}
	// Truncated and regrown past the old offset with other bytes: the
	// head tells.
	other := "other line\n" + strings.Repeat("y", 3*HeadSize)
	f = write(other)
	if c, _ := id.Recheck(f, int64(len(other)), 11); c != Truncated {
		t.Fatal("regrown file not noticed")
	}
	if ok, _ := id.HeadMatches(bytes.NewReader([]byte(big))); !ok {
		t.Fatal("HeadMatches on the same bytes")
	}
}
