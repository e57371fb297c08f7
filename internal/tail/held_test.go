package tail

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/ossx/ossx/internal/crc64ecma"
)

// TestHeldBytes: the ring holds what a plain slice of the last bytes
// read would, through reads of every size (small file growth, wrapping,
// whole-holdMax reads) and drops, with the CRC64 of what it let go.
func TestHeldBytes(t *testing.T) {
	src := make([]byte, 8*holdMax)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range src {
		src[i] = byte(r.Uint32())
	}
	var h heldBytes
	var start, end int // the model: src[start:end] held
	var crc uint64
	for step := 0; end < len(src); step++ {
		var n int
		switch r.IntN(5) {
		case 0:
			n = 1 + r.IntN(100)
		case 1:
			n = 1 + r.IntN(holdMax/3)
		case 2:
			n = holdMax
		case 3:
			// Let go of some of what is held, as a quiet file does.
			d := r.IntN(h.Len() + 1)
			crc = h.Drop(d, crc)
			start += d
		default:
			// Or of nearly all: the next reads wrap around the ring.
			d := max(h.Len()-r.IntN(1000), 0)
			crc = h.Drop(d, crc)
			start += d
			n = 1 + r.IntN(holdMax/2)
		}
		n = min(n, len(src)-end)
		if n > 0 {
			if drop := h.Len() + n - holdMax; drop > 0 {
				crc = h.Drop(drop, crc)
				start += drop
			}
			a, b := h.room(n)
			if len(a)+len(b) != n {
				t.Fatalf("step %d: room(%d) gave %d+%d bytes", step, n, len(a), len(b))
			}
			copy(b, src[end+copy(a, src[end:]):])
			h.Grew(n)
			end += n
		}
		if h.Len() != end-start || h.Len() > holdMax || len(h.ring) > holdMax {
			t.Fatalf("step %d: holds %d bytes in a ring of %d; want %d, at most %d", step, h.Len(), len(h.ring), end-start, holdMax)
		}
		if crc != crc64ecma.Checksum(src[:start]) {
			t.Fatalf("step %d: CRC64 of the bytes let go is wrong", step)
		}
		i := r.IntN(h.Len() + 1)
		j := i + r.IntN(h.Len()-i+1)
		if !bytes.Equal(h.Bytes(i, j), src[start+i:start+j]) || !bytes.Equal(h.Bytes(0, h.Len()), src[start:end]) {
			t.Fatalf("step %d: held bytes [%d, %d) differ from the file's", step, i, j)
		}
	}
	h.Reset()
	if h.Len() != 0 || len(h.Bytes(0, 0)) != 0 {
		t.Fatal("Reset still holds bytes")
	}
}
