//go:build !amd64 && !arm64

package crc64ecma

// useCLMUL is false: no carry-less multiply kernel for this architecture
// yet, so Update is hash/crc64's slicing-by-8 tables.
var useCLMUL = false

func foldCLMUL(raw uint64, p []byte, k *[16]uint64) (lo, hi uint64) {
	panic("crc64ecma: no carry-less multiply on this architecture")
}
