package command

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ossx/ossx/internal/ossx"
)

// ParseSize reads a byte count like 512, 100K, 8M, 1.5G or 64MiB. Suffixes
// are powers of 1024, as in rsync's --bwlimit and ossutil's --part-size.
func ParseSize(flag, s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(t)
	}
	num, unit := t[:i], strings.ToUpper(strings.TrimSpace(t[i:]))
	unit = strings.TrimSuffix(strings.TrimSuffix(unit, "B"), "I")
	mult := map[string]float64{"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}[unit]
	v, err := strconv.ParseFloat(num, 64)
	// Beyond 2^62 a size is a typo; it would also overflow int64 (which
	// a float conversion does silently, to a negative number).
	if err != nil || mult == 0 || v < 0 || v*mult > 1<<62 {
		return 0, &ossx.UsageError{
			Err:  fmt.Errorf("%s %q is not a size", flag, s),
			Hint: "write a number of bytes with an optional K, M, G or T suffix (powers of 1024), e.g. 8M",
		}
	}
	return int64(v * mult), nil
}
