package crc64ecma

import "golang.org/x/sys/cpu"

// useCLMUL says whether Update folds with PMULL; tests turn it off to check
// the table path on the same machine.
var useCLMUL = cpu.ARM64.HasPMULL

// foldCLMUL folds p (len a non-zero multiple of 128) with the register
// value raw XORed into its first 8 bytes, into 128 bits congruent to it
// mod P, returned as the 16 bytes' two little-endian halves.
//
//go:noescape
func foldCLMUL(raw uint64, p []byte, k *[16]uint64) (lo, hi uint64)
