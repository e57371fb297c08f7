package main

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/ossx/ossx/internal/ossx"
)

// parseSize reads a byte count like 512, 100K, 8M, 1.5G or 64MiB. Suffixes
// are powers of 1024, as in rsync's --bwlimit and ossutil's --part-size.
func parseSize(flag, s string) (int64, error) {
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

// maxMeta is OSS's limit on all user metadata of an object, names and
// values together (OSS error 0011-00000002).
const maxMeta = 8 << 10

// parseMeta turns repeated --meta KEY=VALUE flags into a map. OSS accepts
// only letters, digits and hyphens in a metadata name (OSS error
// 0011-00000004), and a value must fit in an HTTP header; anything else
// would be refused only after the upload started.
func parseMeta(pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	meta := make(map[string]string, len(pairs))
	total := 0
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.IndexFunc(k, notMetaName) >= 0 {
			return nil, &ossx.UsageError{
				Err:  fmt.Errorf("--meta %q is not KEY=VALUE", p),
				Hint: "KEY is letters, digits and hyphens, e.g. --meta owner=web --meta build-id=42",
			}
		}
		if strings.IndexFunc(v, unicode.IsControl) >= 0 {
			return nil, ossx.Usagef("--meta %s: the value holds a control character (newline, tab, ...)", k)
		}
		meta[strings.ToLower(k)] = v
		total += len(k) + len(v)
	}
	if total > maxMeta {
		return nil, ossx.Usagef("--meta: %d bytes of metadata, more than OSS's 8 KiB per object", total)
	}
	return meta, nil
}

func notMetaName(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-')
}
