//go:build unix

package ship

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ossx/ossx/internal/follow"
)

// BenchmarkStateSave is one durable Save of a state following 10 and 100
// file generations, in the test's temporary directory (its filesystem is
// what is measured).
func BenchmarkStateSave(b *testing.B) {
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "state"), "oss://b/logs/")
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			for i := range n {
				s.Entries = append(s.Entries, &Entry{Path: fmt.Sprintf("/var/log/app/app-%d.log", i),
					Identity: follow.Identity{Dev: 2049, Ino: uint64(1000 + i), HeadLen: 1024, HeadCRC: 0x1234567890abcdef},
					Gen:      fmt.Sprintf("20261205T220000Z-%04d", i), Offset: 1 << 30, Size: 1 << 30,
					Key: fmt.Sprintf("logs/host/var/log/app/app-%d.log/20261205T220000Z-%04d-0001", i, i), Pos: 1 << 30, CRC: 0xfedcba9876543210})
			}
			if err := s.Save(); err != nil {
				b.Fatal(err)
			}
			for i := 0; b.Loop(); i++ {
				s.Lock()
				s.Entries[i%n].Offset++
				s.Unlock()
				if err := s.Save(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
