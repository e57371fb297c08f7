// Package listing holds what ossls streams: entries (objects, "directories",
// unfinished uploads, buckets), page sources over the OSS list APIs, an
// iterator that fetches the next page while the current one is printed, the
// include/exclude filter and the output formats.
package listing

import (
	"context"
	"iter"
	"sync"
	"time"
)

// Kind says what an Entry is.
type Kind uint8

const (
	Object Kind = iota // an object
	Prefix             // a common prefix ("directory") of a delimited listing
	Upload             // an unfinished multipart upload
	Bucket             // a bucket
)

// Entry is one listed item. Which fields are set depends on Kind.
type Entry struct {
	Kind         Kind
	Bucket       string    // the bucket holding the item; for Kind Bucket its name
	Key          string    // object key, common prefix (with its trailing "/") or upload key
	Size         int64     // Object
	ETag         string    // Object, without the surrounding quotes
	Time         time.Time // Object: last modified; Upload: initiated; Bucket: created
	StorageClass string    // Object
	Type         string    // Object: Normal, Multipart, Appendable, Symlink
	UploadID     string    // Upload
	Region       string    // Bucket
}

// Source returns one page of entries per call, in key order, and last=true
// with the final page. Pages calls it from one goroutine at a time, so a
// Source may keep its continuation state in a closure.
type Source func(ctx context.Context) (entries []Entry, last bool, err error)

// Pages iterates over the pages of src. While the caller handles one page
// the next is already being fetched (a goroutine and a channel of depth 1),
// so at most three pages are held at once whatever the listing's length:
// the one being handled, one waiting and one in flight. An error ends the
// iteration after being yielded. Breaking out of the loop cancels the fetch
// in flight and waits for it, so no request outlives the loop.
func Pages(ctx context.Context, src Source) iter.Seq2[[]Entry, error] {
	return func(yield func([]Entry, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		type page struct {
			entries []Entry
			err     error
		}
		ch := make(chan page, 1)
		var wg sync.WaitGroup
		defer wg.Wait()
		defer cancel()
		wg.Go(func() {
			defer close(ch)
			for {
				entries, last, err := src(ctx)
				select {
				case ch <- page{entries, err}:
				case <-ctx.Done():
					return
				}
				if err != nil || last {
					return
				}
			}
		})
		for p := range ch {
			if !yield(p.entries, p.err) || p.err != nil {
				return
			}
		}
		// The fetcher stops without sending when the caller's ctx ends; that
		// must not look like the end of the listing.
		if err := ctx.Err(); err != nil {
			yield(nil, err)
		}
	}
}
