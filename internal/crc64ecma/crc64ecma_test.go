package crc64ecma

import (
	"hash/crc64"
	"math/rand/v2"
	"testing"
)

func TestMatchesHashCRC64(t *testing.T) {
	ref := crc64.MakeTable(crc64.ECMA)
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 64<<10)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	for _, n := range []int{0, 1, 7, 8, 15, 16, 63, 64, 255, 4096, 65535, 64 << 10} {
		want := crc64.Checksum(buf[:n], ref)
		if got := Checksum(buf[:n]); got != want {
			t.Errorf("Checksum(%d bytes) = %x, want %x", n, got, want)
		}
		h := New()
		h.Write(buf[:n/3])
		h.Write(buf[n/3 : n])
		if got := h.Sum64(); got != want {
			t.Errorf("New().Write in two pieces (%d bytes) = %x, want %x", n, got, want)
		}
		if got := Update(Checksum(buf[:n/2]), buf[n/2:n]); got != want {
			t.Errorf("Update (%d bytes) = %x, want %x", n, got, want)
		}
		if got := Combine(Checksum(buf[:n/2]), Checksum(buf[n/2:n]), int64(n-n/2)); got != want {
			t.Errorf("Combine (%d bytes) = %x, want %x", n, got, want)
		}
	}
}

// The check value of CRC-64/XZ (ECMA-182 reflected, init and xorout all
// ones), the catalogue name of the CRC OSS uses.
func TestCheckValue(t *testing.T) {
	if got := Checksum([]byte("123456789")); got != 0x995dc9bbdf1939fa {
		t.Fatalf("Checksum(123456789) = %x, want 995dc9bbdf1939fa", got)
	}
}
