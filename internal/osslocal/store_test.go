package osslocal

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestListMatchesReference checks the key index's walk (prefix, marker,
// delimiter groups, paging) against a plain scan of the sorted keys, over
// keys inserted and deleted in random order.
func TestListMatchesReference(t *testing.T) {
	s, err := openStore("", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.createBucket("b", ACLPrivate, "Standard", time.Now()); err != nil {
		t.Fatal(err)
	}
	b := s.buckets["b"]
	rnd := rand.New(rand.NewPCG(1, 2))
	parts := []string{"a", "a/", "a-", "b/", "é", "/", "a b", "+", "%", "z"}
	live := map[string]bool{}
	for range 3000 {
		var k strings.Builder
		for range 1 + rnd.IntN(5) {
			k.WriteString(parts[rnd.IntN(len(parts))])
		}
		key := k.String()
		if live[key] && rnd.IntN(3) == 0 {
			delete(live, key)
			delete(b.objects, key)
			b.keys.Delete(key)
			continue
		}
		live[key] = true
		b.objects[key] = &objectMeta{Key: key}
		b.keys.ReplaceOrInsert(key)
	}
	sorted := make([]string, 0, len(live))
	for k := range live {
		sorted = append(sorted, k)
	}
	slices.Sort(sorted)
	if b.keys.Len() != len(sorted) {
		t.Fatalf("index holds %d keys, want %d", b.keys.Len(), len(sorted))
	}

	for _, prefix := range []string{"", "a", "a/", "é", "zz"} {
		for _, delim := range []string{"", "/"} {
			for _, max := range []int{1, 7, 1000} {
				want := reference(sorted, prefix, delim)
				var got []string
				marker := ""
				for {
					l, err := s.list("b", prefix, marker, delim, max)
					if err != nil {
						t.Fatal(err)
					}
					page := len(l.objects) + len(l.prefixes)
					if page > max {
						t.Fatalf("page of %d > max %d", page, max)
					}
					for _, o := range l.objects {
						got = append(got, o.Key)
					}
					got = append(got, l.prefixes...)
					if !l.truncated {
						break
					}
					marker = l.next
				}
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("prefix %q delimiter %q max %d: got %d entries, want %d\n got %q\nwant %q", prefix, delim, max, len(got), len(want), got, want)
				}
			}
		}
	}
}

// reference lists sorted keys with prefix, grouping by delimiter, by scanning.
func reference(sorted []string, prefix, delim string) []string {
	var out []string
	for _, k := range sorted {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if delim != "" {
			if j := strings.Index(k[len(prefix):], delim); j >= 0 {
				cp := k[:len(prefix)+j+len(delim)]
				if len(out) == 0 || out[len(out)-1] != cp {
					out = append(out, cp)
				}
				continue
			}
		}
		out = append(out, k)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestUpdateUnlessReplaced: CopyObject onto itself works its change out
// from the object read before it takes the key's lock. A PUT or a delete in
// between wins (the copy came first); the new bytes never get the old
// object's headers. An append in between keeps the body, so the change is
// applied to the grown object.
func TestUpdateUnlessReplaced(t *testing.T) {
	s, err := openStore("", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.createBucket("b", ACLPrivate, "Standard", time.Now()); err != nil {
		t.Fatal(err)
	}
	withType := func(key, typ string) *objectMeta {
		return &objectMeta{Key: key, Header: map[string]string{"Content-Type": typ}}
	}
	change := func(m *objectMeta) { m.Header = map[string]string{"Content-Type": "text/changed"} }
	contentType := func(key string) string {
		m, err := s.head("b", key)
		if err != nil {
			t.Fatal(err)
		}
		return m.Header["Content-Type"]
	}

	if _, err := s.put("b", withType("put", "text/old"), strings.NewReader("old"), putOptions{}); err != nil {
		t.Fatal(err)
	}
	src, _ := s.head("b", "put")
	if _, err := s.put("b", withType("put", "text/new"), strings.NewReader("new"), putOptions{}); err != nil {
		t.Fatal(err)
	}
	out, err := s.updateUnlessReplaced("b", src, change)
	if err != nil || out.ETag != src.ETag || out.Header["Content-Type"] != "text/changed" {
		t.Fatalf("copy answered %+v, %v; want the source's ETag, changed", out, err)
	}
	if got := contentType("put"); got != "text/new" {
		t.Fatalf("the PUT's object got Content-Type %q from a copy of the object it replaced", got)
	}

	if _, err := s.append("b", withType("app", "text/old"), strings.NewReader("one"), appendOptions{length: -1, max: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	src, _ = s.head("b", "app")
	if _, err := s.append("b", withType("app", "text/old"), strings.NewReader("two"), appendOptions{position: 3, length: -1, max: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.updateUnlessReplaced("b", src, change); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.head("b", "app"); m.Size != 6 || m.Header["Content-Type"] != "text/changed" {
		t.Fatalf("after an append in between: size %d, Content-Type %q; want 6, the change applied", m.Size, m.Header["Content-Type"])
	}

	src, _ = s.head("b", "put")
	if err := s.deleteObject("b", "put"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.updateUnlessReplaced("b", src, change); err != nil {
		t.Fatalf("copy after a delete in between: %v", err)
	}
	if _, err := s.head("b", "put"); err == nil {
		t.Fatal("a deleted object came back through a copy onto itself")
	}
}
