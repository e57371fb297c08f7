package tail

import "github.com/ossx/ossx/internal/crc64ecma"

// heldBytes are the last bytes read ahead of a file (see gen.readAhead), in
// a ring of at most holdMax bytes: what is kept is never moved. A
// contiguous buffer needs room beyond holdMax to slide what it keeps into
// (it had twice holdMax), and gtail's peak RSS is mostly such buffers
// (BENCHMARKS.md). The zero value holds nothing.
type heldBytes struct {
	ring  []byte
	start int // where in ring the first held byte is
	n     int // how many bytes are held
}

// heldOf holds b itself (for tests).
func heldOf(b []byte) heldBytes { return heldBytes{ring: b, n: len(b)} }

// Len is how many bytes are held.
func (h *heldBytes) Len() int { return h.n }

// segs returns the held bytes [i, j) as one or two pieces of the ring.
func (h *heldBytes) segs(i, j int) (a, b []byte) {
	if i >= j {
		return nil, nil
	}
	c := len(h.ring)
	s := (h.start + i) % c
	e := s + j - i
	if e <= c {
		return h.ring[s:e], nil
	}
	return h.ring[s:], h.ring[:e-c]
}

// Bytes returns the held bytes [i, j): a piece of the ring, or a copy
// where they wrap around its end.
func (h *heldBytes) Bytes(i, j int) []byte {
	a, b := h.segs(i, j)
	if b == nil {
		return a
	}
	return append(append(make([]byte, 0, j-i), a...), b...)
}

// Drop lets the first n held bytes go and returns crc extended over them.
func (h *heldBytes) Drop(n int, crc uint64) uint64 {
	if n <= 0 {
		return crc
	}
	a, b := h.segs(0, n)
	crc = crc64ecma.Update(crc64ecma.Update(crc, a), b)
	h.n -= n
	h.start = (h.start + n) % len(h.ring)
	if h.n == 0 {
		h.start = 0 // the next read lands in one piece
	}
	return crc
}

// Reset holds nothing, keeping the ring.
func (h *heldBytes) Reset() { h.start, h.n = 0, 0 }

// room returns where the next n bytes read go, in one or two pieces (read
// them, then call Grew); Len()+n must be at most holdMax. A ring smaller
// than that (a small file's) is replaced by one with room for twice what
// it will hold, up to holdMax.
func (h *heldBytes) room(n int) (a, b []byte) {
	if h.n+n > len(h.ring) {
		r := make([]byte, min(holdMax, max(2*(h.n+n), 64<<10)))
		a, b := h.segs(0, h.n)
		copy(r[copy(r, a):], b)
		h.ring, h.start = r, 0
	}
	c := len(h.ring)
	w := (h.start + h.n) % c
	if w+n <= c {
		return h.ring[w : w+n], nil
	}
	return h.ring[w:], h.ring[:n-(c-w)]
}

// Grew adds the next k bytes of the ring, read into room's pieces, to what
// is held.
func (h *heldBytes) Grew(k int) { h.n += k }
