// Package remove deletes objects and aborts unfinished multipart uploads:
// keys in batches of DeleteMultipleObjects (up to 1000 a request, the next
// listing page fetched while a batch is deleted), each key OSS did not
// confirm reported on its own.
package remove

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/listing"
	"github.com/ossx/ossx/internal/ossx"
)

// MaxBatch is the most keys one DeleteMultipleObjects request takes (OSS
// API reference, "DeleteMultipleObjects").
const MaxBatch = 1000

// Outcome is what happened to one key or upload.
type Outcome struct {
	URL      ossx.URL
	UploadID string // for an aborted upload
	Err      error  // nil: deleted (or aborted)
}

// Options control a Remover.
type Options struct {
	Retry  ossx.RetryPolicy
	DryRun bool // report what would go, change nothing
}

// Remover deletes from one bucket.
type Remover struct {
	bucket *oss.Bucket
	opts   Options
}

// New returns a Remover for bucket.
func New(bucket *oss.Bucket, opts Options) *Remover {
	if opts.Retry.Attempts < 1 {
		opts.Retry = ossx.DefaultRetryPolicy(-1)
	}
	return &Remover{bucket: bucket, opts: opts}
}

func (r *Remover) url(key string) ossx.URL { return ossx.URL{Bucket: r.bucket.BucketName, Key: key} }

// MaxBatchBody bounds the XML of one DeleteMultipleObjects request. 1000
// keys of 1023 bytes are about 1 MiB, but a key's & < > " ' and control
// characters grow five or six times in XML: 1000 such keys are over 5 MiB,
// and osslocal (like any server bounding what it reads) refuses a body
// over 2 MiB as MalformedXML, a request no retry would fix. Batches are cut
// at MaxBatch keys or MaxBatchBody bytes, whichever comes first.
const MaxBatchBody = 1 << 20

// objectXML is what each key adds around itself: <Object><Key></Key></Object>.
const objectXML = len("<Object><Key></Key></Object>")

// batchLen is how many of keys the next request takes: at most MaxBatch,
// and at least one whatever its size.
func batchLen(keys []string) int {
	size := 0
	for i, k := range keys {
		if i == MaxBatch {
			return i
		}
		if size += objectXML + len(oss.EscapeXml(k)); size > MaxBatchBody && i > 0 {
			return i
		}
	}
	return len(keys)
}

// Keys deletes keys, batch by batch (MaxBatch, MaxBatchBody), and calls
// report for each, in the order given. A key OSS does not list as deleted
// is reported with an error; so is every key of a request that fails as a
// whole (after retries), and Keys goes on with the next request. It
// returns the first such request's error, or the context's at once.
func (r *Remover) Keys(ctx context.Context, keys []string, report func(Outcome)) error {
	var first error
	for len(keys) > 0 {
		n := batchLen(keys)
		if err := r.batch(ctx, keys[:n], report); err != nil {
			if ctx.Err() != nil {
				return err
			}
			for _, k := range keys[:n] {
				report(Outcome{URL: r.url(k), Err: err})
			}
			if first == nil {
				first = err
			}
		}
		keys = keys[n:]
	}
	return first
}

// batch deletes keys in one request. A request failing as a whole returns
// its error, and no key is reported.
func (r *Remover) batch(ctx context.Context, keys []string, report func(Outcome)) error {
	if r.opts.DryRun {
		for _, k := range keys {
			report(Outcome{URL: r.url(k)})
		}
		return nil
	}
	var res oss.DeleteObjectsResult
	err := r.opts.Retry.Do(ctx, func(ctx context.Context) error {
		var err error
		// Not quiet: OSS then lists every key it deleted (a missing key
		// counts as deleted), so a key it leaves out is one that failed.
		// In quiet mode OSS answers no body at all (OSS docs, error
		// 0016-00000610: "true: OSS does not return a response body;
		// false: ... the results for each deleted object").
		res, err = r.bucket.DeleteObjects(keys, oss.WithContext(ctx))
		return err
	})
	if err != nil {
		return err
	}
	deleted := make(map[string]bool, len(res.DeletedObjects))
	for _, k := range res.DeletedObjects {
		deleted[k] = true
	}
	for _, k := range keys {
		o := Outcome{URL: r.url(k)}
		if !deleted[k] {
			o.Err = errNotConfirmed
		}
		report(o)
	}
	return nil
}

var errNotConfirmed = errors.New("OSS did not confirm the deletion")

// Prefix deletes every object that src lists and filter keeps, batch by
// batch as the listing pages come (the next page is fetched while a batch
// is deleted), reporting each key.
func (r *Remover) Prefix(ctx context.Context, prefix string, filter *listing.Filter, report func(Outcome)) error {
	src := listing.Objects(r.bucket, r.opts.Retry, listing.Query{Prefix: prefix})
	for page, err := range listing.Pages(ctx, src) {
		if err != nil {
			return err
		}
		keys := make([]string, 0, len(page))
		for i := range page {
			if filter.Match(&page[i]) {
				keys = append(keys, page[i].Key)
			}
		}
		// A request that fails as a whole ends the listing: the keys after
		// it are not known, and a rerun takes what is left.
		for len(keys) > 0 {
			n := batchLen(keys)
			if err := r.batch(ctx, keys[:n], report); err != nil {
				what := r.url(keys[0]).String()
				if n > 1 {
					what = fmt.Sprintf("%d keys from %s to %s", n, what, r.url(keys[n-1]))
				}
				return fmt.Errorf("delete %s: %w", what, err)
			}
			keys = keys[n:]
		}
	}
	return nil
}

// Exists reports whether key is an object, for --must-exist.
func (r *Remover) Exists(ctx context.Context, key string) (bool, error) {
	err := r.opts.Retry.Do(ctx, func(ctx context.Context) error {
		_, err := r.bucket.GetObjectMeta(key, oss.WithContext(ctx))
		return err
	})
	var se oss.ServiceError
	if errors.As(err, &se) && se.StatusCode == http.StatusNotFound && se.Code != "NoSuchBucket" {
		return false, nil
	}
	return err == nil, err
}

// Uploads aborts the unfinished multipart uploads below prefix that filter
// keeps and that were initiated before cutoff (zero: all), reporting each.
func (r *Remover) Uploads(ctx context.Context, prefix string, filter *listing.Filter, cutoff time.Time, report func(Outcome)) error {
	src := listing.Uploads(r.bucket, r.opts.Retry, listing.Query{Prefix: prefix})
	for page, err := range listing.Pages(ctx, src) {
		if err != nil {
			return err
		}
		for i := range page {
			e := &page[i]
			if !filter.Match(e) || !cutoff.IsZero() && !e.Time.Before(cutoff) {
				continue
			}
			o := Outcome{URL: r.url(e.Key), UploadID: e.UploadID}
			if !r.opts.DryRun {
				o.Err = r.opts.Retry.Do(ctx, func(ctx context.Context) error {
					err := r.bucket.AbortMultipartUpload(oss.InitiateMultipartUploadResult{
						Bucket: r.bucket.BucketName, Key: e.Key, UploadID: e.UploadID}, oss.WithContext(ctx))
					// Gone already (completed or aborted by someone else):
					// what was asked for holds.
					var se oss.ServiceError
					if errors.As(err, &se) && se.Code == "NoSuchUpload" {
						return nil
					}
					return err
				})
				if o.Err != nil && ctx.Err() != nil {
					return o.Err
				}
			}
			report(o)
		}
	}
	return nil
}
