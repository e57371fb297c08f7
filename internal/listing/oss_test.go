package listing

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
	"github.com/ossx/ossx/internal/ossx"
)

// testBucket starts an osslocal without faults and returns its bucket.
func testBucket(tb testing.TB) *oss.Bucket {
	ts := osslocaltest.Start(tb, func(o *osslocal.Options) { o.Faults = nil })
	c, err := oss.New(ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := c.Bucket(ts.Bucket)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// A listing goes on from the last key of each page, so changes made while
// it runs show as they would to a reader walking the keys in order: every
// key there from start to end is listed exactly once, in order; one
// deleted before its page (even the key a page ended on) is not; one added
// after the current page is. A directory a page ended on is never listed
// twice, whatever is added below it.
func TestObjectsWhileChanging(t *testing.T) {
	b := testBucket(t)
	put := func(keys ...string) {
		for _, k := range keys {
			if err := b.PutObject(k, strings.NewReader("x")); err != nil {
				t.Fatal(err)
			}
		}
	}
	del := func(keys ...string) {
		for _, k := range keys {
			if err := b.DeleteObject(k); err != nil {
				t.Fatal(err)
			}
		}
	}
	// list reads the first page, calls change, then reads the rest.
	list := func(q Query, change func()) []string {
		src := Objects(b, ossx.DefaultRetryPolicy(0), q)
		var got []string
		for first := true; ; first = false {
			page, last, err := src(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page {
				got = append(got, e.Key)
			}
			if first {
				change()
			}
			if last {
				return got
			}
		}
	}

	var keys []string
	for i := range 30 {
		keys = append(keys, fmt.Sprintf("k/%03d", i))
	}
	put(keys...)
	got := list(Query{Prefix: "k/", PageSize: 10}, func() {
		del("k/009", "k/003", "k/015") // the page's last key, one listed, one ahead
		put("k/005a", "k/012a")        // behind the listing, ahead of it
	})
	want := slices.Concat(keys[:10], []string{"k/010", "k/011", "k/012", "k/012a"}, keys[13:15], keys[16:])
	if !slices.Equal(got, want) {
		t.Errorf("listing while changing:\n got %q\nwant %q", got, want)
	}

	put("d/a/1", "d/b/1", "d/c/1", "d/d/1")
	got = list(Query{Prefix: "d/", Delimiter: "/", PageSize: 2}, func() {
		put("d/b/0", "d/b/2", "d/bb") // below the directory the page ended on, and after it
	})
	want = []string{"d/a/", "d/b/", "d/bb", "d/c/", "d/d/"}
	if !slices.Equal(got, want) {
		t.Errorf("one level while changing:\n got %q\nwant %q", got, want)
	}
}
