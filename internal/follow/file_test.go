//go:build unix

package follow

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ossx/ossx/internal/crc64ecma"
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

// TestHeadMatchesWholeFile: a fingerprint may cover far more than HeadSize
// (a finished generation is known by all its bytes); it is read in pieces,
// and a file that is shorter, or differs anywhere in it, does not match.
func TestHeadMatchesWholeFile(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 100<<10) // 1.6 MB, several pieces
	id := Identity{HeadLen: int64(len(data)), HeadCRC: crc64ecma.Checksum(data)}
	if ok, err := id.HeadMatches(bytes.NewReader(data)); err != nil || !ok {
		t.Fatalf("the same bytes: %v %v", ok, err)
	}
	if ok, _ := id.HeadMatches(bytes.NewReader(append(data, "grown\n"...))); !ok {
		t.Error("the same bytes, grown since: no match")
	}
	if ok, _ := id.HeadMatches(bytes.NewReader(data[:len(data)-1])); ok {
		t.Error("a byte shorter: matched")
	}
	other := append([]byte(nil), data...)
	other[len(other)-100] = 'x'
	if ok, _ := id.HeadMatches(bytes.NewReader(other)); ok {
		t.Error("one byte different near the end: matched")
	}
}

// TestBorn: a file's birth time, where the file system records it, is when
// it was created, and a file created later was born later.
func TestBorn(t *testing.T) {
	dir := t.TempDir()
	open := func(name string) *os.File {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	a := open("a")
	born, ok := Born(a)
	if !ok {
		t.Skip("the file system here records no birth time")
	}
	if d := time.Since(born); d < 0 || d > time.Hour {
		t.Fatalf("born %v, %v ago", born, d)
	}
	// Coarse clocks may give both the same time: wait until they cannot.
	for b, _ := Born(a); !time.Now().After(b.Add(50 * time.Millisecond)); {
		time.Sleep(10 * time.Millisecond)
	}
	if later, _ := Born(open("b")); !later.After(born) {
		t.Errorf("b born %v, not after a (%v)", later, born)
	}
}
