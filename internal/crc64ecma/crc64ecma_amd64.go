package crc64ecma

// useCLMUL says whether Update folds with PCLMULQDQ; tests turn it off to
// check the table path on the same machine. SSE2 is part of amd64 itself,
// so the one feature to ask for is PCLMULQDQ: CPUID leaf 1, ECX bit 1
// (Intel SDM vol. 2A, CPUID, table 3-10). One CPUID of our own rather
// than golang.org/x/sys/cpu, whose package init issues several (each a VM
// exit on a virtual machine) in every run of every tool.
var useCLMUL = cpuid1ecx()&(1<<1) != 0

// cpuid1ecx returns ECX of CPUID leaf 1.
func cpuid1ecx() uint32

// foldCLMUL folds p (len a non-zero multiple of 128) with the register
// value raw XORed into its first 8 bytes, into 128 bits congruent to it
// mod P, returned as the 16 bytes' two little-endian halves.
//
//go:noescape
func foldCLMUL(raw uint64, p []byte, k *[16]uint64) (lo, hi uint64)
