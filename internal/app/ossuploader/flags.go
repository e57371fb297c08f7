package ossuploader

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/ossx/ossx/internal/command"
	"github.com/ossx/ossx/internal/ossx"
)

// parseSize reads a byte count like 512, 100K, 8M, 1.5G or 64MiB
// (command.ParseSize, shared with ossget).
func parseSize(flag, s string) (int64, error) { return command.ParseSize(flag, s) }

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
