// Package crc64ecma computes CRC64-ECMA, the checksum OSS returns as
// x-oss-hash-crc64ecma, for every tool and for osslocal: one place to make
// it fast.
//
// OSS uses the ECMA-182 polynomial in its reflected form with an initial and
// final XOR of all ones, which is exactly hash/crc64 with crc64.ECMA (the
// aliyun-oss-go-sdk's oss/crc.go builds its digest on the same table), the
// catalogue's CRC-64/XZ.
//
// No Go module on the proxy offers a hardware-accelerated CRC64 with this
// polynomial (github.com/minio/crc64nvme is the NVMe polynomial;
// github.com/go-simd/crc64 is not served by the proxy), so on amd64 with
// PCLMULQDQ and arm64 with PMULL the bulk of the input is folded by
// carry-less multiplication (Intel's "Fast CRC Computation for Generic
// Polynomials Using PCLMULQDQ Instruction", 2009) at memory speed;
// everything else, and the last few bytes, goes through hash/crc64's
// slicing-by-8 tables.
package crc64ecma

import (
	"encoding/binary"
	"hash"
	"hash/crc64"
	"sync"
)

// Size is the size of a CRC64 checksum in bytes.
const Size = crc64.Size

// table is built on first use: hash/crc64 builds its slicing-by-8 tables
// (32 KiB, for ECMA and ISO both) on any MakeTable or Update, and a tool
// that never hashes (ossls) or hashes on the carry-less multiplier should
// not pay for them.
var table = sync.OnceValue(func() *crc64.Table { return crc64.MakeTable(crc64.ECMA) })

// byteTable is the plain 256-entry table for the multiplier path's
// leftovers: the 16 bytes fold reduces to and a tail shorter than
// foldBlock. Built on first use; 2 KiB, where hash/crc64's slicing-by-8
// tables cost a 4 KiB upload a tenth of a millisecond in page faults.
var byteTable = sync.OnceValue(func() *[256]uint64 {
	var t [256]uint64
	for i := range t {
		c := uint64(i)
		for range 8 {
			c = mulx(c)
		}
		t[i] = c
	}
	return &t
})

// Update returns the CRC of the bytes whose CRC is crc followed by p.
func Update(crc uint64, p []byte) uint64 {
	if !useCLMUL {
		return crc64.Update(crc, table(), p)
	}
	if len(p) >= foldBlock {
		n := len(p) &^ (foldBlock - 1)
		crc = fold(crc, p[:n])
		p = p[n:]
	}
	return updateBytes(crc, p)
}

// updateBytes is hash/crc64.Update a byte at a time on byteTable, for the
// fewer than foldBlock bytes the multiplier leaves.
func updateBytes(crc uint64, p []byte) uint64 {
	if len(p) == 0 {
		return crc
	}
	t := byteTable()
	crc = ^crc
	for _, b := range p {
		crc = t[byte(crc)^b] ^ crc>>8
	}
	return ^crc
}

// Checksum returns the CRC of p.
func Checksum(p []byte) uint64 { return Update(0, p) }

// New returns a hash.Hash64 computing CRC64-ECMA.
func New() hash.Hash64 { return new(digest) }

type digest struct{ crc uint64 }

func (d *digest) Write(p []byte) (int, error) {
	d.crc = Update(d.crc, p)
	return len(p), nil
}

func (d *digest) Sum(b []byte) []byte { return binary.BigEndian.AppendUint64(b, d.crc) }
func (d *digest) Sum64() uint64       { return d.crc }
func (d *digest) Reset()              { d.crc = 0 }
func (d *digest) Size() int           { return Size }
func (d *digest) BlockSize() int      { return 1 }

// Combine returns the CRC of A followed by B, given crc1 = CRC(A),
// crc2 = CRC(B) and len2 = len(B), without reading either.
//
// With the all-ones initial and final XOR cancelling out, CRC(A‖B) =
// CRC(A)·x^(8·len(B)) ⊕ CRC(B) mod P (zlib's crc32_combine); x^(8·len2) is
// a product of the precomputed x^(8·2^k), one multiplication per set bit
// of len2, where the SDK's CRC64Combine squares 64×64 bit matrices.
func Combine(crc1, crc2 uint64, len2 int64) uint64 {
	if len2 <= 0 {
		return crc1
	}
	pow := powers()
	for k := 0; len2 != 0; k, len2 = k+1, len2>>1 {
		if len2&1 != 0 {
			crc1 = mulmod(crc1, pow[k])
		}
	}
	return crc1 ^ crc2
}

// poly is crc64.ECMA bit-reversed: bit 63 is x⁰ and bit 0 is x⁶³ in every
// polynomial below, as in the CRC register.
const poly = 0xC96C5795D7870F42

// one is the polynomial 1 (x⁰) in that bit order.
const one = uint64(1) << 63

// mulmod returns a·b mod P, both reflected.
func mulmod(a, b uint64) uint64 {
	var p uint64
	for m := one; a != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
			a ^= m
		}
		b = mulx(b)
	}
	return p
}

// mulx returns b·x mod P.
func mulx(b uint64) uint64 {
	if b&1 != 0 {
		return b>>1 ^ poly
	}
	return b >> 1
}

// powers holds x^(8·2^k) mod P for k = 0…63: x^8, x^16, x^32, …
var powers = sync.OnceValue(func() *[64]uint64 {
	var pow [64]uint64
	v := one
	for range 8 {
		v = mulx(v)
	}
	for k := range pow {
		pow[k] = v
		v = mulmod(v, v)
	}
	return &pow
})

// fold returns Update(crc, p) for len(p) a non-zero multiple of foldBlock,
// on the carry-less multiplier: the CRC register XORed into the first 8
// bytes, p is folded into 128 bits that are congruent to it mod P, and the
// CRC of those 16 bytes from a zero register is the CRC of p.
func fold(crc uint64, p []byte) uint64 {
	lo, hi := foldCLMUL(^crc, p, &foldConsts)
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], lo)
	binary.LittleEndian.PutUint64(b[8:], hi)
	return updateBytes(^uint64(0), b[:])
}

// foldBlock is the bytes folded per loop: 8 lanes of 128 bits.
const foldBlock = 128

// foldConsts are the multipliers that move 128 bits forward by d·128 bits,
// for d = 1…8, as pairs (x^(128d+63) mod P, x^(128d−1) mod P), reflected:
// the first for the 64 bits at the lower address (the higher powers), the
// second for the other 64. The exponents are one short of the distance
// because a carry-less product of two reflected 64-bit values comes out
// multiplied by x. TestFoldConsts recomputes them.
var foldConsts = [16]uint64{
	0xe05dd497ca393ae4, 0xdabe95afc7875f40, // d=1: x^191, x^127
	0x60095b008a9efa44, 0x3be653a30fe1af51, // d=2: x^319, x^255
	0xb5ea1af9c013aca4, 0x69a35d91c3730254, // d=3: x^447, x^383
	0x6ae3efbb9dd441f3, 0x081f6054a7842df4, // d=4: x^575, x^511
	0x2e30203212cac325, 0x0e31d519421a63a5, // d=5: x^703, x^639
	0x2fe3fd2920ce82ec, 0xe4ce2cd55fea0037, // d=6: x^831, x^767
	0x9e735cb59b4724da, 0x947874de595052cb, // d=7: x^959, x^895
	0x8757d71d4fcc1000, 0xd7d86b2af73de740, // d=8: x^1087, x^1023
}
