package crc64ecma

import (
	"hash/crc64"
	"math/rand/v2"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

var ref = crc64.MakeTable(crc64.ECMA)

// paths runs f once per implementation this machine has: the carry-less
// multiply kernel where the CPU has one, and the tables every CPU uses.
func paths(t testing.TB, f func(t testing.TB)) {
	have := useCLMUL
	defer func() { useCLMUL = have }()
	for _, p := range []struct {
		name string
		on   bool
	}{{"clmul", true}, {"table", false}} {
		if p.on && !have {
			t.Logf("%s: this CPU has no carry-less multiply kernel here; only the table path is tested", p.name)
			continue
		}
		useCLMUL = p.on
		if tt, ok := t.(*testing.T); ok {
			tt.Run(p.name, func(t *testing.T) { f(t) })
		} else {
			f(t)
		}
	}
}

func random(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// The check value of CRC-64/XZ (ECMA-182 reflected, init and xorout all
// ones), the catalogue name of the CRC OSS uses.
func TestCheckValue(t *testing.T) {
	paths(t, func(t testing.TB) {
		if got := Checksum([]byte("123456789")); got != 0x995dc9bbdf1939fa {
			t.Fatalf("Checksum(123456789) = %x, want 995dc9bbdf1939fa", got)
		}
		long := make([]byte, 1000)
		if got, want := Checksum(long), crc64.Checksum(long, ref); got != want {
			t.Fatalf("Checksum(1000 zero bytes) = %x, want %x", got, want)
		}
	})
}

func TestFoldConsts(t *testing.T) {
	pow := func(n int) uint64 {
		v := one
		for range n {
			v = mulx(v)
		}
		return v
	}
	for d := 1; d <= 8; d++ {
		hi, lo := pow(128*d+63), pow(128*d-1)
		if foldConsts[2*(d-1)] != hi || foldConsts[2*(d-1)+1] != lo {
			t.Errorf("foldConsts for d=%d: %#016x, %#016x; want %#016x, %#016x", d,
				foldConsts[2*(d-1)], foldConsts[2*(d-1)+1], hi, lo)
		}
	}
}

func TestRandomLengths(t *testing.T) {
	buf := random(1, 64<<10+64)
	paths(t, func(t testing.TB) {
		r := rand.New(rand.NewPCG(3, 4))
		lengths := []int{0, 1, 7, 8, 15, 16, 17, 63, 64, 127, 128, 129, 255, 256, 1023, 1024, 1025, 4096, 65535, 64 << 10}
		for range 300 {
			lengths = append(lengths, r.IntN(64<<10+1))
		}
		for _, n := range lengths {
			if got, want := Checksum(buf[:n]), crc64.Checksum(buf[:n], ref); got != want {
				t.Fatalf("Checksum(%d bytes) = %x, want %x", n, got, want)
			}
		}
	})
}

// Every start address 0–63 (the kernel loads unaligned) and lengths around
// the 128-byte fold block.
func TestAlignments(t *testing.T) {
	buf := random(5, 4096)
	paths(t, func(t testing.TB) {
		for off := range 64 {
			for _, n := range []int{0, 1, 100, 127, 128, 129, 200, 255, 256, 257, 1000, 2048, 4096 - 64} {
				p := buf[off : off+n]
				if got, want := Checksum(p), crc64.Checksum(p, ref); got != want {
					t.Fatalf("Checksum(buf[%d:%d]) = %x, want %x", off, off+n, got, want)
				}
			}
		}
	})
}

// A stream written in random pieces hashes as the whole, through Update
// and through New's hash.Hash64.
func TestStreamingSplits(t *testing.T) {
	buf := random(6, 256<<10)
	want := crc64.Checksum(buf, ref)
	paths(t, func(t testing.TB) {
		r := rand.New(rand.NewPCG(7, 8))
		for range 200 {
			h := New()
			var crc uint64
			for p := buf; len(p) > 0; {
				n := min(len(p), r.IntN(3)*r.IntN(20000)+r.IntN(300))
				crc = Update(crc, p[:n])
				h.Write(p[:n])
				p = p[n:]
			}
			if crc != want || h.Sum64() != want {
				t.Fatalf("in pieces: Update %x, New %x; want %x", crc, h.Sum64(), want)
			}
		}
	})
}

func TestHash(t *testing.T) {
	h := New()
	h.Write([]byte("123456789"))
	if got, want := string(h.Sum([]byte("x"))), "x\x99\x5d\xc9\xbb\xdf\x19\x39\xfa"; got != want {
		t.Errorf("Sum = %q, want %q", got, want)
	}
	if h.Size() != Size || h.BlockSize() != 1 {
		t.Errorf("Size, BlockSize = %d, %d", h.Size(), h.BlockSize())
	}
	h.Reset()
	if h.Sum64() != 0 {
		t.Errorf("Sum64 after Reset = %x, want 0", h.Sum64())
	}
}

func TestCombine(t *testing.T) {
	buf := random(9, 1<<20)
	r := rand.New(rand.NewPCG(10, 11))
	for i := range 500 {
		n := r.IntN(len(buf) + 1)
		if i < 10 {
			n = i
		}
		cut := r.IntN(n + 1)
		a, b := buf[:cut], buf[cut:n]
		want := crc64.Checksum(buf[:n], ref)
		if got := Combine(crc64.Checksum(a, ref), crc64.Checksum(b, ref), int64(len(b))); got != want {
			t.Fatalf("Combine over %d+%d bytes = %x, want %x", len(a), len(b), got, want)
		}
	}
	// Lengths past what a test can hash, against the SDK's matrix method.
	for _, n := range []int64{1 << 32, 5<<40 + 12345, 1<<62 + 1} {
		if got, want := Combine(0x1234567890abcdef, 42, n), oss.CRC64Combine(0x1234567890abcdef, 42, uint64(n)); got != want {
			t.Errorf("Combine(…, %d) = %x, SDK's CRC64Combine %x", n, got, want)
		}
	}
}

// go test -fuzz FuzzUpdate ./internal/crc64ecma; the seeds run in make test.
func FuzzUpdate(f *testing.F) {
	f.Add([]byte("123456789"), uint16(4))
	f.Add(random(12, 300), uint16(130))
	f.Add(random(13, 1000), uint16(0))
	f.Add(random(14, 4096+77), uint16(1000))
	f.Fuzz(func(t *testing.T, p []byte, cut uint16) {
		c := min(int(cut), len(p))
		want := crc64.Checksum(p, ref)
		paths(t, func(t testing.TB) {
			if got := Checksum(p); got != want {
				t.Fatalf("Checksum(%d bytes) = %x, want %x", len(p), got, want)
			}
			if got := Update(Checksum(p[:c]), p[c:]); got != want {
				t.Fatalf("Update after %d of %d bytes = %x, want %x", c, len(p), got, want)
			}
		})
		if got := Combine(Checksum(p[:c]), Checksum(p[c:]), int64(len(p)-c)); got != want {
			t.Fatalf("Combine at %d of %d bytes = %x, want %x", c, len(p), got, want)
		}
	})
}

func BenchmarkChecksum(b *testing.B) {
	for _, size := range []int{64, 1 << 10, 64 << 10, 1 << 20} {
		buf := random(15, size)
		name := func(s string) string { return s + "/" + byteSize(size) }
		b.Run(name("hash-crc64"), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				crc64.Checksum(buf, ref)
			}
		})
		paths(b, func(tb testing.TB) {
			path := "table"
			if useCLMUL {
				path = "clmul"
			}
			b.Run(name(path), func(b *testing.B) {
				b.SetBytes(int64(size))
				for b.Loop() {
					Checksum(buf)
				}
			})
		})
	}
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return itoa(n>>20) + "MiB"
	case n >= 1<<10:
		return itoa(n>>10) + "KiB"
	}
	return itoa(n) + "B"
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func BenchmarkCombine(b *testing.B) {
	const part = 8 << 20
	b.Run("crc64ecma", func(b *testing.B) {
		for b.Loop() {
			Combine(0x1234567890abcdef, 42, part)
		}
	})
	b.Run("sdk", func(b *testing.B) {
		for b.Loop() {
			oss.CRC64Combine(0x1234567890abcdef, 42, part)
		}
	})
}

// The multiplier path's own byte table is hash/crc64's ECMA table.
func TestByteTable(t *testing.T) {
	if got := byteTable(); *got != *ref {
		t.Fatal("byteTable differs from crc64.MakeTable(crc64.ECMA)")
	}
}
