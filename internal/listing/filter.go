package listing

import (
	"fmt"
	"path"
	"strings"

	"github.com/ossx/ossx/internal/ossx"
)

// Filter selects entries by --include and --exclude glob patterns
// (path.Match syntax: * ? [a-z] \x; "*" does not cross "/").
//
// A pattern with a "/" before its last character matches the key relative
// to the listed "directory" (the listed prefix up to its last "/"): with
// oss://b/logs/ listed, "2024/*.gz" matches logs/2024/a.gz. Any other
// pattern matches the entry's name, its last path element, so "*.gz"
// matches at every depth of a recursive listing. A "directory" keeps its
// trailing "/" in both, so "*/" matches directories only. A bucket's name
// is its name.
//
// An entry is kept when it matches some include pattern (or none was
// given) and no exclude pattern.
type Filter struct {
	dir              string
	include, exclude []string
}

// NewFilter checks the patterns and returns the filter for a listing of
// prefix. Errors name the bad pattern.
func NewFilter(prefix string, include, exclude []string) (*Filter, error) {
	for _, p := range append(append([]string(nil), include...), exclude...) {
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("bad pattern %q: %w", p, err)
		}
	}
	return &Filter{
		dir:     prefix[:strings.LastIndex(prefix, "/")+1],
		include: include,
		exclude: exclude,
	}, nil
}

// Active reports whether the filter can drop anything.
func (f *Filter) Active() bool { return len(f.include)+len(f.exclude) > 0 }

// Match reports whether e is kept.
func (f *Filter) Match(e *Entry) bool {
	if !f.Active() {
		return true
	}
	rel := e.Key
	if e.Kind == Bucket {
		rel = e.Bucket
	} else {
		rel = strings.TrimPrefix(rel, f.dir)
	}
	name := rel[strings.LastIndex(strings.TrimSuffix(rel, "/"), "/")+1:]
	if len(f.include) > 0 && !matchAny(f.include, rel, name) {
		return false
	}
	return !matchAny(f.exclude, rel, name)
}

func matchAny(patterns []string, rel, name string) bool {
	for _, p := range patterns {
		subject := name
		if strings.Contains(strings.TrimSuffix(p, "/"), "/") {
			subject = rel
		}
		// Patterns were checked in NewFilter, so Match cannot fail here.
		if ok, _ := path.Match(p, subject); ok {
			return true
		}
	}
	return false
}

// GlobHint is the hint for an oss:// URL whose key holds a glob
// metacharacter (* ? [) and matched nothing, as s5cmd and shells would
// expand it: no ossx tool expands wildcards in URLs (a key may hold a *),
// and cmd (e.g. "ossrm -r") with --include does what was meant. "" when
// the key holds none.
func GlobHint(cmd string, u ossx.URL) string {
	i := strings.IndexAny(u.Key, "*?[")
	if i < 0 {
		return ""
	}
	j := strings.LastIndexByte(u.Key[:i], '/') + 1
	dir := ossx.URL{Bucket: u.Bucket, Key: u.Key[:j]}
	pattern := "'" + strings.ReplaceAll(u.Key[j:], "'", `'\''`) + "'"
	return fmt.Sprintf("wildcards in URLs are not expanded (%c may be part of a key); to select by pattern: %s --include %s %s",
		u.Key[i], cmd, pattern, dir)
}
