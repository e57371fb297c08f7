package tail

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/ossx/ossx/internal/crc64ecma"
	"github.com/ossx/ossx/internal/follow"
)

// TestProves: which files known accepts as a generation's copy.
func TestProves(t *testing.T) {
	banner := strings.Repeat("banner line shared by two logs\n", 40) // 1,240 bytes
	gen := []byte(banner + strings.Repeat("a line of a.log\n", 10))
	other := []byte(banner + strings.Repeat("b.log's own line\n", 10))
	head := func(b []byte) follow.Identity {
		n := min(len(b), follow.HeadSize)
		return follow.Identity{HeadLen: int64(n), HeadCRC: crc64ecma.Checksum(b[:n])}
	}
	shipped := func(n int) known {
		return known{head: head(gen), offset: int64(n), fileCRC: crc64ecma.Checksum(gen[:n]), crcOK: true,
			heldStart: int64(n), heldCRC: crc64ecma.Checksum(gen[:n])}
	}
	withHeld := func(k known, from, to int) known {
		k.held, k.heldStart, k.heldCRC = heldOf(gen[from:to]), int64(from), crc64ecma.Checksum(gen[:from])
		return k
	}
	all := len(gen)
	for _, tc := range []struct {
		name string
		k    known
		file []byte
		want bool
	}{
		{"the copy", shipped(1250), gen, true},
		{"the copy, all shipped", shipped(all), gen, true},
		{"same head, other bytes after", shipped(1250), other, false},
		{"shorter than shipped, nothing held", shipped(all), gen[:1260], false},
		{"shorter than shipped, held bytes prove it", withHeld(shipped(all), 1240, all), gen[:1260], true},
		{"shorter than shipped, held bytes differ", withHeld(shipped(all), 1240, all), other[:1260], false},
		{"held bytes continue it", withHeld(shipped(1000), 1000, all), gen[:1250], true},
		{"nothing shipped or read: the head", known{head: head(gen), crcOK: true}, gen, true},
		{"nothing shipped or read, shorter than the head", known{head: follow.Identity{HeadLen: 1024, HeadCRC: 1}, crcOK: true}, gen[:100], false},
		{"empty", shipped(0), nil, false},
		{"version 1 state, plain: the object's CRC", known{head: head(gen), offset: 1300, objStart: 1200, objCRC: crc64ecma.Checksum(gen[1200:1300]), plain: true}, gen, true},
		{"version 1 state, plain, other bytes", known{head: head(gen), offset: 1250, objStart: 1200, objCRC: crc64ecma.Checksum(gen[1200:1250]), plain: true}, other, false},
		{"version 1 state, gzip: cannot tell", known{head: head(gen), offset: 1250, objStart: 1200}, gen, false},
	} {
		got, err := tc.k.proves(bytes.NewReader(tc.file), int64(len(tc.file)))
		if err != nil || got != tc.want {
			t.Errorf("%s: proves = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

// TestSplice: what is left of a truncated generation reads as its copy
// followed by the held bytes beyond it.
func TestSplice(t *testing.T) {
	content := []byte("0123456789abcdefghij")
	s := &splice{f: bytes.NewReader(content[:12]), fileEnd: 12, held: content[8:], heldStart: 8, end: 20}
	for _, tc := range []struct {
		off  int64
		n    int
		want string
		err  error
	}{
		{0, 20, "0123456789abcdefghij", nil},
		{10, 5, "abcde", nil},
		{12, 8, "cdefghij", nil},
		{15, 10, "fghij", io.EOF},
		{20, 1, "", io.EOF},
	} {
		p := make([]byte, tc.n)
		n, err := s.ReadAt(p, tc.off)
		if string(p[:n]) != tc.want || err != tc.err {
			t.Errorf("ReadAt(%d, %d) = %q, %v; want %q, %v", tc.n, tc.off, p[:n], err, tc.want, tc.err)
		}
	}
	held := &splice{held: content[5:], heldStart: 5, end: 20}
	p := make([]byte, 5)
	if n, _ := held.ReadAt(p, 7); string(p[:n]) != "789ab" {
		t.Errorf("held only: %q", p[:n])
	}
}

func TestPrefixCRCs(t *testing.T) {
	b := bytes.Repeat([]byte("0123456789"), 100000)
	got, err := prefixCRCs(bytes.NewReader(b), []int64{700000, 0, 5, 1000000})
	if err != nil {
		t.Fatal(err)
	}
	want := []uint64{crc64ecma.Checksum(b[:700000]), 0, crc64ecma.Checksum(b[:5]), crc64ecma.Checksum(b)}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("point %d: %x, want %x", i, got[i], want[i])
		}
	}
	if _, err := prefixCRCs(bytes.NewReader(b[:10]), []int64{11}); err == nil {
		t.Error("a point past the end: no error")
	}
}
