package crc64ecma

import (
	"testing"

	"golang.org/x/sys/cpu"
)

// Our one CPUID answers what golang.org/x/sys/cpu does.
func TestCPUIDMatchesXSysCPU(t *testing.T) {
	if have, want := cpuid1ecx()&(1<<1) != 0, cpu.X86.HasPCLMULQDQ && cpu.X86.HasSSE2; have != want {
		t.Fatalf("PCLMULQDQ from CPUID = %v, golang.org/x/sys/cpu says %v", have, want)
	}
}
