package osslocal_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// TestAutoCreateBuckets: with the option a request to a missing bucket
// creates it (an upload, a listing), PutBucket still works and DeleteBucket
// does not create what it deletes; without it, NoSuchBucket as in OSS.
func TestAutoCreateBuckets(t *testing.T) {
	client := func(auto bool) *oss.Client {
		srv, err := osslocal.New(osslocal.Options{
			Credentials:       []osslocal.Credential{{ID: osslocaltest.AccessKeyID, Secret: osslocaltest.AccessKeySecret}},
			AutoCreateBuckets: auto,
		})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv)
		t.Cleanup(func() { hs.Close(); srv.Close() })
		c, err := oss.New(hs.URL, osslocaltest.AccessKeyID, osslocaltest.AccessKeySecret)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	c := client(false)
	b, _ := c.Bucket("dev")
	if err := b.PutObject("k", strings.NewReader("x")); err == nil || !strings.Contains(err.Error(), "NoSuchBucket") {
		t.Fatalf("without auto-create: %v, want NoSuchBucket", err)
	}

	c = client(true)
	b, _ = c.Bucket("dev")
	if err := b.PutObject("k", strings.NewReader("x")); err != nil {
		t.Fatalf("upload to a new bucket: %v", err)
	}
	logs, _ := c.Bucket("logs")
	if res, err := logs.ListObjects(); err != nil || len(res.Objects) != 0 {
		t.Fatalf("listing a new bucket: %v, %v", res, err)
	}
	if err := c.CreateBucket("made"); err != nil {
		t.Fatalf("PutBucket: %v", err)
	}
	if err := c.DeleteBucket("never"); err == nil || !strings.Contains(err.Error(), "NoSuchBucket") {
		t.Fatalf("DeleteBucket of a missing bucket: %v, want NoSuchBucket", err)
	}
	res, err := c.ListBuckets()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, bk := range res.Buckets {
		names = append(names, bk.Name)
	}
	if strings.Join(names, ",") != "dev,logs,made" {
		t.Errorf("buckets %v, want dev, logs, made", names)
	}
}
