package listing

import (
	"context"
	"fmt"
	"strings"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/ossx"
)

// MaxPage is the most entries one OSS list request returns (max-keys,
// max-uploads): OSS API reference, ListObjectsV2 / ListMultipartUploads /
// ListBuckets.
const MaxPage = 1000

// Query says what to list inside a bucket.
type Query struct {
	Prefix     string // key prefix; "" for the whole bucket
	Delimiter  string // "/" for one level, "" for everything below Prefix
	StartAfter string // list keys after this one (absolute key, not relative to Prefix)
	PageSize   int    // entries per request, 1..MaxPage; 0 means MaxPage
}

func (q Query) pageSize() int {
	if q.PageSize <= 0 || q.PageSize > MaxPage {
		return MaxPage
	}
	return q.PageSize
}

// Objects lists the objects (and, with a delimiter, the common prefixes)
// of bucket matching q through ListObjectsV2, one page per call, each
// request retried by retry. Objects and prefixes of a page are merged in
// key order, as OSS sorts both lists by key (byte order).
func Objects(bucket *oss.Bucket, retry ossx.RetryPolicy, q Query) Source {
	var token string
	return func(ctx context.Context) ([]Entry, bool, error) {
		opts := []oss.Option{oss.MaxKeys(q.pageSize()), oss.Prefix(q.Prefix)}
		if q.Delimiter != "" {
			opts = append(opts, oss.Delimiter(q.Delimiter))
		}
		if token != "" {
			opts = append(opts, oss.ContinuationToken(token))
		} else if q.StartAfter != "" {
			opts = append(opts, oss.StartAfter(q.StartAfter))
		}
		var res oss.ListObjectsResultV2
		err := retry.Do(ctx, func(ctx context.Context) error {
			var err error
			res, err = listObjectsV2(bucket, append(opts, oss.WithContext(ctx)))
			return err
		})
		if err != nil {
			return nil, false, fmt.Errorf("list %s: %w", ossx.URL{Bucket: bucket.BucketName, Key: q.Prefix}, err)
		}
		entries := make([]Entry, 0, len(res.Objects)+len(res.CommonPrefixes))
		objs, prefixes := res.Objects, res.CommonPrefixes
		for len(objs) > 0 || len(prefixes) > 0 {
			if len(objs) > 0 && (len(prefixes) == 0 || objs[0].Key < prefixes[0]) {
				o := &objs[0]
				entries = append(entries, Entry{
					Kind:         Object,
					Bucket:       bucket.BucketName,
					Key:          o.Key,
					Size:         o.Size,
					ETag:         TrimETag(o.ETag),
					Time:         o.LastModified,
					StorageClass: o.StorageClass,
					Type:         o.Type,
				})
				objs = objs[1:]
				continue
			}
			entries = append(entries, Entry{Kind: Prefix, Bucket: bucket.BucketName, Key: prefixes[0]})
			prefixes = prefixes[1:]
		}
		if !res.IsTruncated {
			return entries, true, nil
		}
		if res.NextContinuationToken == "" || res.NextContinuationToken == token {
			return nil, false, fmt.Errorf("list %s: OSS said the listing goes on but gave no new continuation token",
				ossx.URL{Bucket: bucket.BucketName, Key: q.Prefix})
		}
		token = res.NextContinuationToken
		return entries, false, nil
	}
}

// Uploads lists the unfinished multipart uploads of bucket whose keys
// start with q.Prefix (all of them: q.Delimiter is ignored, since leftovers
// hide at any depth) through ListMultipartUploads.
func Uploads(bucket *oss.Bucket, retry ossx.RetryPolicy, q Query) Source {
	keyMarker, idMarker := q.StartAfter, ""
	return func(ctx context.Context) ([]Entry, bool, error) {
		opts := []oss.Option{oss.MaxUploads(q.pageSize()), oss.Prefix(q.Prefix)}
		if keyMarker != "" {
			opts = append(opts, oss.KeyMarker(keyMarker))
		}
		if idMarker != "" {
			opts = append(opts, oss.UploadIDMarker(idMarker))
		}
		var res oss.ListMultipartUploadResult
		err := retry.Do(ctx, func(ctx context.Context) error {
			var err error
			res, err = bucket.ListMultipartUploads(append(opts, oss.WithContext(ctx))...)
			return err
		})
		if err != nil {
			return nil, false, fmt.Errorf("list uploads in %s: %w", ossx.URL{Bucket: bucket.BucketName, Key: q.Prefix}, err)
		}
		entries := make([]Entry, 0, len(res.Uploads))
		for _, u := range res.Uploads {
			entries = append(entries, Entry{
				Kind:     Upload,
				Bucket:   bucket.BucketName,
				Key:      u.Key,
				UploadID: u.UploadID,
				Time:     u.Initiated,
			})
		}
		if !res.IsTruncated {
			return entries, true, nil
		}
		if res.NextKeyMarker == keyMarker && res.NextUploadIDMarker == idMarker {
			return nil, false, fmt.Errorf("list uploads in %s: OSS said the listing goes on but gave no new marker",
				ossx.URL{Bucket: bucket.BucketName, Key: q.Prefix})
		}
		keyMarker, idMarker = res.NextKeyMarker, res.NextUploadIDMarker
		return entries, false, nil
	}
}

// Buckets lists the account's buckets whose names start with prefix and
// sort after startAfter, through ListBuckets (GetService).
func Buckets(client *oss.Client, retry ossx.RetryPolicy, prefix, startAfter string, pageSize int) Source {
	marker := startAfter
	q := Query{PageSize: pageSize}
	return func(ctx context.Context) ([]Entry, bool, error) {
		opts := []oss.Option{oss.MaxKeys(q.pageSize())}
		if prefix != "" {
			opts = append(opts, oss.Prefix(prefix))
		}
		if marker != "" {
			opts = append(opts, oss.Marker(marker))
		}
		var res oss.ListBucketsResult
		err := retry.Do(ctx, func(ctx context.Context) error {
			var err error
			res, err = client.ListBuckets(append(opts, oss.WithContext(ctx))...)
			return err
		})
		if err != nil {
			return nil, false, fmt.Errorf("list buckets: %w", err)
		}
		entries := make([]Entry, 0, len(res.Buckets))
		for _, b := range res.Buckets {
			region := b.Region
			if region == "" {
				// Older answers carry only Location, e.g. "oss-cn-hangzhou".
				region = strings.TrimPrefix(b.Location, "oss-")
			}
			entries = append(entries, Entry{Kind: Bucket, Bucket: b.Name, Region: region, Time: b.CreationDate})
		}
		if !res.IsTruncated {
			return entries, true, nil
		}
		if res.NextMarker == "" || res.NextMarker == marker {
			return nil, false, fmt.Errorf("list buckets: OSS said the listing goes on but gave no new marker")
		}
		marker = res.NextMarker
		return entries, false, nil
	}
}
