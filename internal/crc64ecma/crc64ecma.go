// Package crc64ecma computes CRC64-ECMA, the checksum OSS returns as
// x-oss-hash-crc64ecma, for every tool and for osslocal: one place to make
// it fast.
//
// OSS uses the ECMA-182 polynomial in its reflected form with an initial and
// final XOR of all ones, which is exactly hash/crc64 with crc64.ECMA (the
// aliyun-oss-go-sdk's oss/crc.go builds its digest on the same table).
package crc64ecma

import (
	"hash"
	"hash/crc64"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// Size is the size of a CRC64 checksum in bytes.
const Size = crc64.Size

var table = crc64.MakeTable(crc64.ECMA)

// New returns a hash.Hash64 computing CRC64-ECMA.
func New() hash.Hash64 { return crc64.New(table) }

// Update returns the CRC of the bytes whose CRC is crc followed by p.
func Update(crc uint64, p []byte) uint64 { return crc64.Update(crc, table, p) }

// Checksum returns the CRC of p.
func Checksum(p []byte) uint64 { return crc64.Checksum(p, table) }

// Combine returns the CRC of A followed by B, given crc1 = CRC(A),
// crc2 = CRC(B) and len2 = len(B), without reading either.
func Combine(crc1, crc2 uint64, len2 int64) uint64 {
	return oss.CRC64Combine(crc1, crc2, uint64(len2))
}
