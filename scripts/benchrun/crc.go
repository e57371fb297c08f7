package main

import (
	"fmt"
	"hash/crc64"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/ossx/ossx/internal/crc64ecma"
)

// crc measures CRC64-ECMA throughput per CPU-second of the measuring thread
// (RUSAGE_THREAD, so other processes on a busy machine do not count):
// internal/crc64ecma, which every tool and osslocal use, beside
// hash/crc64's table, over 64 KiB buffers as uploads hash them.
func (b *bench) crc() error {
	total := int64(4 << 30)
	if b.cfg.quick {
		total = 256 << 20
	}
	s := b.rep.section(fmt.Sprintf("CRC64-ECMA: %s hashed in 64 KiB buffers, per CPU-second of the thread", iec(total)))
	buf := make([]byte, 64<<10)
	r := rand.NewChaCha8([32]byte{3})
	r.Read(buf)
	table := crc64.MakeTable(crc64.ECMA)
	measure := func(f func(crc uint64, p []byte) uint64) (time.Duration, error) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		before, err := threadCPU()
		if err != nil {
			return 0, err
		}
		var crc uint64
		for n := int64(0); n < total; n += int64(len(buf)) {
			crc = f(crc, buf)
		}
		after, err := threadCPU()
		if crc == 0 {
			err = fmt.Errorf("CRC of random bytes is 0")
		}
		return after - before, err
	}
	ours, err := measure(crc64ecma.Update)
	if err != nil {
		return err
	}
	std, err := measure(func(crc uint64, p []byte) uint64 { return crc64.Update(crc, table, p) })
	if err != nil {
		return err
	}
	gbps := func(d time.Duration) float64 { return float64(total) / d.Seconds() / 1e9 }
	s.info(fmt.Sprintf("internal/crc64ecma (%s)", crcPath()), fmt.Sprintf("%.1f GB/s (%s CPU)", gbps(ours), dur(ours)), false)
	s.info("hash/crc64 with crc64.ECMA (slicing-by-8 tables)", fmt.Sprintf("%.1f GB/s (%s CPU)", gbps(std), dur(std)), true)
	b.rep.target("CRC64-ECMA throughput", "≥ 10 GB/s (amd64 with PCLMULQDQ)",
		fmt.Sprintf("%.1f GB/s per CPU-second (hash/crc64: %.1f GB/s)", gbps(ours), gbps(std)), gbps(ours) >= 10)
	return nil
}

func crcPath() string {
	switch runtime.GOARCH {
	case "amd64":
		return "PCLMULQDQ folding where the CPU has it"
	case "arm64":
		return "PMULL folding where the CPU has it"
	}
	return "tables on " + runtime.GOARCH
}
